"""Engines for one SQLite file, with the pragmas of DESIGN §3 (``app.db.connection``).

Two engines share the file: the writer begins every transaction with ``BEGIN IMMEDIATE`` (SQLAlchemy's
documented pysqlite recipe), so a write never fails half-way on a lock upgrade; while another program
writes, it waits up to ``WRITE_WAIT_S`` and then raises ``DatabaseBusy`` (``begin_immediate``); the reader uses
deferred transactions, and in WAL mode readers never block the writer.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event

from .connection import begin_immediate, configure


def _install_pragmas(engine: Engine, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):  # noqa: ANN001
        configure(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _begin(conn):  # noqa: ANN001
        if immediate:
            begin_immediate(conn.connection.dbapi_connection)  # waits for another writer, or DatabaseBusy
        else:
            conn.exec_driver_sql("BEGIN")


def make_engine(path: Path | str, *, immediate: bool = True, echo: bool = False) -> Engine:
    """Create an engine on the SQLite file at ``path`` with WAL, FULL sync and foreign keys."""
    engine = create_engine(
        f"sqlite:///{Path(path)}",
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": 15},
    )
    _install_pragmas(engine, immediate=immediate)
    return engine
