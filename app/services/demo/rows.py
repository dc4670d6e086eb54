"""Bulk rows for the demo builder: fast UUIDv7 ids, SQLite text formats and a buffered writer.

The demo writes millions of rows, so it bypasses the ORM: rows are plain tuples inserted with
``executemany`` on one ``sqlite3`` connection, a few large transactions at a time. Every synced
row still gets what the unit of work would give it (``id``, ``owner_site_id``, ``created_at``,
``updated_at``, ``version``) and the database's own triggers still write the outbox for rows owned by
the local site. Columns the demo does not name take the model's default, so a later migration that
adds a column with a default does not break the demo.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from app.db.models import Base, synced_tables
from app.db.outbox import SYNC_COLUMNS, clear_transaction, mark_transaction, outbox_trigger_sql

_MASK62 = (1 << 62) - 1
_VARIANT = 1 << 63


class IdFactory:
    """UUIDv7 strings (RFC 9562: 48-bit Unix milliseconds, version 7, variant 10), monotonic.

    ``app.domain.ids.new_id`` makes one id at a time; this makes millions quickly. Within one
    millisecond the 74 random bits are a counter that starts at a random value and goes up by one
    (RFC 9562 §6.2, method 2), so ids are unique and increase in the order they are made, which also
    keeps SQLite's primary-key B-trees appending.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._ms = 0
        self._counter = 0
        self._made = 0
        self._prefix = ""
        self._tick()

    def _tick(self) -> None:
        ms = time.time_ns() // 1_000_000
        if ms > self._ms:
            self._ms = ms
            self._counter = self._rng.getrandbits(70)  # 4 bits of head-room for the increments
            self._prefix = f"{ms:012x}7"

    def __call__(self) -> str:
        self._made += 1
        if not self._made & 1023:
            self._tick()
        c = self._counter = self._counter + 1
        h = f"{self._prefix}{c >> 62:03x}{(c & _MASK62) | _VARIANT:016x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def dt_text(value: datetime) -> str:
    """A datetime as SQLAlchemy stores it in SQLite (so text comparisons agree with ORM rows)."""
    return value.isoformat(" ", "microseconds")


def day_text(value: date) -> str:
    return value.isoformat()


class TableSpec:
    """The INSERT of one table for the columns the demo names; the others get their model default."""

    def __init__(self, table: str, columns: Sequence[str]) -> None:
        meta = Base.metadata.tables[table]
        known = {c.name for c in meta.columns}
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise KeyError(f"{table}: unknown columns {unknown}")
        self.table = table
        self.columns = tuple(columns)
        extra_names: list[str] = []
        extra_values: list[Any] = []
        for column in meta.columns:
            if column.name in columns:
                continue
            default = column.default
            if default is not None and getattr(default, "is_scalar", False):
                value = default.arg
                extra_values.append(int(value) if isinstance(value, bool) else value)
            elif column.nullable or column.primary_key:
                extra_values.append(None)
            else:
                raise KeyError(f"{table}.{column.name} has no default; the demo must fill it")
            extra_names.append(column.name)
        self.extra = tuple(extra_values)
        names = self.columns + tuple(extra_names)
        marks = ", ".join("?" for _ in names)
        self.sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"


#: columns every synced table starts with, in this order, in the demo's row tuples
SYNCED = SYNC_COLUMNS


class BulkWriter:
    """Buffers row tuples per table and inserts them in foreign-key order with ``executemany``."""

    def __init__(self, con: sqlite3.Connection, flush_rows: int = 200_000) -> None:
        self.con = con
        self.flush_rows = flush_rows
        self.specs: dict[str, TableSpec] = {}
        self.buffers: dict[str, list[tuple]] = {}
        self.counts: dict[str, int] = {}
        self._pending = 0
        self._order = [t.name for t in Base.metadata.sorted_tables]

    def define(self, table: str, columns: Sequence[str], synced: bool = True) -> Callable[[tuple], None]:
        """Declare the columns of ``table``'s tuples; returns an ``add(row)`` function for it."""
        spec = TableSpec(table, (SYNCED + tuple(columns)) if synced else tuple(columns))
        self.specs[table] = spec
        buffer = self.buffers.setdefault(table, [])
        extra = spec.extra

        if extra:
            def add(row: tuple) -> None:
                buffer.append(row + extra)
                self._pending += 1
        else:
            def add(row: tuple) -> None:
                buffer.append(row)
                self._pending += 1

        return add

    def maybe_flush(self) -> None:
        if self._pending >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        """Insert everything buffered, parents before children."""
        for table in self._order:
            rows = self.buffers.get(table)
            if rows:
                self.con.executemany(self.specs[table].sql, rows)
                self.counts[table] = self.counts.get(table, 0) + len(rows)
                rows.clear()
        self._pending = 0

    def insert_payload(self, payload: dict[str, list[tuple]]) -> None:
        """Insert rows another process buffered with the same table definitions, parents first."""
        for table in self._order:
            rows = payload.get(table)
            if rows:
                self.con.executemany(self.specs[table].sql, rows)
                self.counts[table] = self.counts.get(table, 0) + len(rows)


def secondary_indexes(con: sqlite3.Connection, tables: Iterable[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the explicit indexes of ``tables`` (not the UNIQUE autoindexes)."""
    wanted = set(tables)
    rows = con.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    return [(name, sql) for name, table, sql in rows if table in wanted and " UNIQUE " not in sql.upper()]


# -- the outbox during a bulk load ---------------------------------------------------------------
def drop_outbox_triggers(con: sqlite3.Connection) -> None:
    """Suspend the outbox triggers for a bulk load (``queue_local_rows`` puts them back).

    A row trigger costs SQLite ~20 µs per inserted row even when its WHEN clause is false, which for
    the ten-year demo is minutes; the set-based INSERT … SELECT afterwards queues the same rows.
    """
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'outbox_%'").fetchall():
        con.execute(f"DROP TRIGGER {name}")


def queue_local_rows(con: sqlite3.Connection) -> int:
    """Queue every row owned by the local site, exactly as the insert trigger would, then restore
    the triggers. Tables go parents-first, rows in insertion order, so a push never sends a
    child before its parent. Called inside a transaction: the rows are queued as that one
    transaction (one ``tx_id``). Returns the number of outbox rows written."""
    mark_transaction(con)
    before = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
    synced = set(synced_tables())
    for table in (t.name for t in Base.metadata.sorted_tables if t.name in synced):
        trigger = outbox_trigger_sql(table)[0]
        head, _, values = trigger.partition(" VALUES (")
        insert = head[head.index("INSERT INTO outbox"):]
        if not values.endswith("); END") or "(op_id, table_name, record_id" not in insert:
            raise RuntimeError(f"unexpected outbox trigger for {table}: {trigger[:80]}")
        select = values[: -len("); END")].replace("NEW.", "")
        con.execute(f"{insert} SELECT {select} FROM {table} "
                    "WHERE owner_site_id = (SELECT site_id FROM local_site WHERE id = 1) ORDER BY rowid")
        for sql in outbox_trigger_sql(table):
            con.execute(sql)
    clear_transaction(con)
    return con.execute("SELECT count(*) FROM outbox").fetchone()[0] - before

