"""Applying a pushed page: dedup, ownership, the township-wide resident ID number, the changelog.

A page is checked whole before anything is read (``check_page``). Then, inside one database transaction
holding the writer's lock, each of its transactions is checked against the hub's records and applied
whole, or rejected whole (``apply_page``): a rejected transaction writes only its ``rejected_ops`` rows.
What the page holds is read once, the checks run in memory, and the page's rows are written at the end
with one statement per table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select

from app.db.sync_schema import schema_versions
from app.domain import clock
from app.sync import protocol as p
from app.sync.names import TABLE_NAMES

from . import blobs as hub_blobs
from . import references
from . import tables as t
from .service import HubError, SiteRow

_CHUNK = 500
_VERSIONS: dict[str, int] = {}


def _malformed(message: str, field: str) -> HubError:
    return HubError(422, p.MALFORMED, message, field)


def check_page(req: p.PushRequest) -> None:
    """Refuse a page that is out of order, too big, or does not end on a transaction boundary.

    Raises:
        HubError: 413 for a page of more than ``MAX_PAGE_OPS`` ops (unless it is one transaction), 422 otherwise.
    """
    if not _VERSIONS:
        _VERSIONS.update(schema_versions())
    previous, op_ids, groups, seen = 0, set(), [], set()
    for op in req.ops:
        if op.local_seq <= previous:
            raise _malformed(f"第 {op.local_seq} 号记录排在第 {previous} 号之后：一页内的记录应按 local_seq 从小到大排列",
                             "ops.local_seq")
        previous = op.local_seq
        if op.op_id in op_ids:
            raise _malformed(f"操作编号 {op.op_id} 在本页出现了两次", "ops.op_id")
        op_ids.add(op.op_id)
        if groups and groups[-1][0] == op.tx_id:
            groups[-1][1] += 1
        elif op.tx_id in seen:
            raise _malformed(f"同一次保存（事务 {op.tx_id}）的记录在本页中不连续", "ops.tx_id")
        else:
            groups.append([op.tx_id, 1])
            seen.add(op.tx_id)
        if op.table_name not in _VERSIONS:
            raise _malformed(f"乡镇同步服务不认识数据表 {op.table_name}", "ops.table_name")
        if op.schema_version > _VERSIONS[op.table_name]:
            raise HubError(422, p.SCHEMA_TOO_NEW, f"数据表 {op.table_name} 的格式（版本 {op.schema_version}）比乡镇同步服务新，"
                           "请乡镇管理员先升级 cunyi-hub；本站数据都保留在待同步队列里", "ops.schema_version")
    if req.ops and req.ops[-1].local_seq > req.last_local_seq:
        raise _malformed(f"记录序号 {req.ops[-1].local_seq} 大于请求所说的 last_local_seq {req.last_local_seq}",
                         "last_local_seq")
    if len(req.ops) > p.MAX_PAGE_OPS and len(groups) > 1:
        raise HubError(413, p.PAGE_TOO_BIG, f"一页最多 {p.MAX_PAGE_OPS} 条记录（只有一次保存的大事务可以单独超过），"
                       f"本页有 {len(req.ops)} 条，请分页发送", "ops")
    for tx_id, count in groups:
        size = req.tx_sizes.get(tx_id)
        if size != count:
            raise _malformed(f"本页没有在事务边界结束：事务 {tx_id} 共有 {size if size is not None else '（未说明）'} 条记录，"
                             f"本页带了 {count} 条；同一次保存的记录必须在同一页里发送", "tx_sizes")


def _in(conn: Connection, build, values: Iterable[Any]) -> list[Any]:
    """The rows of ``build(ids)`` for all ``values``: on SQLite one query with the values as ONE JSON array
    parameter (no statement of hundreds of parameters to build), elsewhere a query per chunk of values."""
    values, rows = list(dict.fromkeys(values)), []
    if not values:
        return rows
    if conn.dialect.name == "sqlite":
        return conn.execute(build(select(func.json_each(json.dumps(values)).table_valued("value").c.value))).all()
    for start in range(0, len(values), _CHUNK):
        rows += conn.execute(build(values[start:start + _CHUNK])).all()
    return rows


#: a payload as the hub stores it; made once (``json.dumps`` with these options builds an encoder per call)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _dumps(payload: dict[str, Any]) -> str:
    return _ENCODER.encode(payload)


class _State:
    """What the hub holds about the page's records, updated as its transactions are applied."""

    def __init__(self, conn: Connection, site: SiteRow, ops: Sequence[p.Op]) -> None:
        s, a, r, rec, rid = t.hub_sites.c, t.applied_ops.c, t.rejected_ops.c, t.records.c, t.resident_ids.c
        ids = [op.op_id for op in ops]
        self.applied = {row[0] for row in _in(conn, lambda v: select(a.op_id).where(a.site_id == site.site_id,
                                                                                   a.op_id.in_(v)), ids)}
        self.rejected = {row.op_id: row for row in _in(conn, lambda v: select(r.op_id, r.field, r.reason, r.action).where(
            r.site_id == site.site_id, r.op_id.in_(v)), ids)}
        by_table: dict[str, list[str]] = {}
        for op in ops:
            by_table.setdefault(op.table_name, []).append(op.record_id)
        # per table, so each lookup searches the primary key (table_name, record_id), not every record held
        self.owners = {(row[0], row[1]): row[2] for table, record_ids in by_table.items() for row in _in(
            conn, lambda v, table=table: select(rec.table_name, rec.record_id, rec.owner_site_id).where(
                rec.table_name == table, rec.record_id.in_(v)), record_ids)}
        residents = [op for op in ops if op.table_name == "residents"]
        numbers = [n for n in (_id_number(op) for op in residents) if n]
        held = _in(conn, lambda v: select(rid.id_number, rid.record_id, rid.owner_site_id).where(rid.id_number.in_(v)),
                   numbers)
        held += _in(conn, lambda v: select(rid.id_number, rid.record_id, rid.owner_site_id).where(rid.record_id.in_(v)),
                    [op.record_id for op in residents])
        self.holder = {row[0]: (row[1], row[2]) for row in held}
        self.names = dict(conn.execute(select(s.site_id, s.name)).all())
        self.referred = references.held(conn, ops)
        self.next_seq = (conn.execute(select(func.max(t.changelog.c.seq))).scalar() or 0) + 1
        self.store: hub_blobs.BlobStore | None = None  # the files of case attachments (``apply_page``)


