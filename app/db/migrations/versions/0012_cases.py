"""assisted filing: cases and their timeline

``cases`` (synced, owned by the village that opened the case): one application handled for a resident,
with its agent, the person responsible, the day accepted and the due day in working days, and the
material collected. ``case_events`` (synced, append-only, owned by the site that acted): the timeline
已受理 → 已报送 → (退回补件 → 已报送)* → 已办结 | 不予办理; an event of the township is addressed to the
case's village (``to_site_id``). DESIGN §4 and §6.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.outbox import drop_generated_triggers

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    drop_generated_triggers(op.get_bind())
    op.create_table('cases',
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('case_no', sa.String(length=24), nullable=False),
    sa.Column('case_type', sa.String(length=32), nullable=False),
    sa.Column('resident_id', sa.String(length=36), nullable=False),
    sa.Column('agent_name', sa.String(length=32), nullable=False),
    sa.Column('agent_id_number', sa.String(length=18), nullable=False),
    sa.Column('agent_relation', sa.String(length=16), nullable=False),
    sa.Column('responsible_user_id', sa.String(length=36), nullable=True),
    sa.Column('responsible_name', sa.String(length=32), nullable=False),
    sa.Column('accepted_on', sa.Date(), nullable=False),
    sa.Column('due_workdays', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('due_fallback', sa.Boolean(), nullable=False),
    sa.Column('collected', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_cases_resident_id_residents')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_cases_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('owner_site_id', 'case_no', name='uq_cases_site_case_no')
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_site_accepted', ['site_id', 'accepted_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_owner_site_id'), ['owner_site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_resident_id'), ['resident_id'], unique=False)

    op.create_table('case_events',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('missing', sa.Text(), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('user_name', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('to_site_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases')),
    sa.ForeignKeyConstraint(['to_site_id'], ['sites.id'], name=op.f('fk_case_events_to_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index('ix_case_events_case_step', ['case_id', 'step'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_events_owner_site_id'), ['owner_site_id'], unique=False)


def downgrade() -> None:
    drop_generated_triggers(op.get_bind())
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_owner_site_id'))
        batch_op.drop_index('ix_case_events_case_step')
    op.drop_table('case_events')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_resident_id'))
        batch_op.drop_index(batch_op.f('ix_cases_owner_site_id'))
        batch_op.drop_index(batch_op.f('ix_cases_due_on'))
        batch_op.drop_index('ix_cases_site_accepted')
    op.drop_table('cases')
