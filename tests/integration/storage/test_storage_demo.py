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
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from demo_cli import run_cunyi

from app.bootstrap import bootstrap
from app.db.models import synced_tables
from app.domain.errors import AuthError
from app.domain.idcard import parse_id_number
from app.domain.policy import Case, Line, ResidentCover, YearToDate, load_policy, settle, waiting_until
from app.paths import resource

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
    assert summary["seconds"] < 60
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
    base = load_policy(resource("policies", "demo-2026.toml"))
    enrollments = defaultdict(dict)
    for rid, year, on, central, repaid, newborn in con.execute(
            "SELECT resident_id, year, enrolled_on, central_period, repaid_years, newborn FROM enrollments"):
        enrollments[rid][year] = (date.fromisoformat(on), bool(central), repaid, bool(newborn))
    assistance = dict(con.execute("SELECT id, assistance_category FROM residents"))
    reversed_at = {sid: at for sid, at in con.execute("SELECT settlement_id, reversed_at FROM reversals")}
    lines = defaultdict(list)
    for visit_id, amount, klass, bp in con.execute(
            "SELECT visit_id, amount_fen, coverage_class, class_b_self_bp FROM prescription_lines ORDER BY line_no"):
        lines[visit_id].append(Line(amount, klass, bp))
    rows = con.execute(
        "SELECT s.id, s.visit_id, s.resident_id, s.settled_at, s.policy_year, s.pool, v.visit_date, v.general_fee, "
        "s.total_fen, s.fund_fen, s.general_fee_fund_fen, s.assistance_fen, s.self_paid_fen, s.self_funded_fen, "
        "s.b_pre_self_fen, s.deductible_fen, s.eligible, s.waiting_until, s.general_fee_fen "
        "FROM settlements s JOIN visits v ON v.id = s.visit_id ORDER BY s.settled_at").fetchall()
    assert len(rows) > 600
    history = defaultdict(list)  # resident → settlements so far: (settled_at, id, pool, split)
    chronic = 0
    for (sid, visit_id, rid, settled_at, year, pool, visit_date, general_fee, *stored) in rows:
        policy = replace(base, year=year, valid_from=date(year, 1, 1), valid_to=date(year, 12, 31))
        this = enrollments[rid].get(year)
        cover = ResidentCover(frozenset(enrollments[rid]), this[0] if this else None, this[1] if this else False,
                              this[3] if this else False, this[2] if this else 0, assistance[rid])
        live = [h for h in history[rid] if h[0] < settled_at and (h[1] not in reversed_at or reversed_at[h[1]] > settled_at)]
        ytd = YearToDate(
            sum(h[3][7] for h in live), sum(h[3][1] for h in live if h[2] == "general"),
            sum(h[3][1] for h in live if h[2] == pool and pool != "general"), sum(h[3][3] for h in live),
        )
        case = Case(date.fromisoformat(visit_date), "outpatient" if pool == "general" else "chronic",
                    None if pool == "general" else pool, bool(general_fee), cover, ytd, tuple(lines[visit_id]))
        split = settle(policy, case)
        expected = (split.total_fen, split.fund_fen, split.general_fee_fund_fen, split.assistance_fen,
                    split.self_paid_fen, split.self_funded_fen, split.b_pre_self_fen, split.deductible_fen,
                    int(split.eligible), split.waiting_until.isoformat() if split.waiting_until else None,
                    policy.general_fee.amount_fen if general_fee else 0)
        assert tuple(stored) == expected, sid
        history[rid].append((settled_at, sid, pool, stored))
        chronic += pool != "general"
    assert chronic > 20


def test_store_ledgers_run_in_sequence_with_correct_balances(con: sqlite3.Connection) -> None:
    on_hand = dict(con.execute("SELECT id, on_hand FROM batches"))
    by_store = defaultdict(list)
    for row in con.execute("SELECT store_id, seq, drug_id, batch_id, quantity, batch_balance_after, drug_balance_after, "
                           "occurred_at, kind, reverses_id FROM stock_movements ORDER BY store_id, seq"):
        by_store[row[0]].append(row)
    assert len(by_store) == 4  # the township's transfer warehouse and three village pharmacies
    reversed_ids = set()
    for store, rows in by_store.items():
        assert [r[1] for r in rows] == list(range(1, len(rows) + 1))
        batch, drug = defaultdict(int), defaultdict(int)
        last = ""
        for _, _, drug_id, batch_id, qty, batch_after, drug_after, at, kind, reverses in rows:
            batch[batch_id] += qty
            drug[drug_id] += qty
            assert batch[batch_id] == batch_after >= 0 and drug[drug_id] == drug_after >= 0
            assert at >= last  # the ledger order is the time order
            last = at
            assert (kind == "reversal") == (reverses is not None)
            reversed_ids.add(reverses)
        for batch_id, total in batch.items():
            assert on_hand[batch_id] == total
    assert len(reversed_ids) > 1
    # every shipment out of the township arrived in full at a village
    out = _one(con, "SELECT -sum(quantity) FROM stock_movements WHERE kind = 'transfer_out'")
    arrived = _one(con, "SELECT sum(quantity) FROM stock_movements WHERE kind = 'transfer_in'")
    assert out == arrived > 0


def test_only_the_local_sites_rows_are_queued(con: sqlite3.Connection) -> None:
    local = _one(con, "SELECT site_id FROM local_site")
    owned = sum(_one(con, f"SELECT count(*) FROM {t} WHERE owner_site_id = ?", local) for t in synced_tables())
    assert owned == _one(con, "SELECT count(*) FROM outbox") > 1000
    queued_elsewhere = 0
    for table in synced_tables():
        queued_elsewhere += _one(con, f"SELECT count(*) FROM outbox o JOIN {table} t ON t.id = o.record_id "
                                      "AND o.table_name = ? WHERE t.owner_site_id != ?", table, local)
        ids = [r for (r,) in con.execute(f"SELECT id FROM {table} LIMIT 50")]
        assert all(uuid.UUID(i).version == 7 for i in ids), table
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