def _id_number(op: p.Op) -> str | None:
    value = op.payload.get("id_number")
    return value.strip().upper() if isinstance(value, str) and value.strip() else None


def _problem(op: p.Op, site: SiteRow, owners: dict, holder: dict, names: dict) -> tuple[str, str, str] | None:
    """Why ``op`` may not be applied (field, reason, what to do), or None."""
    what = TABLE_NAMES.get(op.table_name, op.table_name)
    owner = op.payload["owner_site_id"]
    if owner != site.site_id:
        return ("owner_site_id", f"这条{what}记录属于{names.get(owner, owner)}，本站不能上传它",
                "只有记录所属的站点可以修改它；请检查本站数据，或联系乡镇管理员")
    current = owners.get((op.table_name, op.record_id))
    if current is not None and current != site.site_id:
        name = names.get(current, current)
        return ("owner_site_id", f"这条{what}记录属于{name}，本站不能修改",
                f"如需修改，请联系{name}" + ("发起居民信息变更申请" if op.table_name == "residents" else ""))
    number = _id_number(op) if op.table_name == "residents" else None
    held = holder.get(number) if number else None
    if held and held[0] != op.record_id:
        if held[1] == site.site_id:
            return ("id_number", f"身份证号 {number} 已由本站另一位居民使用", "请核对身份证号，同一居民只登记一次")
        name = names.get(held[1], held[1])
        return ("id_number", f"身份证号 {number} 的居民已由{name}登记，不能重复登记",
                f"请勿重复登记；如需修改这位居民的信息，请联系{name}发起变更申请")
    return None


