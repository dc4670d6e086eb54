"""settlements by site and time

The 工作台 and the reports read one site's settlements over a span of time (today, the last 7 days,
the months of this year). A database that also holds other sites' settlements (the township's
villages, ten years of them) had only an index on the time, so a year of every site was read to sum
one site's month; ``ix_settlements_site_time`` reads only that site's rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 15:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_settlements_site_time', 'settlements', ['site_id', 'settled_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_settlements_site_time', table_name='settlements')
