"""Connections to one SQLite file with the pragmas of DESIGN §3, on the standard ``sqlite3`` driver.

The SQLAlchemy engines (``app.db.engine``) set up each connection with these same pragmas. Start-up
uses the driver directly: it checks the schema and signs the user in before the window shows, and
SQLAlchemy with the models costs ~0.35 s to import, so they load after the first paint.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path

from app.domain.errors import DatabaseBusy
from app.domain.ids import new_id

#: SQLite's own wait for a lock, for every statement but a write transaction's ``BEGIN IMMEDIATE``
BUSY_TIMEOUT_MS = 15000
#: how long a write waits for another program's write transaction before giving up (the busy timeout)
WRITE_WAIT_S = 15.0
#: how often a waiting write tries again; SQLite's own busy handler backs off to 100 ms, which lets a
#: program that writes in quick successive batches (a catalog import) win the lock over and over
WRITE_POLL_S = 0.004

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    # 32 MB page cache per connection (SQLite's default is 2 MB): a settle on a 10-year database touches
    # the index paths of a dozen tables and the batch rows of its drugs, more than 2 MB of pages, and
    # would read them again from the OS on every visit. Memory is taken only as pages are used.
    "PRAGMA cache_size=-32000",
    # sorts and temporary b-trees of reports in memory, not in temp files
    "PRAGMA temp_store=MEMORY",
)


#: give the write transaction just begun its id and say whether it applies pulled rows; the outbox
#: triggers read both (``app.db.outbox``). Cleared before ``COMMIT``, so no later writer reuses the id.
MARK_TX_SQL = "INSERT OR REPLACE INTO outbox_tx (id, tx_id, applying_remote) VALUES (1, ?, ?)"
CLEAR_TX_SQL = "UPDATE outbox_tx SET tx_id = NULL, applying_remote = 0 WHERE id = 1"


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


# -- the other SQLite-only settings and checks: every PRAGMA of the program is in this module ----------
def file_check(conn: sqlite3.Connection, kind: str = "quick_check") -> bool:
    """SQLite's ``quick_check`` or ``integrity_check`` of the file behind ``conn``: True when it is sound."""
    if kind not in ("quick_check", "integrity_check"):
        raise ValueError(kind)
    return conn.execute(f"PRAGMA {kind}").fetchone()[0] == "ok"


def set_foreign_keys(conn: sqlite3.Connection, on: bool) -> None:
    """Switch foreign-key enforcement on or off (only takes effect outside a transaction)."""
    conn.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def foreign_key_violation(conn: sqlite3.Connection) -> tuple | None:
    """The first row that references a missing parent: (table, rowid, parent table, …), or None."""
    return conn.execute("PRAGMA foreign_key_check").fetchone()


def begin_bulk_load(conn: sqlite3.Connection, *, big: bool) -> None:
    """Settings for loading a new file in bulk (a failed load is deleted, so the large one keeps no journal)."""
    for pragma in ("PRAGMA journal_mode=OFF" if big else "PRAGMA journal_mode=MEMORY", "PRAGMA synchronous=OFF",
                   "PRAGMA cache_size=-200000", "PRAGMA temp_store=MEMORY",
                   "PRAGMA threads=2",  # CREATE INDEX sorts with a helper thread
                   "PRAGMA foreign_keys=" + ("OFF" if big else "ON")):
        conn.execute(pragma)


def defer_foreign_keys(conn: sqlite3.Connection) -> None:
    """Check this transaction's references at its commit (rows may come before their parents)."""
    conn.execute("PRAGMA defer_foreign_keys=ON")


def end_bulk_load(conn: sqlite3.Connection) -> None:
    """Sampled statistics (seconds, not minutes, on gigabytes) and back to WAL after a bulk load."""
    conn.execute("PRAGMA analysis_limit=1000")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")


def is_busy(error: BaseException) -> bool:
    """True for SQLite's "database is locked"/"busy" (from the driver or wrapped by SQLAlchemy)."""
    text = str(getattr(error, "orig", None) or error).lower()
    return isinstance(getattr(error, "orig", error), sqlite3.OperationalError) and (
        "database is locked" in text or "database is busy" in text
    )


def begin_immediate(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, trying again every few milliseconds for up to ``WRITE_WAIT_S``.

    The wait is ours rather than SQLite's busy handler (whose retries are up to 100 ms apart), so a
    write gets the lock in the first short pause between another program's batches.

    Raises:
        DatabaseBusy: the lock stayed taken for ``WRITE_WAIT_S``; nothing was begun.
    """
    deadline = time.monotonic() + WRITE_WAIT_S
    conn.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() >= deadline:
                    if is_busy(exc):
                        raise DatabaseBusy() from exc
                    raise
            time.sleep(WRITE_POLL_S)
    finally:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction (``BEGIN IMMEDIATE``, like the writer engine): commit, or roll back on error.

    Like a unit of work, it gives its transaction a ``tx_id`` for the outbox rows it writes.

    Raises:
        DatabaseBusy: another program kept the write lock for ``WRITE_WAIT_S`` (see ``begin_immediate``).
    """
    begin_immediate(conn)
    try:
        conn.execute(MARK_TX_SQL, (new_id(), 0))
        yield conn
        conn.execute(CLEAR_TX_SQL)
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
