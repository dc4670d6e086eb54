"""keys and owners for many sites

Rows of several sites will share one database (the township hub), so:

- a user name is unique within its site, not across the database: two villages may both have an
  ``admin`` (``uq_users_site_username`` replaces ``uq_users_username``);
- a store's shelf (货位) and minimum stock (最低库存) for a drug move from the township's ``drugs`` row
  into ``store_drug_settings``, owned by the store's site. Every store of the database gets the values
  its drugs had (they were one value for all);
- ``local_site.enrolled_at`` says whether this site has enrolled under a township hub (none has yet).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.domain.ids import new_id

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_username', type_='unique')
        batch_op.create_unique_constraint('uq_users_site_username', ['site_id', 'username'])

    with op.batch_alter_table('local_site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrolled_at', sa.DateTime(), nullable=True))

    settings = op.create_table('store_drug_settings',
    sa.Column('store_id', sa.String(length=36), nullable=False),
    sa.Column('drug_id', sa.String(length=36), nullable=False),
    sa.Column('shelf', sa.String(length=16), nullable=False),
    sa.Column('min_stock_units', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_site_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_store_drug_settings_drug_id_drugs')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_store_drug_settings_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_drug_settings')),
    sa.UniqueConstraint('store_id', 'drug_id', name='uq_store_drug_settings_store_drug')
    )
    with op.batch_alter_table('store_drug_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_drug_settings_drug_id'), ['drug_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_store_drug_settings_owner_site_id'), ['owner_site_id'], unique=False)

    conn = op.get_bind()
    drugs = conn.execute(sa.text(
        "SELECT id, shelf, min_stock_units, updated_at FROM drugs WHERE shelf != '' OR min_stock_units != 0"
    )).fetchall()
    stores = conn.execute(sa.text("SELECT id, site_id FROM stores")).fetchall()
    rows = [
        {"id": new_id(), "owner_site_id": site_id, "store_id": store_id,
         "drug_id": drug_id, "shelf": shelf, "min_stock_units": min_stock, "created_at": at, "updated_at": at,
         "version": 1}
        for store_id, site_id in stores
        for drug_id, shelf, min_stock, at in drugs
    ]
    if rows:
        conn.execute(sa.text(
            "INSERT INTO store_drug_settings (id, owner_site_id, store_id, drug_id, shelf, min_stock_units, "
            "created_at, updated_at, version) VALUES (:id, :owner_site_id, :store_id, :drug_id, :shelf, "
            ":min_stock_units, :created_at, :updated_at, :version)"
        ), rows)

    with op.batch_alter_table('drugs', schema=None) as batch_op:
        batch_op.drop_column('shelf')
        batch_op.drop_column('min_stock_units')


def downgrade() -> None:
    with op.batch_alter_table('drugs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_stock_units', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('shelf', sa.String(length=16), nullable=False, server_default=''))
    op.drop_table('store_drug_settings')
    with op.batch_alter_table('local_site', schema=None) as batch_op:
        batch_op.drop_column('enrolled_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_site_username', type_='unique')
        batch_op.create_unique_constraint('uq_users_username', ['username'])
