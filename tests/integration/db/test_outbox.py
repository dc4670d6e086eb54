"""No synced table can skip the outbox, no synced row can be deleted, and append-only tables refuse UPDATE.

The outbox is the protocol log: its numbers are never reused, the rows of one transaction share a
``tx_id``, rows applied from the hub queue nothing, and each table's payload version is pinned.

The rows are written with raw SQL on a plain ``sqlite3`` connection (foreign keys on), so what is
proved is the database's own guarantee (the triggers), not something the ORM happens to do.
Every table of ``synced_tables()`` is walked, so a new model is covered the day it is added.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, Text, text

from app.bootstrap import bootstrap
from app.db.models import Base, Household, synced_tables
from app.db.outbox import APPEND_ONLY, NO_DELETE, SYNC_COLUMNS, clear_transaction, mark_transaction
from app.db.sync_schema import PINS, pin_errors, schema_versions, synced_columns
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


# -- the outbox as the protocol log (DESIGN §4) ---------------------------------------------------
def _seqs(con: sqlite3.Connection) -> list[int]:
    return [seq for (seq,) in con.execute("SELECT local_seq FROM outbox ORDER BY local_seq")]


def test_emptying_the_outbox_and_writing_again_continues_the_sequence(site_db: tuple[sqlite3.Connection, str]) -> None:
    con, site_id = site_db
    maker = RowMaker(con, site_id)
    maker.insert("households")
    last = _seqs(con)[-1]
    assert last > 1
    con.execute("DELETE FROM outbox")  # e.g. the rows the hub has acknowledged, removed
    maker.insert("households")  # and the site it belongs to
    after = _seqs(con)
    assert after == list(range(last + 1, last + 1 + len(after))) and after  # never a number handed out before


@pytest.mark.parametrize("table", synced_tables())
def test_delete_is_refused_on_every_synced_table(site_db: tuple[sqlite3.Connection, str], table: str) -> None:
    con, site_id = site_db
    record_id = RowMaker(con, site_id).insert(table)
    with pytest.raises(sqlite3.IntegrityError, match=APPEND_ONLY.get(table, NO_DELETE)):
        con.execute(f"DELETE FROM {table} WHERE id = ?", (record_id,))
    assert con.execute(f"SELECT count(*) FROM {table} WHERE id = ?", (record_id,)).fetchone()[0] == 1


def test_rows_of_one_transaction_share_its_tx_id_and_a_raw_write_gets_its_own(
    site_db: tuple[sqlite3.Connection, str]
) -> None:
    con, site_id = site_db
    maker = RowMaker(con, site_id)
    con.execute("BEGIN IMMEDIATE")
    tx_id = mark_transaction(con)
    ids = [maker.insert("households"), maker.insert("residents")]  # the resident's household queues too
    clear_transaction(con)
    con.execute("COMMIT")
    queued = con.execute(f"SELECT record_id, tx_id FROM outbox WHERE tx_id = '{tx_id}'").fetchall()
    assert {r for r, _ in queued} >= set(ids) and len(queued) >= 3
    assert con.execute("SELECT tx_id, applying_remote FROM outbox_tx").fetchall() == [(None, 0)]
    # a writer that marks nothing: each row is a transaction of its own, never the last one's id
    first, second = maker.insert("households"), maker.insert("households")
    (a,), (b,) = (con.execute("SELECT tx_id FROM outbox WHERE record_id = ?", (i,)).fetchall() for i in (first, second))
    assert len({a[0], b[0], tx_id}) == 3


def test_an_applied_pulled_row_queues_nothing(tmp_path: Path) -> None:
    sv = bootstrap(tmp_path / "data", backup_before_migrate=False)
    try:
        site = sv.sites.create_standalone("village", "测试村卫生室", "admin", "secret123")
        with sv.db.read() as s:
            before = s.scalar(text("SELECT count(*) FROM outbox"))
        # a site rebuilt from the hub pulls its own rows back: owned here, yet not to be sent again
        with sv.db.unit_of_work(applying_remote=True) as uow:
            pulled = Household(id=new_id(), owner_site_id=site.id, site_id=site.id, address="一组1号",
                               created_at=datetime(2026, 3, 1, 8), updated_at=datetime(2026, 3, 2, 8), version=3)
            uow.session.add(pulled)
        with sv.db.unit_of_work(applying_remote=True) as uow:
            uow.session.get(Household, pulled.id).address = "一组2号"
        with sv.db.read() as s:
            assert s.scalar(text("SELECT count(*) FROM outbox")) == before
            row = s.get(Household, pulled.id)
            assert (row.address, row.version) == ("一组2号", 3)  # kept as pulled: the owner bumps versions
        with sv.db.unit_of_work() as uow:  # the flag ends with its transaction
            uow.session.get(Household, pulled.id).address = "一组3号"
        with sv.db.read() as s:
            assert s.scalar(text("SELECT count(*) FROM outbox WHERE record_id = :id"), {"id": pulled.id}) == 1
    finally:
        sv.close()


def test_pending_rows_are_those_above_the_pushed_cursor(tmp_path: Path) -> None:
    sv = bootstrap(tmp_path / "data", backup_before_migrate=False)
    try:
        sv.sites.create_standalone("village", "测试村卫生室", "admin", "secret123")
        sv.session.actor = next(u for u in sv.users.list() if u.username == "admin").actor
        with sv.db.read() as s:
            total, last = s.execute(text("SELECT count(*), max(local_seq) FROM outbox")).one()
        assert sv.status.sync_state().pending == total > 2
        with sv.db.unit_of_work() as uow:  # the hub acknowledged all but the last row
            uow.session.execute(text("UPDATE local_site SET pushed_seq = :seq"), {"seq": last - 1})
        state = sv.status.sync_state()
        assert state.pending == 1 and state.label == "单机运行 · 待同步 1 条"
    finally:
        sv.close()


def test_schema_versions_are_pinned_to_the_columns() -> None:
    errors = pin_errors(synced_columns(), schema_versions())
    assert errors == [], "\n".join(errors)


def test_a_column_added_without_a_version_bump_fails_the_pin() -> None:
    metadata = MetaData()
    households = Base.metadata.tables["households"].to_metadata(metadata)
    households.append_column(Column("floor", Integer))
    columns = {**synced_columns(), "households": tuple(c.name for c in households.columns if c.name not in SYNC_COLUMNS)}
    versions = schema_versions()
    errors = pin_errors(columns, versions)
    assert len(errors) == 1 and errors[0].startswith("households: columns changed without a schema_version bump")
    # bumped without pinning the new version's columns: still refused, with what to add
    errors = pin_errors(columns, {**versions, "households": versions["households"] + 1})
    assert len(errors) == 1 and "has no pin" in errors[0] and "floor" in errors[0]
    # bumped and pinned (the old pin kept for the hub): accepted
    pins = {**PINS, "households": {**PINS["households"], versions["households"] + 1: " ".join(columns["households"])}}
    assert pin_errors(columns, {**versions, "households": versions["households"] + 1}, pins) == []
