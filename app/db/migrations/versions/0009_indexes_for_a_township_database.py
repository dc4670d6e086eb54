"""indexes for a township-sized database

A township database holds forty villages and ten years. Each screen that a doctor opens all day must
read only the rows it shows:

- 收费日报 counts a month's reversals by their own time (``ix_reversals_reversed_at``);
- the stock list and the low-stock tile read a store's lots that still hold stock, a few among the
  thousands of emptied ones (``ix_batches_stocked``, partial on ``on_hand > 0``);
- the resident search finds a pinyin prefix of any reading of a name (``wcl`` and ``wzl`` both find
  王长林): every search key of ``residents.pinyin_keys`` becomes a ``resident_search_keys`` row, kept
  by SQLite triggers whoever writes the resident (the service, the demo's bulk load, a pulled row), so
  the search is an index range instead of a read of every resident. The hub (PostgreSQL) does not
  search residents by pinyin; the table stays empty there.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

#: the search keys of the new resident row as rows (keys are ASCII letters and digits, space-separated)
_KEYS_OF_NEW = ("SELECT DISTINCT NEW.id, value FROM json_each('[\"' || replace(NEW.pinyin_keys, ' ', '\",\"') || '\"]') "
                "WHERE value <> ''")

TRIGGERS = (
    "CREATE TRIGGER resident_search_keys_insert AFTER INSERT ON residents BEGIN "
    f"INSERT INTO resident_search_keys (resident_id, key) {_KEYS_OF_NEW}; END",
    "CREATE TRIGGER resident_search_keys_update AFTER UPDATE OF pinyin_keys ON residents "
    "WHEN NEW.pinyin_keys IS NOT OLD.pinyin_keys BEGIN "
    "DELETE FROM resident_search_keys WHERE resident_id = OLD.id; "
    f"INSERT INTO resident_search_keys (resident_id, key) {_KEYS_OF_NEW}; END",
)


def upgrade() -> None:
    op.create_index('ix_reversals_reversed_at', 'reversals', ['reversed_at'], unique=False)
    op.create_index('ix_batches_stocked', 'batches', ['store_id', 'drug_id', 'expiry'], unique=False,
                    sqlite_where=sa.text('on_hand > 0'), postgresql_where=sa.text('on_hand > 0'))
    op.create_table('resident_search_keys',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('resident_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('key', 'resident_id', name=op.f('pk_resident_search_keys'))
    )
    op.create_index('ix_resident_search_keys_resident', 'resident_search_keys', ['resident_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            "INSERT INTO resident_search_keys (resident_id, key) SELECT DISTINCT r.id, k.value FROM residents r, "
            "json_each('[\"' || replace(r.pinyin_keys, ' ', '\",\"') || '\"]') k WHERE k.value <> ''"
        )
        for sql in TRIGGERS:
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS resident_search_keys_update")
        op.execute("DROP TRIGGER IF EXISTS resident_search_keys_insert")
    op.drop_index('ix_resident_search_keys_resident', table_name='resident_search_keys')
    op.drop_table('resident_search_keys')
    op.drop_index('ix_batches_stocked', table_name='batches')
    op.drop_index('ix_reversals_reversed_at', table_name='reversals')
