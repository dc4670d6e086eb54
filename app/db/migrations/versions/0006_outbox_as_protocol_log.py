"""the outbox as the protocol log

The outbox is what a site sends the hub, in ``local_seq`` order (DESIGN §4), so:

- ``local_seq`` is AUTOINCREMENT: a number is never used twice, even when the pushed rows have been
  removed (SQLite would otherwise hand out the numbers above the highest row left again);
- every outbox row carries the ``tx_id`` of the transaction that wrote it, so the hub can apply a
  transaction whole. Rows written before this release each count as a transaction of their own;
- ``outbox_tx`` holds the transaction being written (its id, and whether it applies pulled rows, which
  queue nothing); every writer sets it at ``BEGIN``;
- ``local_site.pushed_seq`` is the last row the hub has acknowledged: the rows above it are pending.

The DELETE guards on every synced table are generated triggers, installed at the head.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 16:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.outbox import drop_generated_triggers

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_COLUMNS = ('local_seq', 'op_id', 'table_name', 'record_id', 'schema_version', 'payload', 'created_at')


def _rebuild_outbox(*, with_tx: bool) -> None:
    """Make ``outbox`` again, with or without ``tx_id`` and AUTOINCREMENT, keeping every row and its number."""
    op.drop_index('ix_outbox_record_id', table_name='outbox')
    op.rename_table('outbox', 'outbox_before')
    op.create_table('outbox',
    sa.Column('local_seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('op_id', sa.String(length=36), nullable=False),
    *([sa.Column('tx_id', sa.String(length=36), nullable=False)] if with_tx else []),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('schema_version', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('local_seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('op_id', name=op.f('uq_outbox_op_id')),
    sqlite_autoincrement=with_tx,
    )
    names = ', '.join(_COLUMNS)
    # a row written before transactions had ids counts as a transaction of its own
    op.execute(f"INSERT INTO outbox ({names}{', tx_id' if with_tx else ''}) "
               f"SELECT {names}{', op_id' if with_tx else ''} FROM outbox_before ORDER BY local_seq")
    op.drop_table('outbox_before')
    op.create_index(op.f('ix_outbox_record_id'), 'outbox', ['record_id'], unique=False)


def upgrade() -> None:
    drop_generated_triggers(op.get_bind())
    _rebuild_outbox(with_tx=True)

    op.create_table('outbox_tx',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tx_id', sa.String(length=36), nullable=True),
    sa.Column('applying_remote', sa.Boolean(), server_default='0', nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_outbox_tx_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_tx'))
    )
    op.execute("INSERT INTO outbox_tx (id, tx_id, applying_remote) VALUES (1, NULL, 0)")

    with op.batch_alter_table('local_site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pushed_seq', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    drop_generated_triggers(op.get_bind())
    with op.batch_alter_table('local_site', schema=None) as batch_op:
        batch_op.drop_column('pushed_seq')
    op.drop_table('outbox_tx')
    _rebuild_outbox(with_tx=False)
