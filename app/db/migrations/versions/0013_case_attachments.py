"""assisted filing: case attachments

``case_attachments`` (synced, never changed, owned by the site that added it): a scan or photo of a
case's material, named by the SHA-256 of its file; the file lives beside the database in
``attachments/ab/abcdef…``. An attachment added by the township is addressed to the case's village
(``to_site_id``). DESIGN §4 and §6.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.outbox import drop_generated_triggers

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    drop_generated_triggers(op.get_bind())
    op.create_table('case_attachments',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=120), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('user_name', sa.String(length=32), nullable=False),
    sa.Column('to_site_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_attachments_case_id_cases')),
    sa.ForeignKeyConstraint(['to_site_id'], ['sites.id'], name=op.f('fk_case_attachments_to_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_attachments'))
    )
    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.create_index('ix_case_attachments_case_added', ['case_id', 'added_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_attachments_owner_site_id'), ['owner_site_id'], unique=False)


def downgrade() -> None:
    drop_generated_triggers(op.get_bind())
    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_attachments_owner_site_id'))
        batch_op.drop_index('ix_case_attachments_case_added')
    op.drop_table('case_attachments')
