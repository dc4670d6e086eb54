"""township operations 三统: purchasing, requisitions, shipments, receipts, statements

New synced tables (DESIGN §4, ``app.db.models.transfers``), each with one owner: the township's
distributors, reference prices, purchase receipts and lines, shipments and lines (addressed to the
village), receipts of returns, basic-drug subsidies and statements; a village's requisitions and lines,
its receipt of each shipment (``uuid5(shipment_id)``) and lines, returns, month-end marks and statement
acknowledgments. A local table, ``peer_sync_status``, keeps what the hub last said about the township's
villages (last sync, highest sequence received). One existing index widens: the ledger's
``ix_stock_movements_store_kind_time`` also holds each row's drug, quantity and lot, so the township's
村室药品一览 sums its villages' recent dispensing from the index alone.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 17:17:07.396719
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.outbox import drop_generated_triggers

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    drop_generated_triggers(op.get_bind())
    op.create_table('peer_sync_status',
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('last_sync_at', sa.DateTime(), nullable=True),
    sa.Column('last_local_seq', sa.Integer(), server_default='0', nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('site_id', name=op.f('pk_peer_sync_status'))
    )
    op.create_table('distributors',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('credit_code', sa.String(length=32), nullable=False),
    sa.Column('contact', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_distributors')),
    sa.UniqueConstraint('owner_site_id', 'name', name='uq_distributors_owner_name')
    )
    with op.batch_alter_table('distributors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_distributors_owner_site_id'), ['owner_site_id'], unique=False)

    op.create_table('drug_reference_prices',
    sa.Column('drug_id', sa.String(length=36), nullable=False),
    sa.Column('reference_price_fen', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_drug_reference_prices_drug_id_drugs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drug_reference_prices')),
    sa.UniqueConstraint('owner_site_id', 'drug_id', name='uq_drug_reference_prices_owner_drug')
    )
    with op.batch_alter_table('drug_reference_prices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drug_reference_prices_owner_site_id'), ['owner_site_id'], unique=False)

    op.create_table('essential_drug_subsidies',
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('to_site_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_essential_drug_subsidies_site_id_sites')),
    sa.ForeignKeyConstraint(['to_site_id'], ['sites.id'], name=op.f('fk_essential_drug_subsidies_to_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_essential_drug_subsidies')),
    sa.UniqueConstraint('site_id', 'month', name='uq_essential_drug_subsidies_site_month')
    )
    with op.batch_alter_table('essential_drug_subsidies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_essential_drug_subsidies_owner_site_id'), ['owner_site_id'], unique=False)

    op.create_table('month_closes',
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('last_local_seq', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_month_closes_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_month_closes')),
    sa.UniqueConstraint('site_id', 'month', name='uq_month_closes_site_month')
    )
    with op.batch_alter_table('month_closes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_month_closes_owner_site_id'), ['owner_site_id'], unique=False)

    op.create_table('statements',
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('statement_no', sa.String(length=24), nullable=False),
    sa.Column('supplied_fen', sa.Integer(), nullable=False),
    sa.Column('returned_fen', sa.Integer(), nullable=False),
    sa.Column('carried_in_fen', sa.Integer(), nullable=False),
    sa.Column('due_fen', sa.Integer(), nullable=False),
    sa.Column('fund_receivable_fen', sa.Integer(), nullable=False),
    sa.Column('subsidy_fen', sa.Integer(), nullable=False),
    sa.Column('from_fund_fen', sa.Integer(), nullable=False),
    sa.Column('from_subsidy_fen', sa.Integer(), nullable=False),
    sa.Column('carried_out_fen', sa.Integer(), nullable=False),
    sa.Column('savings_fen', sa.Integer(), nullable=False),
    sa.Column('covers_local_seq', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('drafted_at', sa.DateTime(), nullable=False),
    sa.Column('finalised_at', sa.DateTime(), nullable=True),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('user_name', sa.String(length=32), nullable=False),
    sa.Column('to_site_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_statements_site_id_sites')),
    sa.ForeignKeyConstraint(['to_site_id'], ['sites.id'], name=op.f('fk_statements_to_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statements')),
    sa.UniqueConstraint('site_id', 'month', name='uq_statements_site_month')
    )
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statements_owner_site_id'), ['owner_site_id'], unique=False)

    op.create_table('purchase_receipts',
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('store_id', sa.String(length=36), nullable=False),
    sa.Column('distributor_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('receipt_no', sa.String(length=24), nullable=False),
    sa.Column('delivery_note_no', sa.String(length=40), nullable=False),
    sa.Column('invoice_no', sa.String(length=40), nullable=False),
    sa.Column('returns_id', sa.String(length=36), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('total_fen', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('user_name', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['distributor_id'], ['distributors.id'], name=op.f('fk_purchase_receipts_distributor_id_distributors')),
    sa.ForeignKeyConstraint(['returns_id'], ['purchase_receipts.id'], name=op.f('fk_purchase_receipts_returns_id_purchase_receipts')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_purchase_receipts_site_id_sites')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_purchase_receipts_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_receipts')),
    sa.UniqueConstraint('owner_site_id', 'receipt_no', name='uq_purchase_receipts_owner_receipt_no')
    )
    with op.batch_alter_table('purchase_receipts', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_receipts_note', ['distributor_id', 'delivery_note_no', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_receipts_owner_site_id'), ['owner_site_id'], unique=False)
        batch_op.create_index('ix_purchase_receipts_site_received', ['site_id', 'received_at'], unique=False)

    op.create_table('requisitions',
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('store_id', sa.String(length=36), nullable=False),
    sa.Column('requisition_no', sa.String(length=24), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('target_months', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('user_name', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_requisitions_site_id_sites')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_requisitions_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requisitions')),
    sa.UniqueConstraint('owner_site_id', 'requisition_no', name='uq_requisitions_owner_requisition_no')
    )
    with op.batch_alter_table('requisitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requisitions_owner_site_id'), ['owner_site_id'], unique=False)
        batch_op.create_index('ix_requisitions_site_requested', ['site_id', 'requested_at'], unique=False)

    op.create_table('statement_acknowledgments',
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('user_name', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_statement_acknowledgments_site_id_sites')),
    sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], name=op.f('fk_statement_acknowledgments_statement_id_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_acknowledgments')),
    sa.UniqueConstraint('statement_id', name='uq_statement_acknowledgments_statement_id')
    )
    with op.batch_alter_table('statement_acknowledgments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_acknowledgments_owner_site_id'), ['owner_site_id'], unique=False)

    op.create_table('purchase_lines',
    sa.Column('receipt_id', sa.String(length=36), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('drug_id', sa.String(length=36), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('batch_no', sa.String(length=32), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('pack_price_fen', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('code_count', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_purchase_lines_batch_id_batches')),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_purchase_lines_drug_id_drugs')),
    sa.ForeignKeyConstraint(['receipt_id'], ['purchase_receipts.id'], name=op.f('fk_purchase_lines_receipt_id_purchase_receipts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_lines'))
    )
    with op.batch_alter_table('purchase_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_lines_drug_id'), ['drug_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_lines_owner_site_id'), ['owner_site_id'], unique=False)
        batch_op.create_index('ix_purchase_lines_receipt_line', ['receipt_id', 'line_no'], unique=False)

    op.create_table('requisition_lines',
    sa.Column('requisition_id', sa.String(length=36), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('drug_id', sa.String(length=36), nullable=False),
    sa.Column('monthly_use_units', sa.Integer(), nullable=False),
    sa.Column('on_hand_units', sa.Integer(), nullable=False),
    sa.Column('in_transit_units', sa.Integer(), nullable=False),
    sa.Column('suggested_units', sa.Integer(), nullable=False),
    sa.Column('requested_units', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_requisition_lines_drug_id_drugs')),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisitions.id'], name=op.f('fk_requisition_lines_requisition_id_requisitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requisition_lines'))
    )
    with op.batch_alter_table('requisition_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requisition_lines_owner_site_id'), ['owner_site_id'], unique=False)
        batch_op.create_index('ix_requisition_lines_req_line', ['requisition_id', 'line_no'], unique=False)

    op.create_table('shipments',
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('store_id', sa.String(length=36), nullable=False),
    sa.Column('to_site_id', sa.String(length=36), nullable=False),
    sa.Column('shipment_no', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('requisition_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('drafted_at', sa.DateTime(), nullable=False),
    sa.Column('shipped_at', sa.DateTime(), nullable=True),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('user_name', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisitions.id'], name=op.f('fk_shipments_requisition_id_requisitions')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_shipments_site_id_sites')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_shipments_store_id_stores')),
    sa.ForeignKeyConstraint(['to_site_id'], ['sites.id'], name=op.f('fk_shipments_to_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments')),
    sa.UniqueConstraint('owner_site_id', 'shipment_no', name='uq_shipments_owner_shipment_no')
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_owner_site_id'), ['owner_site_id'], unique=False)
        batch_op.create_index('ix_shipments_requisition', ['requisition_id'], unique=False)
        batch_op.create_index('ix_shipments_to_site_status', ['to_site_id', 'status'], unique=False)

    op.create_table('stock_returns',
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('store_id', sa.String(length=36), nullable=False),
    sa.Column('return_no', sa.String(length=24), nullable=False),
    sa.Column('returned_at', sa.DateTime(), nullable=False),
    sa.Column('drug_id', sa.String(length=36), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('batch_no', sa.String(length=32), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('pack_price_fen', sa.Integer(), nullable=False),
    sa.Column('trace_codes', sa.Text(), nullable=False),
    sa.Column('reason', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('user_name', sa.String(length=32), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_stock_returns_batch_id_batches')),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_stock_returns_drug_id_drugs')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_stock_returns_site_id_sites')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_stock_returns_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_returns')),
    sa.UniqueConstraint('owner_site_id', 'return_no', name='uq_stock_returns_owner_return_no')
    )
    with op.batch_alter_table('stock_returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_returns_owner_site_id'), ['owner_site_id'], unique=False)
        batch_op.create_index('ix_stock_returns_site_returned', ['site_id', 'returned_at'], unique=False)

    op.create_table('return_receipts',
    sa.Column('return_id', sa.String(length=36), nullable=False),
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('user_name', sa.String(length=32), nullable=False),
    sa.Column('to_site_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_return_receipts_batch_id_batches')),
    sa.ForeignKeyConstraint(['return_id'], ['stock_returns.id'], name=op.f('fk_return_receipts_return_id_stock_returns')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_return_receipts_site_id_sites')),
    sa.ForeignKeyConstraint(['to_site_id'], ['sites.id'], name=op.f('fk_return_receipts_to_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_receipts')),
    sa.UniqueConstraint('return_id', name='uq_return_receipts_return_id')
    )
    with op.batch_alter_table('return_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_receipts_owner_site_id'), ['owner_site_id'], unique=False)

    op.create_table('shipment_lines',
    sa.Column('shipment_id', sa.String(length=36), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('drug_id', sa.String(length=36), nullable=False),
    sa.Column('requisition_line_id', sa.String(length=36), nullable=True),
    sa.Column('requested_units', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=True),
    sa.Column('batch_no', sa.String(length=32), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=True),
    sa.Column('pack_price_fen', sa.Integer(), nullable=False),
    sa.Column('trace_codes', sa.Text(), nullable=False),
    sa.Column('to_site_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_shipment_lines_drug_id_drugs')),
    sa.ForeignKeyConstraint(['requisition_line_id'], ['requisition_lines.id'], name=op.f('fk_shipment_lines_requisition_line_id_requisition_lines')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_lines_shipment_id_shipments')),
    sa.ForeignKeyConstraint(['to_site_id'], ['sites.id'], name=op.f('fk_shipment_lines_to_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_lines'))
    )
    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_lines_drug_id'), ['drug_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_lines_owner_site_id'), ['owner_site_id'], unique=False)
        batch_op.create_index('ix_shipment_lines_shipment_line', ['shipment_id', 'line_no'], unique=False)

    op.create_table('transfer_receipts',
    sa.Column('shipment_id', sa.String(length=36), nullable=False),
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('store_id', sa.String(length=36), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('user_name', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_transfer_receipts_shipment_id_shipments')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_transfer_receipts_site_id_sites')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_transfer_receipts_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_receipts')),
    sa.UniqueConstraint('shipment_id', name='uq_transfer_receipts_shipment_id')
    )
    with op.batch_alter_table('transfer_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_receipts_owner_site_id'), ['owner_site_id'], unique=False)
        batch_op.create_index('ix_transfer_receipts_site_received', ['site_id', 'received_at'], unique=False)

    op.create_table('transfer_receipt_lines',
    sa.Column('receipt_id', sa.String(length=36), nullable=False),
    sa.Column('shipment_line_id', sa.String(length=36), nullable=False),
    sa.Column('drug_id', sa.String(length=36), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=True),
    sa.Column('qty_shipped', sa.Integer(), nullable=False),
    sa.Column('qty_received', sa.Integer(), nullable=False),
    sa.Column('qty_lost', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=128), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_transfer_receipt_lines_batch_id_batches')),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_transfer_receipt_lines_drug_id_drugs')),
    sa.ForeignKeyConstraint(['receipt_id'], ['transfer_receipts.id'], name=op.f('fk_transfer_receipt_lines_receipt_id_transfer_receipts')),
    sa.ForeignKeyConstraint(['shipment_line_id'], ['shipment_lines.id'], name=op.f('fk_transfer_receipt_lines_shipment_line_id_shipment_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_receipt_lines')),
    sa.UniqueConstraint('shipment_line_id', name='uq_transfer_receipt_lines_shipment_line_id')
    )
    with op.batch_alter_table('transfer_receipt_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_receipt_lines_owner_site_id'), ['owner_site_id'], unique=False)
        batch_op.create_index('ix_transfer_receipt_lines_receipt', ['receipt_id'], unique=False)

    # net use per store and drug over a period (村室药品一览, low-stock alerts) from the index alone
    op.drop_index('ix_stock_movements_store_kind_time', table_name='stock_movements')
    op.create_index('ix_stock_movements_store_kind_time', 'stock_movements',
                    ['store_id', 'kind', 'occurred_at', 'drug_id', 'quantity', 'batch_id'], unique=False)



def downgrade() -> None:
    drop_generated_triggers(op.get_bind())
    op.drop_index('ix_stock_movements_store_kind_time', table_name='stock_movements')
    op.create_index('ix_stock_movements_store_kind_time', 'stock_movements', ['store_id', 'kind', 'occurred_at'],
                    unique=False)
    with op.batch_alter_table('transfer_receipt_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_receipt_lines_receipt')
        batch_op.drop_index(batch_op.f('ix_transfer_receipt_lines_owner_site_id'))

    op.drop_table('transfer_receipt_lines')
    with op.batch_alter_table('transfer_receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_receipts_site_received')
        batch_op.drop_index(batch_op.f('ix_transfer_receipts_owner_site_id'))

    op.drop_table('transfer_receipts')
    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_shipment_lines_shipment_line')
        batch_op.drop_index(batch_op.f('ix_shipment_lines_owner_site_id'))
        batch_op.drop_index(batch_op.f('ix_shipment_lines_drug_id'))

    op.drop_table('shipment_lines')
    with op.batch_alter_table('return_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_receipts_owner_site_id'))

    op.drop_table('return_receipts')
    with op.batch_alter_table('stock_returns', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_returns_site_returned')
        batch_op.drop_index(batch_op.f('ix_stock_returns_owner_site_id'))

    op.drop_table('stock_returns')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_shipments_to_site_status')
        batch_op.drop_index('ix_shipments_requisition')
        batch_op.drop_index(batch_op.f('ix_shipments_owner_site_id'))

    op.drop_table('shipments')
    with op.batch_alter_table('requisition_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_requisition_lines_req_line')
        batch_op.drop_index(batch_op.f('ix_requisition_lines_owner_site_id'))

    op.drop_table('requisition_lines')
    with op.batch_alter_table('purchase_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_lines_receipt_line')
        batch_op.drop_index(batch_op.f('ix_purchase_lines_owner_site_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_lines_drug_id'))

    op.drop_table('purchase_lines')
    with op.batch_alter_table('statement_acknowledgments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_acknowledgments_owner_site_id'))

    op.drop_table('statement_acknowledgments')
    with op.batch_alter_table('requisitions', schema=None) as batch_op:
        batch_op.drop_index('ix_requisitions_site_requested')
        batch_op.drop_index(batch_op.f('ix_requisitions_owner_site_id'))

    op.drop_table('requisitions')
    with op.batch_alter_table('purchase_receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_receipts_site_received')
        batch_op.drop_index(batch_op.f('ix_purchase_receipts_owner_site_id'))
        batch_op.drop_index('ix_purchase_receipts_note')

    op.drop_table('purchase_receipts')
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statements_owner_site_id'))

    op.drop_table('statements')
    with op.batch_alter_table('month_closes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_month_closes_owner_site_id'))

    op.drop_table('month_closes')
    with op.batch_alter_table('essential_drug_subsidies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_essential_drug_subsidies_owner_site_id'))

    op.drop_table('essential_drug_subsidies')
    with op.batch_alter_table('drug_reference_prices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drug_reference_prices_owner_site_id'))

    op.drop_table('drug_reference_prices')
    with op.batch_alter_table('distributors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_distributors_owner_site_id'))

    op.drop_table('distributors')
    op.drop_table('peer_sync_status')
