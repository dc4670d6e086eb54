"""Alembic environment: runs on the connection handed over by ``app.db.migrate``."""

from __future__ import annotations

from alembic import context

from app.db.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite needs table rebuilds for most ALTERs
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
