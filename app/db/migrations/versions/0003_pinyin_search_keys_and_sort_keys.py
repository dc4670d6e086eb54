"""pinyin search keys (every reading of multi-reading characters) and full-pinyin sort keys

Residents and drugs get ``pinyin_keys`` (王长林 → "wcl ycl wzl yzl": a search for any reading finds
the name) and ``pinyin_sort`` (full pinyin with tones, for lists in dictionary order). Both are
backfilled from the names; a resident's 拼音码 is recomputed with the surname reading (曾丽萍 was
stored as clp, it is zlp), and a drug's unless a user typed it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.outbox import drop_generated_triggers
from app.domain.pinyin import pinyin_codes

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The generated outbox and append-only triggers are dropped here and reinstalled from the models
    # when the upgrade reaches the head, so backfilling a column is neither refused nor queued.
    conn = op.get_bind()
    drop_generated_triggers(conn)

    for table in ('residents', 'drugs'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('pinyin_keys', sa.String(length=255), nullable=False, server_default=''))
            batch_op.add_column(sa.Column('pinyin_sort', sa.String(length=255), nullable=False, server_default=''))
            if table == 'drugs':  # the catalog is listed in this order; residents are only searched
                batch_op.create_index(batch_op.f('ix_drugs_pinyin_sort'), ['pinyin_sort'], unique=False)

    residents = []
    for rid, name in conn.exec_driver_sql("SELECT id, name FROM residents").fetchall():
        codes = pinyin_codes(name, person=True, width=16)
        residents.append((codes.abbr, codes.keys, codes.sort, rid))
    if residents:
        conn.exec_driver_sql(
            "UPDATE residents SET pinyin_abbr = ?, pinyin_keys = ?, pinyin_sort = ? WHERE id = ?", residents)

    drugs = []
    for did, name, abbr, overridden in conn.exec_driver_sql(
        "SELECT id, generic_name, pinyin_abbr, pinyin_overridden FROM drugs"
    ).fetchall():
        codes = pinyin_codes(name, override=abbr if overridden else "")
        drugs.append((codes.abbr, codes.keys, codes.sort, did))
    if drugs:
        conn.exec_driver_sql("UPDATE drugs SET pinyin_abbr = ?, pinyin_keys = ?, pinyin_sort = ? WHERE id = ?", drugs)


def downgrade() -> None:
    for table in ('drugs', 'residents'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == 'drugs':
                batch_op.drop_index(batch_op.f('ix_drugs_pinyin_sort'))
            batch_op.drop_column('pinyin_sort')
            batch_op.drop_column('pinyin_keys')
