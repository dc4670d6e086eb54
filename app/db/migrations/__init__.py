"""The Alembic migrations: ``env.py`` and ``versions/*.py``, run by ``app.db.migrate``.

A package so that an installed wheel and the frozen bundle carry it; alembic loads ``env.py`` and
the version files by path (``app.db.schema_head.MIGRATIONS``), so they ship as files, not only as
compiled modules.
"""