def apply_page(conn: Connection, site: SiteRow, ops: Sequence[p.Op],
               store: hub_blobs.BlobStore | None = None) -> list[dict[str, Any]]:
    """Apply each transaction of the page whole, or reject it whole; a status per op, in page order
    (each a :class:`~app.sync.protocol.OpResult` as its JSON object: no model per op).

    Each transaction is checked against the hub's records as the page's earlier transactions leave
    them (kept in memory); the rows of the whole page are then written with one statement per table. A case
    attachment row is applied only when ``store`` holds its file.
    """
    state = _State(conn, site, ops)
    state.store = store
    writes = _Writes(set(state.owners))
    results: list[dict[str, Any]] = []
    groups: list[list[p.Op]] = []
    for op in ops:
        if groups and groups[-1][0].tx_id == op.tx_id:
            groups[-1].append(op)
        else:
            groups.append([op])
    for members in groups:
        fresh = []
        for op in members:
            if op.op_id in state.applied:
                results.append(_result(op, "duplicate"))
            elif op.op_id in state.rejected:
                row = state.rejected[op.op_id]
                results.append(_result(op, "rejected", row.field, row.reason, row.action))
            else:
                fresh.append(op)
        if fresh:
            results += _apply_tx(site, state, writes, fresh)
    writes.flush(conn)
    order = {op.op_id: i for i, op in enumerate(ops)}
    return sorted(results, key=lambda r: order[r["op_id"]])


def _result(op: p.Op, status: str, field: str | None = None, reason: str | None = None,
            action: str | None = None) -> dict[str, Any]:
    result = {"op_id": op.op_id, "local_seq": op.local_seq, "status": status, "table_name": op.table_name,
              "record_id": op.record_id}
    if status == "rejected":  # field, reason and action default to null: an applied op's answer leaves them out
        result.update(field=field, reason=reason, action=action)
    return result


class _Writes:
    """The rows a page's applied and rejected transactions write, in the order they were applied."""

    def __init__(self, held: set[tuple[str, str]]) -> None:
        self.held = held  # the (table, record id) the hub held before the page: updated, not inserted
        self.changes: list[dict[str, Any]] = []
        self.applied: list[dict[str, Any]] = []
        self.latest: dict[tuple[str, str], dict[str, Any]] = {}
        self.numbers: dict[str, tuple[str | None, str]] = {}  # resident record id -> (ID number, owner) at the end
        self.rejected: list[dict[str, Any]] = []

    def flush(self, conn: Connection) -> None:
        if self.changes:
            _insert(conn, t.changelog, self.changes)
            _insert(conn, t.applied_ops, self.applied)
        _upsert_records(conn, self.held, self.latest)
        if self.numbers:
            rid = t.resident_ids.c
            for start in range(0, len(self.numbers), _CHUNK):
                conn.execute(t.resident_ids.delete().where(rid.record_id.in_(list(self.numbers)[start:start + _CHUNK])))
            rows = [{"id_number": n, "record_id": r, "owner_site_id": owner} for r, (n, owner) in self.numbers.items()
                    if n]
            if rows:
                conn.execute(t.resident_ids.insert(), rows)
        if self.rejected:
            conn.execute(t.rejected_ops.insert(), self.rejected)


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys): on SQLite one prepared statement run over plain tuples,
    as the values need no conversion (strings and integers); elsewhere SQLAlchemy's insert of many rows."""
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join('?' * len(columns))})")
    values = itemgetter(*columns)
    conn.exec_driver_sql(sql, [values(row) for row in rows])


