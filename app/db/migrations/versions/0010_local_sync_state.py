"""local sync state: the hub cursor, how to reach the hub, rejected ops

What a site keeps about its sync with the township hub (DESIGN §4), none of it synced:

- ``local_site.pulled_seq``: the last hub changelog ``seq`` whose changes are saved here; it moves in
  the same transaction as the changes it covers, so a pull interrupted anywhere starts again at a page
  boundary;
- ``sync_state`` (one row, present once the site joined a hub): the hub's address, its certificate
  fingerprint, this site's token, the last sync time and the last error;
- ``sync_rejections``: every op of this site the hub rejected, with table, field, reason and what to do,
  for the 同步 page to show in Chinese.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.outbox import drop_generated_triggers

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    drop_generated_triggers(op.get_bind())
    op.create_table('sync_rejections',
    sa.Column('local_seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('op_id', sa.String(length=36), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('local_seq', name=op.f('pk_sync_rejections')),
    sa.UniqueConstraint('op_id', name=op.f('uq_sync_rejections_op_id'))
    )
    with op.batch_alter_table('sync_rejections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_rejections_at'), ['at'], unique=False)

    op.create_table('sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hub_url', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=200), nullable=False),
    sa.Column('township_site_id', sa.String(length=36), nullable=True),
    sa.Column('last_sync_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_sync_state_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_state'))
    )
    with op.batch_alter_table('local_site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pulled_seq', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    drop_generated_triggers(op.get_bind())
    with op.batch_alter_table('local_site', schema=None) as batch_op:
        batch_op.drop_column('pulled_seq')

    op.drop_table('sync_state')
    with op.batch_alter_table('sync_rejections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_rejections_at'))

    op.drop_table('sync_rejections')
