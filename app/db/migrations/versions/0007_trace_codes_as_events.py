"""trace codes as append-only events

A trace code's life was one row changed by whoever touched the box (received, sold, unsold). Once a
township and its villages share rows, a row that several sites change cannot be owned by one of
them, so each fact becomes a ``trace_code_events`` row of its own, owned by the site that acted; a
code's state at a store is its latest event there (``seq``).

Every existing code becomes its events, keeping the dates: ``received`` when it was received (the
receipt's document found from the ledger), ``sold`` when it is sold now (to its visit). A code whose
receipt was reversed becomes ``received`` then ``unreceived``; a code first seen at a sale has only
its sale. The events are written before the generated triggers are installed, so they queue nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from uuid6 import uuid7

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_EVENTS = sa.table(
    'trace_code_events',
    *(sa.column(c) for c in ('id', 'owner_site_id', 'created_at', 'updated_at', 'version', 'code', 'store_id',
                             'drug_id', 'batch_id', 'kind', 'seq', 'doc_type', 'doc_id', 'occurred_at')),
)

#: every code with the document of its receipt (from the ledger) and whether its sale was a visit
_CODES = (
    "SELECT t.owner_site_id, t.created_at, t.updated_at, t.code, t.store_id, t.drug_id, t.batch_id, t.received_at, "
    "t.sold_at, t.sold_visit_id, "
    "(SELECT m.doc_type FROM stock_movements m WHERE m.batch_id = t.batch_id AND m.occurred_at = t.received_at "
    " AND m.kind IN ('receipt', 'transfer_in') ORDER BY m.seq LIMIT 1), "
    "(SELECT m.doc_id FROM stock_movements m WHERE m.batch_id = t.batch_id AND m.occurred_at = t.received_at "
    " AND m.kind IN ('receipt', 'transfer_in') ORDER BY m.seq LIMIT 1), "
    "(SELECT 1 FROM visits v WHERE v.id = t.sold_visit_id) "
    "FROM trace_codes t ORDER BY t.created_at, t.id"
)


def _events(row: sa.Row) -> list[dict]:
    owner, created, updated, code, store, drug, batch, received, sold, sold_doc, rec_type, rec_doc, visit = row
    base = {"owner_site_id": owner, "version": 1, "code": code, "store_id": store, "drug_id": drug, "batch_id": batch}
    steps = []
    if received is not None:
        steps.append(("received", received, rec_type or "receipt", rec_doc))
    elif sold is None:  # its receipt was reversed
        steps += [("received", created, "receipt", None), ("unreceived", updated, "receipt", None)]
    if sold is not None:
        steps.append(("sold", sold, "visit" if visit else "manual", sold_doc))
    return [
        {**base, "id": str(uuid7()), "created_at": at, "updated_at": at, "kind": kind, "seq": seq,
         "doc_type": doc_type, "doc_id": doc_id, "occurred_at": at}
        for seq, (kind, at, doc_type, doc_id) in enumerate(steps, 1)
    ]


def upgrade() -> None:
    op.create_table('trace_code_events',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('store_id', sa.String(length=36), nullable=False),
    sa.Column('drug_id', sa.String(length=36), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(length=24), nullable=False),
    sa.Column('doc_id', sa.String(length=36), nullable=True),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_trace_code_events_batch_id_batches')),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_trace_code_events_drug_id_drugs')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_trace_code_events_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_code_events'))
    )
    conn = op.get_bind()
    result = conn.execute(sa.text(_CODES))
    while chunk := result.fetchmany(5000):
        conn.execute(_EVENTS.insert(), [event for row in chunk for event in _events(row)])
    with op.batch_alter_table('trace_code_events', schema=None) as batch_op:
        batch_op.create_index('ix_trace_code_events_store_code', ['store_id', 'code', 'seq'], unique=True)
        batch_op.create_index('ix_trace_code_events_code', ['code'], unique=False)
        batch_op.create_index('ix_trace_code_events_batch_code', ['batch_id', 'code'], unique=False)
        batch_op.create_index('ix_trace_code_events_doc', ['doc_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_code_events_owner_site_id'), ['owner_site_id'], unique=False)

    with op.batch_alter_table('trace_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trace_codes_sold_visit_id'))
        batch_op.drop_index(batch_op.f('ix_trace_codes_owner_site_id'))
    op.drop_table('trace_codes')


def downgrade() -> None:
    """One row per code again, from its latest events (a code's history before them is lost)."""
    op.create_table('trace_codes',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('drug_id', sa.String(length=36), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=True),
    sa.Column('store_id', sa.String(length=36), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=True),
    sa.Column('sold_at', sa.DateTime(), nullable=True),
    sa.Column('sold_visit_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_trace_codes_batch_id_batches')),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_trace_codes_drug_id_drugs')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_trace_codes_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_trace_codes_code'))
    )
    conn = op.get_bind()
    codes: dict[str, dict] = {}
    for owner, created, code, store, drug, batch, kind, doc_id, at in conn.execute(sa.text(
        "SELECT owner_site_id, created_at, code, store_id, drug_id, batch_id, kind, doc_id, occurred_at "
        "FROM trace_code_events ORDER BY created_at, id"
    )):
        row = codes.setdefault(code, {"id": str(uuid7()), "owner_site_id": owner, "created_at": created, "version": 1,
                                      "code": code, "received_at": None, "sold_at": None, "sold_visit_id": None})
        row.update(updated_at=created, store_id=store, drug_id=drug, batch_id=batch)
        if kind == 'received':
            row["received_at"] = at
        elif kind in ('unreceived', 'shipped', 'returned'):
            row["received_at"] = None
        elif kind == 'sold':
            row["sold_at"], row["sold_visit_id"] = at, doc_id
        elif kind == 'unsold':
            row["sold_at"], row["sold_visit_id"] = None, None
    table = sa.table('trace_codes', *(sa.column(c) for c in (
        'id', 'owner_site_id', 'created_at', 'updated_at', 'version', 'code', 'drug_id', 'batch_id', 'store_id',
        'received_at', 'sold_at', 'sold_visit_id')))
    if codes:
        conn.execute(table.insert(), list(codes.values()))
    with op.batch_alter_table('trace_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trace_codes_owner_site_id'), ['owner_site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_codes_sold_visit_id'), ['sold_visit_id'], unique=False)
    op.drop_table('trace_code_events')
