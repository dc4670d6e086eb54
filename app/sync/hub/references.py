"""The hub admits no record that refers to a record it does not hold.

A village may write rows that refer to one of its own rows the hub refused (a visit of a resident
whose registration was rejected because another village has registered him). Admitting them would
hand every site that may see them a row whose reference it can never resolve: the township's pull
would stop at that page for good. So a pushed record's references (the foreign keys of the site
schema, ``app.db.models``) must name a record the hub holds, or one written earlier in the same
page; a reference to a site must name a site the hub knows. Otherwise the op is rejected, with the
reference named, and the whole transaction with it.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from functools import cache

from sqlalchemy import Connection, select

from app.db.models import Base, synced_tables
from app.sync import protocol as p
from app.sync.names import FIELD_NAMES, TABLE_NAMES

from . import tables as t

_CHUNK = 500


@cache
def reference_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """Synced table → its (column, referenced synced table) pairs, from the site schema's foreign keys."""
    synced = set(synced_tables())
    out: dict[str, list[tuple[str, str]]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name not in synced:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name in synced and fk.column.name == "id":
                out.setdefault(table.name, []).append((fk.parent.name, fk.column.table.name))
    return {name: tuple(pairs) for name, pairs in out.items()}


def _references(ops: Iterable[p.Op]) -> Iterable[tuple[str, str, str]]:
    """(column, referenced table, referenced id) of every non-empty reference in ``ops``."""
    columns = reference_columns()
    for op in ops:
        for column, target in columns.get(op.table_name, ()):
            value = op.payload.get(column)
            if isinstance(value, str) and value:
                yield column, target, value


def held(conn: Connection, ops: Sequence[p.Op]) -> set[tuple[str, str]]:
    """The (table, record id) the page's ops refer to that the hub holds already (sites aside)."""
    wanted: dict[str, set[str]] = {}
    for _c, target, value in _references(ops):
        if target != "sites":
            wanted.setdefault(target, set()).add(value)
    found: set[tuple[str, str]] = set()
    rec = t.records.c
    for table, values in wanted.items():  # per table: each lookup searches the primary key (table, id)
        ids = sorted(values)
        for start in range(0, len(ids), _CHUNK):
            rows = conn.execute(select(rec.table_name, rec.record_id).where(
                rec.table_name == table, rec.record_id.in_(ids[start:start + _CHUNK])))
            found.update((row.table_name, row.record_id) for row in rows)
    return found


def _in_any(key: tuple[str, str], containers: Iterable[Container[tuple[str, str]]]) -> bool:
    for container in containers:
        if key in container:
            return True
    return False


def missing(op: p.Op, sites: Container[str], *known: Container[tuple[str, str]]) -> tuple[str, str, str] | None:
    """(field, reason, what to do) when ``op`` refers to a record the hub does not hold, else None.

    Args:
        op: the pushed op.
        sites: the site ids the hub knows.
        known: containers of (table, record id) the hub holds or the page wrote before ``op``.
    """
    payload = op.payload
    for column, target in reference_columns().get(op.table_name, ()):
        value = payload.get(column)
        if not isinstance(value, str) or not value:
            continue
        if value in sites if target == "sites" else _in_any((target, value), known):
            continue
        what, field = TABLE_NAMES.get(target, target), FIELD_NAMES.get(column, column)
        return (column,
                f"{TABLE_NAMES.get(op.table_name, op.table_name)}记录的“{field}”指向的{what}记录不在乡镇同步服务上"
                f"（它被拒绝了，或不属于本乡镇）",
                f"请先在“同步”页处理被拒绝的{what}记录；这条记录和它同一次保存的内容都没有上传")
    return None
