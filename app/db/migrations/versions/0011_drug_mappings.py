"""drug mappings: a standalone village's own drugs mapped to the township catalog when it joins

``drug_mappings`` (synced, owned by the village): one row per drug the village kept in its own catalog
while standalone, naming the township drug with the same national code (医保编码) once there is one,
or why there is none yet, so the township sees what to add to its catalog (DESIGN §4).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.outbox import drop_generated_triggers

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    drop_generated_triggers(op.get_bind())
    op.create_table('drug_mappings',
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('drug_id', sa.String(length=36), nullable=False),
    sa.Column('national_code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('township_drug_id', sa.String(length=36), nullable=True),
    sa.Column('reason', sa.String(length=128), nullable=False),
    sa.Column('mapped_at', sa.DateTime(), nullable=True),
    sa.Column('moved_units', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_drug_mappings_drug_id_drugs')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_drug_mappings_site_id_sites')),
    sa.ForeignKeyConstraint(['township_drug_id'], ['drugs.id'],
                            name=op.f('fk_drug_mappings_township_drug_id_drugs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drug_mappings')),
    sa.UniqueConstraint('drug_id', name='uq_drug_mappings_drug_id')
    )
    with op.batch_alter_table('drug_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drug_mappings_owner_site_id'), ['owner_site_id'], unique=False)


def downgrade() -> None:
    drop_generated_triggers(op.get_bind())
    with op.batch_alter_table('drug_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drug_mappings_owner_site_id'))
    op.drop_table('drug_mappings')
