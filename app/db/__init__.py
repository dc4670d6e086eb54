"""Storage: SQLAlchemy 2 models, engine with pragmas, unit of work, Alembic migrations."""
