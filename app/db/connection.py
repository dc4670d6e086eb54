"""Connections to one SQLite file with the pragmas of DESIGN §3, on the standard ``sqlite3`` driver.

The SQLAlchemy engines (``app.db.engine``) set up each connection with these same pragmas. Start-up
uses the driver directly: it checks the schema and signs the user in before the window shows, and
SQLAlchemy with the models costs ~0.35 s to import, so they load after the first paint.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path

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


def configure(conn: sqlite3.Connection) -> None:
    """Take transaction control away from the driver (``BEGIN`` is ours) and apply the pragmas."""
    conn.isolation_level = None
    for pragma in PRAGMAS:
        conn.execute(pragma)


@contextmanager
def connect(path: Path | str) -> Iterator[sqlite3.Connection]:
    """A configured connection to the database file at ``path``, closed on exit; rows by column name."""
    with closing(sqlite3.connect(Path(path), timeout=15)) as conn:
        configure(conn)
        conn.row_factory = sqlite3.Row
        yield conn


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction (``BEGIN IMMEDIATE``, like the writer engine): commit, or roll back on error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def db_datetime(value: datetime | None) -> str | None:
    """``value`` as SQLAlchemy's SQLite ``DateTime`` stores it (``YYYY-MM-DD HH:MM:SS.ffffff``)."""
    return None if value is None else value.isoformat(" ", "microseconds")


def py_datetime(value: str | None) -> datetime | None:
    """A stored ``DateTime`` text back as a ``datetime``."""
    return None if value is None else datetime.fromisoformat(value)
