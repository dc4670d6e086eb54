"""Saving a pulled page: every change upserted by primary key into its synced table, checked first.

Generic over the synced tables of ``app.db.models`` (SQLAlchemy Core): a change's payload holds the
row's columns as the owner's outbox trigger wrote them (SQLite's stored text for times, 0/1 for
booleans), so they are written back as they are. A payload of an older ``schema_version`` may lack
columns (a new row takes the models' defaults for them) and keys this release no longer has are
ignored; a payload of a newer version than this release knows is refused: upgrade the program first.

A change is refused, and with it the whole page (nothing of it is written, the cursor stays), when it
claims to be owned by this site (an echo or a forgery), when its payload's owner is not the site the hub
says sent it, when its id is not the record's, or when the row here is owned by another site. The
caller runs all of this inside one transaction begun with ``mark_transaction(applying_remote=True)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, column, table, update
from sqlalchemy.sql.expression import TableClause

from app.db.models import Base
from app.db.outbox import APPEND_ONLY
from app.db.sync_schema import schema_versions
from app.sync import protocol as p

from .transport import SyncError

_VERSIONS: dict[str, int] = {}


def _versions() -> dict[str, int]:
    if not _VERSIONS:
        _VERSIONS.update(schema_versions())
    return _VERSIONS


def _refuse(change: p.Change, why: str) -> SyncError:
    return SyncError(f"乡镇同步服务发来的第 {change.seq} 号变化（数据表 {change.table_name}，记录 {change.record_id}）"
                     f"{why}。为保护本站数据，这一页变化都没有保存；请联系乡镇管理员", "同步")


def check(change: p.Change, local_site_id: str) -> None:
    """Refuse a change that this site must not save.

    Raises:
        SyncError: an unknown table, a newer schema, an echo of this site's own record, a payload whose
            owner or id disagrees with what the hub says.
    """
    known = _versions().get(change.table_name)
    if known is None:
        raise _refuse(change, "属于本机不认识的数据表，可能本机村医通版本较旧，请先升级")
    if change.schema_version > known:
        raise SyncError(f"数据表 {change.table_name} 的格式（版本 {change.schema_version}）比本机村医通新（版本 {known}），"
                        "请先升级本机村医通再同步；已收到的数据都保留着", "同步")
    payload = change.payload
    if change.owner_site_id == local_site_id or payload.get("owner_site_id") == local_site_id:
        raise _refuse(change, "声称属于本站，但本站的记录只能由本站写入")
    if payload.get("owner_site_id") != change.owner_site_id:
        raise _refuse(change, f"内容中的所属站点与发送站点（{change.owner_site_id}）不一致")
    if str(payload.get("id")) != change.record_id:
        raise _refuse(change, "内容中的编号与记录编号不一致")
    missing = [f for f in p.BASE_FIELDS if payload.get(f) is None]
    if missing:
        raise _refuse(change, f"缺少字段 {'、'.join(missing)}")


@cache
def _columns(name: str) -> frozenset[str]:
    return frozenset(Base.metadata.tables[name].columns.keys())


def _row(change: p.Change) -> dict[str, Any]:
    payload, columns = change.payload, _columns(change.table_name)
    if payload.keys() <= columns:
        return dict(payload)
    return {k: v for k, v in payload.items() if k in columns}


def apply_changes(conn: Connection, local_site_id: str, changes: Iterable[p.Change]) -> set[str]:
    """Check every change, then upsert them as if one by one in order; returns the names of the tables written.

    Each change inserts its row, or updates it when the change is not older than it; an append-only
    row is never updated. The page is settled in memory first (a record's later change in the page
    folds into its insert or update) and written per table with one statement per column set:
    the rows as the last change of each record leaves them, updates before inserts.

    Raises:
        SyncError: a change was refused (see :func:`check`); nothing is written, the caller's transaction
            rolls back.
    """
    changes = list(changes)
    for change in changes:
        check(change, local_site_id)
    current = _current(conn, changes)
    inserts: dict[str, dict[str, dict[str, Any]]] = {}
    updates: dict[str, dict[str, dict[str, Any]]] = {}
    for change in changes:
        name, record_id, values = change.table_name, change.record_id, _row(change)
        held = current[name].get(record_id)
        if held is None:
            inserts.setdefault(name, {})[record_id] = values
        else:
            owner, version = held
            if owner != change.owner_site_id:
                raise _refuse(change, f"要改写的记录在本机属于另一站点（{owner}）")
            if name in APPEND_ONLY or int(values.get("version") or 0) < version:
                continue  # an append-only row never changes; an older version is already superseded here
            pending = inserts.get(name, {}).get(record_id)
            if pending is not None:
                pending.update(values)  # inserted by an earlier change of this page: insert it as it ends
            else:
                updates.setdefault(name, {}).setdefault(record_id, {}).update(values)
        current[name][record_id] = (change.owner_site_id, int(values.get("version") or 0))
    for name, rows in updates.items():
        _update(conn, name, rows)
    for name, rows in inserts.items():
        _insert(conn, name, list(rows.values()))
    return set(inserts) | set(updates)


def _current(conn: Connection, changes: list[p.Change]) -> dict[str, dict[str, tuple[str, int]]]:
    """Per table of the page: the owner and version of each of its records this database holds."""
    ids: dict[str, dict[str, None]] = {}
    for change in changes:
        ids.setdefault(change.table_name, {})[change.record_id] = None
    held: dict[str, dict[str, tuple[str, int]]] = {}
    for name, wanted in ids.items():
        # the site database is SQLite: the ids travel as ONE JSON array (no statement of hundreds of parameters)
        rows = conn.exec_driver_sql(f"SELECT id, owner_site_id, version FROM {_quoted(name)} "
                                    "WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(wanted)),))
        held[name] = {str(row_id): (owner, int(version or 0)) for row_id, owner, version in rows}
    return held


def _target(name: str, columns: Iterable[str]) -> TableClause:
    # untyped columns: the payload's values go in exactly as the owner's database stored them
    return table(name, *(column(c) for c in columns))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _insert(conn: Connection, name: str, rows: list[dict[str, Any]]) -> None:
    """Insert new rows; a column the sender's older schema did not have takes this release's default."""
    defaults = {col.name: col.default.arg for col in Base.metadata.tables[name].columns
                if col.default is not None and col.default.is_scalar}
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in rows:
        for key, value in defaults.items():
            values.setdefault(key, value)
        groups.setdefault(tuple(values), []).append(values)
    for columns, group in groups.items():
        # the site database is SQLite: one prepared INSERT run over plain tuples (no per-row SQLAlchemy work)
        sql = (f"INSERT INTO {_quoted(name)} ({', '.join(_quoted(c) for c in columns)}) "
               f"VALUES ({', '.join('?' * len(columns))})")
        conn.exec_driver_sql(sql, [tuple(values.values()) for values in group])


def _update(conn: Connection, name: str, rows: dict[str, dict[str, Any]]) -> None:
    """Update existing rows, one statement per set of columns the changes bring."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for record_id, values in rows.items():
        changed = {k: v for k, v in values.items() if k != "id"}
        groups.setdefault(tuple(changed), []).append({**{f"v_{k}": v for k, v in changed.items()}, "k_id": record_id})
    for columns, group in groups.items():
        target = _target(name, ("id", *columns))
        statement = (update(target).where(target.c.id == bindparam("k_id"))
                     .values({c: bindparam(f"v_{c}") for c in columns}))
        conn.execute(statement, group)
