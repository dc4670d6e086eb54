"""``cunyi demo``: the command, its refusal of a used folder, and that its data obeys the rules.

The small demo is built once per session (``demo_build``, the real command in a subprocess).
These tests read it back and prove it is what the services would have written: every split is the
policy engine's answer for the resident's cover and year-to-date figures at that moment, every
store's ledger runs in sequence with correct running balances, only the local site's rows are queued
in the outbox, and the data holds the situations the stock and settlement screens must show.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

import demo_checks as checks
import pytest
from demo_cli import run_cunyi

from app.bootstrap import bootstrap
from app.db.models import synced_tables
from app.domain import clock
from app.domain.errors import AuthError

DERIVED_IDS = {"transfer_receipts", "transfer_receipt_lines", "return_receipts"}
USERS = {"doctor", "admin", "doctor2", "doctor3", "pharmacist", "caseworker", "tadmin"}


@pytest.fixture(scope="module")
def con(demo_build) -> sqlite3.Connection:  # noqa: ANN001
    connection = sqlite3.connect(f"file:{demo_build.database}?mode=ro", uri=True)
    yield connection
    connection.close()


def _one(con: sqlite3.Connection, sql: str, *args: object) -> object:
    return con.execute(sql, args).fetchone()[0]


def test_demo_then_check_passes(demo_build, demo_copy: Path) -> None:  # noqa: ANN001
    assert "完成" in demo_build.progress and "村卫生室 3/3" in demo_build.progress
    summary = demo_build.summary
    assert summary["scale"] == "small" and summary["sites"] == 4 and summary["site_name"] == "东坡村卫生室"
    assert 400 <= summary["residents"] <= 520 and summary["visits"] > 600 and summary["movements"] > summary["visits"]
    assert set(summary["users"]) == USERS
    assert all(u["password"] == "demo1234" for u in summary["users"].values())
    assert {n for n, u in summary["users"].items() if u["can_sign_in_here"]} == {"doctor", "admin"}
    result = run_cunyi("check", "--data", str(demo_copy))
    assert result.returncode == 0, result.stderr


def test_demo_refuses_a_folder_that_holds_a_site(demo_copy: Path) -> None:
    db = demo_copy / "cunyi.db"
    before = db.read_bytes()
    result = run_cunyi("demo", "--data", str(demo_copy))
    assert result.returncode == 1
    assert "已经有机构数据" in result.stderr and "空文件夹" in result.stderr
    assert db.read_bytes() == before


def test_demo_users_sign_in_at_the_village(demo_copy: Path) -> None:
    sv = bootstrap(demo_copy)
    try:
        assert sv.identity.local_site().name == "东坡村卫生室"
        assert sv.identity.sign_in("doctor", "demo1234").role.value == "village_doctor"
        assert sv.identity.sign_in("admin", "demo1234").role.value == "admin"
        with pytest.raises(AuthError):
            sv.identity.sign_in("pharmacist", "demo1234")  # works at the township, not here
    finally:
        sv.close()


def test_demo_as_the_township_signs_in_township_staff(tmp_path: Path) -> None:
    result = run_cunyi("demo", "--data", str(tmp_path / "t"), "--site", "township")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["site_name"] == "示例镇卫生院"
    sv = bootstrap(tmp_path / "t")
    try:
        assert sv.identity.local_site().kind.value == "township"
        assert sv.identity.sign_in("pharmacist", "demo1234").role.value == "township_pharmacist"
        with pytest.raises(AuthError):
            sv.identity.sign_in("doctor", "demo1234")  # a village doctor signs in at the village
    finally:
        sv.close()
    assert run_cunyi("check", "--data", str(tmp_path / "t")).returncode == 0
    bad = run_cunyi("demo", "--data", str(tmp_path / "u"), "--site", "county")
    assert bad.returncode == 2 and "county" in bad.stderr


def test_every_settlement_is_the_engine_split_at_its_time(con: sqlite3.Connection) -> None:
    checks.settlements_are_engine_splits(con, clock.today())


def test_store_ledgers_run_in_sequence_with_correct_balances(con: sqlite3.Connection) -> None:
    checks.ledgers_run_in_sequence(con, clock.today())


def test_only_the_local_sites_rows_are_queued(con: sqlite3.Connection) -> None:
    local = _one(con, "SELECT site_id FROM local_site")
    owned = sum(_one(con, f"SELECT count(*) FROM {t} WHERE owner_site_id = ?", local) for t in synced_tables())
    assert owned == _one(con, "SELECT count(*) FROM outbox") > 1000
    queued_elsewhere = 0
    for table in synced_tables():
        queued_elsewhere += _one(con, f"SELECT count(*) FROM outbox o JOIN {table} t ON t.id = o.record_id "
                                      "AND o.table_name = ? WHERE t.owner_site_id != ?", table, local)
        ids = [r for (r,) in con.execute(f"SELECT id FROM {table} LIMIT 50")]
        # a receipt of a shipment answers it with a deterministic id (uuid5), everything else is a UUIDv7
        assert all(uuid.UUID(i).version == (5 if table in DERIVED_IDS else 7) for i in ids), table
        assert _one(con, f"SELECT count(*) FROM {table} WHERE version != 1 OR created_at > updated_at") == 0
    assert queued_elsewhere == 0
    # the payload is the whole row, as the trigger writes it, and parents are queued before children
    con.row_factory = sqlite3.Row
    try:
        for table in ("residents", "visits", "stock_movements"):
            row = con.execute(f"SELECT * FROM {table} WHERE owner_site_id = ? LIMIT 1", (local,)).fetchone()
            payload = _one(con, "SELECT payload FROM outbox WHERE record_id = ?", row["id"])
            assert json.loads(payload) == dict(row)
    finally:
        con.row_factory = None
    assert _one(con, "SELECT count(DISTINCT op_id) FROM outbox") == _one(con, "SELECT count(*) FROM outbox")
    # the bulk load queues its rows in one transaction, with one tx_id, as a unit of work would
    assert _one(con, "SELECT count(DISTINCT tx_id) FROM outbox WHERE tx_id IS NOT NULL") == 1
    assert _one(con, "SELECT tx_id FROM outbox_tx") is None
    assert _one(con, "SELECT count(*) FROM outbox m JOIN stock_movements s ON s.id = m.record_id "
                     "JOIN outbox b ON b.record_id = s.batch_id WHERE b.local_seq > m.local_seq") == 0
    assert _one(con, "SELECT count(*) FROM outbox l JOIN prescription_lines p ON p.id = l.record_id "
                     "JOIN outbox v ON v.record_id = p.visit_id WHERE v.local_seq > l.local_seq") == 0
    # ownership follows DESIGN §4: catalog and sites by the township, clinical rows by their village
    township = _one(con, "SELECT id FROM sites WHERE kind = 'township'")
    assert _one(con, "SELECT count(*) FROM drugs WHERE owner_site_id != ?", township) == 0
    assert _one(con, "SELECT count(*) FROM sites WHERE owner_site_id != ?", township) == 0
    assert _one(con, "SELECT count(*) FROM visits WHERE owner_site_id != site_id") == 0
    assert _one(con, "SELECT count(*) FROM residents WHERE owner_site_id != site_id") == 0
    assert _one(con, "SELECT count(*) FROM batches b JOIN stores s ON s.id = b.store_id "
                     "WHERE b.owner_site_id != s.site_id") == 0
    # township operations: the township's documents, the villages' own, and what the township addresses to them
    for table in ("distributors", "drug_reference_prices", "purchase_receipts", "purchase_lines", "shipments",
                  "shipment_lines", "essential_drug_subsidies", "statements"):
        assert _one(con, f"SELECT count(*) FROM {table}") > 0, table
        assert _one(con, f"SELECT count(*) FROM {table} WHERE owner_site_id != ?", township) == 0, table
    for table in ("requisitions", "transfer_receipts", "month_closes", "statement_acknowledgments", "stock_returns"):
        assert _one(con, f"SELECT count(*) FROM {table}") > 0, table
        assert _one(con, f"SELECT count(*) FROM {table} WHERE owner_site_id != site_id OR site_id = ?", township) == 0
    for table in ("shipments", "shipment_lines", "essential_drug_subsidies", "statements"):
        assert _one(con, f"SELECT count(*) FROM {table} t JOIN sites s ON s.id = t.to_site_id "
                         "WHERE s.kind != 'village'") == 0, table
    assert _one(con, "SELECT count(*) FROM shipment_lines l JOIN shipments s ON s.id = l.shipment_id "
                     "WHERE l.to_site_id != s.to_site_id OR l.owner_site_id != s.owner_site_id") == 0
    assert _one(con, "SELECT count(*) FROM essential_drug_subsidies WHERE to_site_id != site_id") == 0
    assert _one(con, "SELECT count(*) FROM statements WHERE to_site_id != site_id") == 0
    for child, parent, key in (("requisition_lines", "requisitions", "requisition_id"),
                               ("transfer_receipt_lines", "transfer_receipts", "receipt_id")):
        assert _one(con, f"SELECT count(*) FROM {child} c JOIN {parent} p ON p.id = c.{key} "
                         "WHERE c.owner_site_id != p.owner_site_id") == 0, child


def test_residents_are_realistic_and_valid(con: sqlite3.Connection) -> None:
    checks.residents_are_realistic(con, clock.today())


def test_stock_holds_what_the_stock_screens_must_show(con: sqlite3.Connection) -> None:
    checks.stock_shows_every_situation(con, clock.today())


def test_history_spans_ninety_days_until_today(con: sqlite3.Connection) -> None:
    checks.history_spans_ninety_days(con, clock.today())

def test_cases_in_every_status_with_overdue_and_due_soon_ones(con: sqlite3.Connection, demo_copy: Path) -> None:
    checks.cases_show_every_situation(con, clock.today())
    local = _one(con, "SELECT site_id FROM local_site")
    # the village's own steps are audited as the doctor's, the township's are not this site's to audit
    assert _one(con, "SELECT count(*) FROM audit_log WHERE action = 'case.open'") == _one(
        con, "SELECT count(*) FROM cases WHERE owner_site_id = ?", local)
    assert _one(con, "SELECT count(DISTINCT actor) FROM audit_log WHERE action LIKE 'case.%'") == 1
    sv = bootstrap(demo_copy)
    try:
        sv.identity.sign_in("doctor", "demo1234")
        attention = sv.cases.attention()
        # the demo's file holds every village's rows (as the hub does); a village deals with its own cases
        mine = attention.overdue + attention.due_soon
        assert {c.site_id for c in mine} == {local} and {c.overdue for c in mine} == {True, False}
        assert all(not c.status.closed for c in mine)
        listed = sv.cases.list()
        assert {c.site_id for c in listed} == {local}
        assert {c.status.value for c in listed} == {"accepted", "submitted", "returned", "approved", "rejected"}
        counts = sv.cases.monthly_counts(clock.today().replace(day=1) - timedelta(days=100), clock.today())
        assert {c.site_id for c in counts} == {local}
        assert sum(c.count for c in counts) == _one(con, "SELECT count(*) FROM cases WHERE site_id = ?", local) > 10
    finally:
        sv.close()
