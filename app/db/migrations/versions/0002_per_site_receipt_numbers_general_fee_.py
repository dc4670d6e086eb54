"""per-site receipt numbers, general fee charged, ledger indexes, stocktake count position

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:04:23.363301
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.outbox import drop_generated_triggers


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The generated outbox and append-only triggers are dropped here and reinstalled from the models
    # when the upgrade reaches the head, so backfilling a column is neither refused nor queued.
    drop_generated_triggers(op.get_bind())

    with op.batch_alter_table('reversals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_reversals_receipt_no'), type_='unique')
        batch_op.create_unique_constraint('uq_reversals_site_receipt', ['owner_site_id', 'receipt_no'])

    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('general_fee_fen', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_constraint(batch_op.f('uq_settlements_receipt_no'), type_='unique')
        batch_op.create_unique_constraint('uq_settlements_site_receipt', ['owner_site_id', 'receipt_no'])

    # the general fee charged is exactly what the total holds beyond the prescription lines
    op.execute(
        "UPDATE settlements SET general_fee_fen = total_fen - coalesce("
        "(SELECT sum(amount_fen) FROM prescription_lines WHERE prescription_lines.visit_id = settlements.visit_id), 0)"
    )

    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index('ix_stock_movements_store_kind_time', ['store_id', 'kind', 'occurred_at'], unique=False)
        batch_op.create_index('ix_stock_movements_store_seq', ['store_id', 'seq'], unique=True)

    with op.batch_alter_table('stocktake_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted_seq', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('stocktake_lines', schema=None) as batch_op:
        batch_op.drop_column('counted_seq')

    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_movements_store_seq')
        batch_op.drop_index('ix_stock_movements_store_kind_time')

    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_constraint('uq_settlements_site_receipt', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_settlements_receipt_no'), ['receipt_no'])
        batch_op.drop_column('general_fee_fen')

    with op.batch_alter_table('reversals', schema=None) as batch_op:
        batch_op.drop_constraint('uq_reversals_site_receipt', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_reversals_receipt_no'), ['receipt_no'])

