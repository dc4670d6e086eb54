"""No synced table can skip the outbox, and append-only tables refuse UPDATE and DELETE.

The rows are written with raw SQL on a plain ``sqlite3`` connection (foreign keys on), so what is
proved is the database's own guarantee (the triggers), not something the ORM happens to do.
Every table of ``synced_tables()`` is walked, so a new model is covered the day it is added.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Boolean, Date, DateTime, Integer, Text

from app.bootstrap import bootstrap
from app.db.models import Base, Household, synced_tables
from app.db.outbox import APPEND_ONLY
from app.domain.ids import new_id

STAMP = "2026-03-05 10:20:30.000000"
_serial = itertools.count(1)


class RowMaker:
    """Inserts one minimal valid row into any table, creating the parents its foreign keys need."""

    def __init__(self, con: sqlite3.Connection, owner: str) -> None:
        self.con = con
        self.owner = owner

    def value(self, table: str, column) -> object:  # noqa: ANN001
        name = column.name
        if name == "id" and column.type.python_type is str:
            return new_id()
        if name == "owner_site_id":
            return self.owner
        if name == "version":
            return 1
        for fk in column.foreign_keys:
            target = fk.column.table.name
            if column.nullable:
                return None
            return self.insert(target)
        if column.nullable:
            return None
        kind = column.type
        if isinstance(kind, Boolean):
            return 0
        if isinstance(kind, DateTime):
            return STAMP
        if isinstance(kind, Date):
            return "2026-03-05"
        if isinstance(kind, Integer):
            return next(_serial)
        if isinstance(kind, Text):
            return "{}"
        length = getattr(kind, "length", None) or 16
        return f"v{next(_serial)}"[:length]

    def row(self, table: str) -> dict[str, object]:
        columns = Base.metadata.tables[table].columns
        return {c.name: self.value(table, c) for c in columns if not (c.primary_key and c.autoincrement is True)}

    def insert(self, table: str, **overrides: object) -> str:
        row = {**self.row(table), **overrides}
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.con.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values()))
        self.last_row = row
        return str(row.get("id"))


@pytest.fixture
def site_db(tmp_path: Path) -> Iterator[tuple[sqlite3.Connection, str]]:
    sv = bootstrap(tmp_path / "data", backup_before_migrate=False)
    site = sv.sites.create_standalone("township", "测试卫生院", "admin", "secret123")
    sv.close()
    con = sqlite3.connect(tmp_path / "data" / "cunyi.db", isolation_level=None)
    con.execute("PRAGMA foreign_keys=ON")
    try:
        yield con, site.id
    finally:
        con.close()


def _outbox(con: sqlite3.Connection, record_id: str) -> list[tuple[str, str, dict]]:
    rows = con.execute(
        "SELECT table_name, record_id, payload FROM outbox WHERE record_id = ? ORDER BY local_seq", (record_id,)
    ).fetchall()
    return [(t, r, json.loads(p)) for t, r, p in rows]


def test_every_synced_table_has_both_outbox_triggers(site_db: tuple[sqlite3.Connection, str]) -> None:
    con, _ = site_db
    triggers = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    tables = synced_tables()
    assert len(tables) >= 15 and "stock_movements" in tables and "settlements" in tables
    for table in tables:
        assert {f"outbox_insert_{table}", f"outbox_update_{table}"} <= triggers, table


@pytest.mark.parametrize("table", synced_tables())
def test_local_insert_and_update_queue_exactly_one_outbox_row_each(
    site_db: tuple[sqlite3.Connection, str], table: str
) -> None:
    con, site_id = site_db
    maker = RowMaker(con, site_id)
    record_id = maker.insert(table)
    inserted = maker.last_row
    queued = _outbox(con, record_id)
    assert len(queued) == 1
    name, rid, payload = queued[0]
    assert (name, rid) == (table, record_id)
    assert payload == inserted  # every column, as written
    if table in APPEND_ONLY:
        with pytest.raises(sqlite3.IntegrityError, match=APPEND_ONLY[table][:6]):
            con.execute(f"UPDATE {table} SET version = 2 WHERE id = ?", (record_id,))
        with pytest.raises(sqlite3.IntegrityError, match=APPEND_ONLY[table][:6]):
            con.execute(f"DELETE FROM {table} WHERE id = ?", (record_id,))
        assert len(_outbox(con, record_id)) == 1
        return
    con.execute(f"UPDATE {table} SET version = 2, updated_at = ? WHERE id = ?", ("2026-03-06 08:00:00.000000", record_id))
    queued = _outbox(con, record_id)
    assert len(queued) == 2
    assert queued[1][0] == table and queued[1][2]["version"] == 2
    assert queued[1][2]["updated_at"] == "2026-03-06 08:00:00.000000"


@pytest.mark.parametrize("table", synced_tables())
def test_rows_owned_by_another_site_are_not_queued(site_db: tuple[sqlite3.Connection, str], table: str) -> None:
    con, site_id = site_db
    other = new_id()
    con.execute("INSERT INTO sites (id, owner_site_id, created_at, updated_at, version, kind, name, code, region, "
                "address, phone) VALUES (?, ?, ?, ?, 1, 'village', '别的村卫生室', '', '', '', '')",
                (other, other, STAMP, STAMP))
    before = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
    maker = RowMaker(con, site_id)
    row = maker.row(table)  # parents (if any) are local and queue; the row itself must not
    after_parents = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
    row["owner_site_id"] = other
    con.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))
    assert _outbox(con, str(row["id"])) == []
    assert con.execute("SELECT count(*) FROM outbox").fetchone()[0] == after_parents >= before
    if table not in APPEND_ONLY:
        con.execute(f"UPDATE {table} SET version = 2 WHERE id = ?", (row["id"],))
        assert _outbox(con, str(row["id"])) == []


def test_audit_log_is_append_only(site_db: tuple[sqlite3.Connection, str]) -> None:
    con, _ = site_db
    audit_id = con.execute("SELECT max(id) FROM audit_log").fetchone()[0]  # the site.create row
    assert audit_id is not None
    with pytest.raises(sqlite3.IntegrityError, match="审计日志只能追加"):
        con.execute("UPDATE audit_log SET actor = 'x' WHERE id = ?", (audit_id,))
    with pytest.raises(sqlite3.IntegrityError, match="审计日志只能追加"):
        con.execute("DELETE FROM audit_log WHERE id = ?", (audit_id,))


def test_unit_of_work_update_bumps_version_and_queues(tmp_path: Path) -> None:
    sv = bootstrap(tmp_path / "data", backup_before_migrate=False)
    try:
        site = sv.sites.create_standalone("village", "测试村卫生室", "admin", "secret123")
        with sv.db.unit_of_work() as uow:
            household = Household(site_id=site.id, address="一组1号")
            uow.session.add(household)
        with sv.db.unit_of_work() as uow:
            uow.session.get(Household, household.id).address = "一组2号"
        with sv.db.read() as s:
            payloads = [json.loads(p) for (p,) in s.execute(
                Base.metadata.tables["outbox"].select().with_only_columns(Base.metadata.tables["outbox"].c.payload)
                .where(Base.metadata.tables["outbox"].c.record_id == household.id)
                .order_by(Base.metadata.tables["outbox"].c.local_seq)
            )]
    finally:
        sv.close()
    assert [(p["address"], p["version"]) for p in payloads] == [("一组1号", 1), ("一组2号", 2)]
    assert payloads[0]["owner_site_id"] == site.id