def _apply_tx(site: SiteRow, state: _State, writes: _Writes, ops: list[p.Op]) -> list[dict[str, Any]]:
    # the records this transaction writes; their owner is the site. An op passes the ownership check only
    # when the page so far (``state.owners``) has no other owner for its record, so that check needs
    # ``state.owners`` alone, and a reference may name ``mine`` too (a record written earlier in the transaction)
    mine: dict[tuple[str, str], str] = {}
    residents = any(op.table_name == "residents" for op in ops)
    holder = dict(state.holder) if residents else state.holder  # only a resident changes it
    for op in ops:
        problem = _problem(op, site, state.owners, holder, state.names) or references.missing(
            op, state.names, state.referred, state.owners, mine) or hub_blobs.missing(op, state.store)
        if problem:
            writes.rejected += _reject(site, ops, op, *problem)
            return [_result(o, "rejected", r["field"], r["reason"], r["action"])
                    for o, r in zip(ops, writes.rejected[-len(ops):])]
        mine[(op.table_name, op.record_id)] = site.site_id
        if op.table_name == "residents":  # the resident's ID number moves to it (only a resident holds one)
            number = _id_number(op)
            for key in [k for k, v in holder.items() if v[0] == op.record_id and k != number]:
                del holder[key]
            if number:
                holder[number] = (op.record_id, site.site_id)
    owner, township, seq = site.site_id, site.township or None, state.next_seq
    for op in ops:
        to_site = op.payload.get(p.ADDRESSED_FIELD)
        change = {"seq": seq, "table_name": op.table_name, "record_id": op.record_id,
                  "owner_site_id": owner, "township_site_id": township,
                  "to_site_id": to_site if isinstance(to_site, str) and to_site else None,
                  "tx_id": op.tx_id, "schema_version": op.schema_version, "payload": _dumps(op.payload)}
        writes.changes.append(change)
        writes.applied.append({"site_id": owner, "op_id": op.op_id, "local_seq": op.local_seq,
                               "tx_id": op.tx_id, "seq": seq})
        writes.latest[(op.table_name, op.record_id)] = change
        if op.table_name == "residents":
            writes.numbers[op.record_id] = (_id_number(op), owner)
        seq += 1
    state.next_seq = seq
    state.owners.update(mine)
    state.holder = holder
    state.applied.update(op.op_id for op in ops)
    return [_result(op, "applied") for op in ops]


def _upsert_records(conn: Connection, held: set[tuple[str, str]], latest: dict) -> None:
    """Each record's latest row: inserted when the hub did not hold it before the page, else updated."""
    rec = t.records.c
    new = [c for key, c in latest.items() if key not in held]
    old = [c for key, c in latest.items() if key in held]
    if new:
        _insert(conn, t.records, [{k: c[k] for k in ("table_name", "record_id", "owner_site_id",
                                                      "schema_version", "payload", "seq")} for c in new])
    if old:
        conn.execute(t.records.update().where(rec.table_name == bindparam("k_table"), rec.record_id == bindparam("k_id"))
                     .values(schema_version=bindparam("v_version"), payload=bindparam("v_payload"), seq=bindparam("v_seq")),
                     [{"k_table": c["table_name"], "k_id": c["record_id"], "v_version": c["schema_version"],
                       "v_payload": c["payload"], "v_seq": c["seq"]} for c in old])


def _reject(site: SiteRow, ops: list[p.Op], bad: p.Op, field: str, reason: str, action: str) -> list[dict[str, Any]]:
    """The ``rejected_ops`` rows of a transaction rejected whole because of ``bad``."""
    rows = []
    for op in ops:
        if op is bad:
            why = (field, reason)
        else:
            why = (None, f"与它同一次保存的第 {bad.local_seq} 号记录被拒绝（{reason}），这一次保存的内容都没有写入乡镇同步服务")
        rows.append({"site_id": site.site_id, "op_id": op.op_id, "local_seq": op.local_seq, "tx_id": op.tx_id,
                     "table_name": op.table_name, "record_id": op.record_id, "field": why[0], "reason": why[1],
                     "action": action, "payload": _dumps(op.payload), "rejected_at": clock.now()})
    return rows
