"""Engines for one SQLite file, with the pragmas of DESIGN §3.

Two engines share the file: the writer begins every transaction with ``BEGIN IMMEDIATE`` (SQLAlchemy's
documented pysqlite recipe), so a write never fails half-way on a lock upgrade; the reader uses
deferred transactions, and in WAL mode readers never block the writer.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=15000",
    # 32 MB page cache per connection (SQLite's default is 2 MB): a settle on a 10-year database touches
    # the index paths of a dozen tables and the batch rows of its drugs, more than 2 MB of pages, and
    # would read them again from the OS on every visit. Memory is taken only as pages are used.
    "PRAGMA cache_size=-32000",
    # sorts and temporary b-trees of reports in memory, not in temp files
    "PRAGMA temp_store=MEMORY",
)


def _install_pragmas(engine: Engine, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):  # noqa: ANN001
        # take transaction control away from pysqlite so BEGIN is ours
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # noqa: ANN001
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(path: Path | str, *, immediate: bool = True, echo: bool = False) -> Engine:
    """Create an engine on the SQLite file at ``path`` with WAL, FULL sync and foreign keys."""
    engine = create_engine(
        f"sqlite:///{Path(path)}",
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": 15},
    )
    _install_pragmas(engine, immediate=immediate)
    return engine