def test_residents_are_realistic_and_valid(con: sqlite3.Connection) -> None:
    today = date.today()
    people = con.execute("SELECT id, id_number, name, sex, birth_date, household_id, assistance_category "
                         "FROM residents").fetchall()
    ages = []
    for _, number, name, sex, born, _, _ in people:
        card = parse_id_number(number)
        assert (card.sex, card.birth_date.isoformat()) == (sex, born) and 2 <= len(name) <= 4
        ages.append(card.age_on(today))
    assert len({p[1] for p in people}) == len(people)
    assert min(ages) <= 5 and max(ages) >= 80 and sorted(ages)[len(ages) // 2] >= 40  # skewed older
    households = defaultdict(int)
    for p in people:
        households[p[5]] += 1
    assert max(households.values()) >= 4 and min(households.values()) == 1
    share = sum(1 for p in people if p[6]) / len(people)
    assert 0.01 <= share <= 0.12
    qualified = _one(con, "SELECT count(DISTINCT resident_id) FROM chronic_qualifications") / len(people)
    assert 0.08 <= qualified <= 0.25
    base = load_policy(resource("policies", "demo-2026.toml"))
    waiting = uninsured = newborn = 0
    for (rid,) in con.execute("SELECT id FROM residents"):
        rows = {y: (date.fromisoformat(on), bool(c), r, bool(n)) for y, on, c, r, n in con.execute(
            "SELECT year, enrolled_on, central_period, repaid_years, newborn FROM enrollments WHERE resident_id = ?", (rid,))}
        this = rows.get(today.year)
        if this is None:
            uninsured += 1
            continue
        newborn += this[3]
        cover = ResidentCover(frozenset(rows), this[0], this[1], this[3], this[2], None)
        until = waiting_until(replace(base, year=today.year), cover, today.year)
        waiting += until is not None and until > today
    assert waiting >= 2 and uninsured >= 2 and newborn >= 0


def test_stock_holds_what_the_stock_screens_must_show(con: sqlite3.Connection) -> None:
    today = date.today().isoformat()
    soon = date.fromordinal(date.today().toordinal() + 180).isoformat()
    for (store, site) in con.execute("SELECT s.id, s.site_id FROM stores s JOIN sites t ON t.id = s.site_id "
                                     "WHERE t.kind = 'village'").fetchall():
        expired = _one(con, "SELECT count(*) FROM batches WHERE store_id = ? AND on_hand > 0 AND expiry < ?", store, today)
        near = _one(con, "SELECT count(*) FROM batches WHERE store_id = ? AND on_hand > 0 AND expiry BETWEEN ? AND ?",
                    store, today, soon)
        no_code = _one(con, "SELECT count(*) FROM batches WHERE store_id = ? AND on_hand > 0 AND no_trace_codes = 1", store)
        low = _one(con, "SELECT count(*) FROM drugs d WHERE d.min_stock_units > (SELECT coalesce(sum(on_hand), 0) "
                        "FROM batches b WHERE b.drug_id = d.id AND b.store_id = ?)", store)
        several = _one(con, "SELECT max(n) FROM (SELECT count(*) n FROM batches WHERE store_id = ? AND on_hand > 0 "
                            "GROUP BY drug_id)", store)
        assert 1 <= expired <= 6 and near >= 1 and no_code >= 1 and 1 <= low <= 20 and several >= 2, site
        sold = _one(con, "SELECT count(*) FROM trace_codes WHERE store_id = ? AND sold_visit_id IS NOT NULL", store)
        assert sold > 0
    assert _one(con, "SELECT count(*) FROM stocktakes WHERE status = 'finalised'") >= 3
    assert _one(con, "SELECT count(*) FROM stock_movements WHERE kind = 'adjustment' AND doc_type = 'stocktake'") >= 1
    assert _one(con, "SELECT count(*) FROM reversals") >= 1
    # a sold trace code belongs to a visit that dispensed that drug
    assert _one(con, "SELECT count(*) FROM trace_codes c WHERE c.sold_visit_id IS NOT NULL AND NOT EXISTS ("
                     "SELECT 1 FROM prescription_lines l WHERE l.visit_id = c.sold_visit_id AND l.drug_id = c.drug_id)") == 0


def test_history_spans_ninety_days_until_today(con: sqlite3.Connection) -> None:
    first, last = con.execute("SELECT min(visit_date), max(visit_date) FROM visits").fetchone()
    span = (date.fromisoformat(last) - date.fromisoformat(first)).days
    assert 80 <= span <= 90 and date.fromisoformat(last) >= date.fromordinal(date.today().toordinal() - 2)
    per_visit = _one(con, "SELECT avg(n) FROM (SELECT count(*) n FROM prescription_lines GROUP BY visit_id)")
    assert 1.0 <= per_visit <= 4.0
    assert _one(con, "SELECT max(n) FROM (SELECT count(*) n FROM prescription_lines GROUP BY visit_id)") <= 4
    assert _one(con, "SELECT count(*) FROM visits WHERE agent_name != ''") >= 1
    now = datetime.now()
    for table, column in (("visits", "occurred_at"), ("settlements", "settled_at"), ("stock_movements", "occurred_at"),
                          ("reversals", "reversed_at"), ("receipt_prints", "printed_at")):
        assert datetime.fromisoformat(_one(con, f"SELECT max({column}) FROM {table}")) <= now, table  # nothing in the future
