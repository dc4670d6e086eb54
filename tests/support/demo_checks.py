"""What a built demo must hold on whatever day it is built: the rules its rows obey and the
situations the screens must be able to show. ``today`` is the day the demo was built on."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time

from app.domain.cases import NEXT, check_family_relation, load_case_types
from app.domain.enums import CaseStatus, CaseType
from app.domain.idcard import parse_id_number
from app.domain.ids import derived_id
from app.domain.policy import Case, Line, ResidentCover, YearToDate, load_policy, settle, waiting_until
from app.domain.policy_file import parse_policy
from app.domain.workdays import add_workdays
from app.paths import resource


def _one(con: sqlite3.Connection, sql: str, *args: object) -> object:
    return con.execute(sql, args).fetchone()[0]


def settlements_are_engine_splits(con: sqlite3.Connection, today: date) -> None:
    base = load_policy(resource("policies", "demo-2026.toml"))
    # each settlement was computed with the policy row its version names: the demo file, moved to its year
    stored_policies = {v: parse_policy(text) for v, text in con.execute("SELECT policy_version, text FROM policies")}
    assert all(p.version == v for v, p in stored_policies.items())
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
        "s.b_pre_self_fen, s.deductible_fen, s.eligible, s.waiting_until, s.general_fee_fen, s.policy_version "
        "FROM settlements s JOIN visits v ON v.id = s.visit_id ORDER BY s.settled_at").fetchall()
    assert len(rows) > 600
    history = defaultdict(list)  # resident → settlements so far: (settled_at, id, pool, split)
    chronic = 0
    for (sid, visit_id, rid, settled_at, year, pool, visit_date, general_fee, *stored, version) in rows:
        policy = replace(base, year=year, valid_from=date(year, 1, 1), valid_to=date(year, 12, 31))
        assert replace(stored_policies[version], source="", version="") == replace(policy, source="", version=""), sid
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

def ledgers_run_in_sequence(con: sqlite3.Connection, today: date) -> None:
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
    shipments_close(con)


def shipments_close(con: sqlite3.Connection) -> None:
    """Every shipment: its lines are the township's TRANSFER_OUT (lot by lot); a received one's receipt
    (id uuid5 of the shipment) is the village's TRANSFER_IN, and |OUT| = IN + loss; one in transit has no
    receipt and no TRANSFER_IN."""
    lines = defaultdict(list)
    for row in con.execute("SELECT shipment_id, id, batch_id, quantity FROM shipment_lines"):
        lines[row[0]].append(row[1:])
    out = defaultdict(int)
    for doc_id, batch_id, qty in con.execute(
            "SELECT doc_id, batch_id, quantity FROM stock_movements WHERE kind = 'transfer_out'"):
        out[(doc_id, batch_id)] -= qty
    arrived = defaultdict(int)
    for doc_id, doc_type, qty in con.execute(
            "SELECT doc_id, doc_type, quantity FROM stock_movements WHERE kind = 'transfer_in'"):
        assert doc_type == "transfer_receipt"
        arrived[doc_id] += qty
    counted = {r[0]: r[1:] for r in con.execute(
        "SELECT shipment_line_id, id, receipt_id, qty_shipped, qty_received, qty_lost FROM transfer_receipt_lines")}
    receipts = dict(con.execute("SELECT shipment_id, id FROM transfer_receipts"))
    in_transit = received = lost = 0
    for shipment_id, status in con.execute("SELECT id, status FROM shipments"):
        assert status == "shipped"
        assert sum(out[(shipment_id, batch_id)] for _, batch_id, _ in lines[shipment_id]) == \
            sum(q for _, _, q in lines[shipment_id]) > 0
        receipt_id = receipts.get(shipment_id)
        if receipt_id is None:
            in_transit += 1
            assert not any(line_id in counted for line_id, _, _ in lines[shipment_id])
            assert arrived[derived_id(shipment_id, "transfer_receipt")] == 0
            continue
        received += 1
        assert receipt_id == derived_id(shipment_id, "transfer_receipt")
        total_in = total_lost = 0
        for line_id, _batch_id, qty in lines[shipment_id]:
            row_id, of_receipt, shipped, got, gone = counted[line_id]
            assert row_id == derived_id(line_id, "transfer_receipt_line") and of_receipt == receipt_id
            assert shipped == qty == got + gone and gone >= 0
            total_in, total_lost = total_in + got, total_lost + gone
        assert arrived.pop(receipt_id) == total_in
        lost += total_lost
    assert not {k for k, v in arrived.items() if v}  # every TRANSFER_IN answers a shipment
    assert received > 0 and in_transit > 0

def residents_are_realistic(con: sqlite3.Connection, today: date) -> None:
    people = con.execute("SELECT id, id_number, name, sex, birth_date, household_id, assistance_category "
                         "FROM residents").fetchall()
    ages = []
    for _, number, name, sex, born, _, _ in people:
        card = parse_id_number(number)
        assert (card.sex, card.birth_date.isoformat()) == (sex, born) and 2 <= len(name) <= 4
        ages.append(card.age_on(today))
    assert len({p[1] for p in people}) == len(people)
    assert min(ages) <= 5, "no small child"
    assert max(ages) >= 80, "nobody over 80"
    assert sorted(ages)[len(ages) // 2] >= 40, f"median age {sorted(ages)[len(ages) // 2]}"  # skewed older
    households = defaultdict(int)
    for p in people:
        households[p[5]] += 1
    assert max(households.values()) >= 4 and min(households.values()) == 1
    share = sum(1 for p in people if p[6]) / len(people)
    assert 0.01 <= share <= 0.12
    qualified = _one(con, "SELECT count(DISTINCT resident_id) FROM chronic_qualifications") / len(people)
    assert 0.08 <= qualified <= 0.25
    base = load_policy(resource("policies", "demo-2026.toml"))
    # each settlement was computed with the policy row its version names: the demo file, moved to its year
    stored_policies = {v: parse_policy(text) for v, text in con.execute("SELECT policy_version, text FROM policies")}
    assert all(p.version == v for v, p in stored_policies.items())
    waiting = uninsured = 0
    for (rid,) in con.execute("SELECT id FROM residents"):
        rows = {y: (date.fromisoformat(on), bool(c), r, bool(n)) for y, on, c, r, n in con.execute(
            "SELECT year, enrolled_on, central_period, repaid_years, newborn FROM enrollments WHERE resident_id = ?", (rid,))}
        this = rows.get(today.year)
        if this is None:
            uninsured += 1
            continue
        cover = ResidentCover(frozenset(rows), this[0], this[1], this[3], this[2], None)
        until = waiting_until(replace(base, year=today.year), cover, today.year)
        waiting += until is not None and until > today
    assert waiting >= 2 and uninsured >= 2
    # newborns enrolled in their year of birth (参保 from birth); on 1 January this year has none yet
    assert _one(con, "SELECT count(*) FROM enrollments WHERE newborn") >= 1, "no newborn enrollment"

def stock_shows_every_situation(con: sqlite3.Connection, today: date) -> None:
    soon = date.fromordinal(today.toordinal() + 180).isoformat()
    today = today.isoformat()
    for (store, site) in con.execute("SELECT s.id, s.site_id FROM stores s JOIN sites t ON t.id = s.site_id "
                                     "WHERE t.kind = 'village'").fetchall():
        expired = _one(con, "SELECT count(*) FROM batches WHERE store_id = ? AND on_hand > 0 AND expiry < ?", store, today)
        near = _one(con, "SELECT count(*) FROM batches WHERE store_id = ? AND on_hand > 0 AND expiry BETWEEN ? AND ?",
                    store, today, soon)
        no_code = _one(con, "SELECT count(*) FROM batches WHERE store_id = ? AND on_hand > 0 AND no_trace_codes = 1", store)
        low = _one(con, "SELECT count(*) FROM store_drug_settings o WHERE o.store_id = ? AND o.min_stock_units > "
                        "(SELECT coalesce(sum(on_hand), 0) FROM batches b WHERE b.drug_id = o.drug_id AND b.store_id = ?)",
                   store, store)
        several = _one(con, "SELECT max(n) FROM (SELECT count(*) n FROM batches WHERE store_id = ? AND on_hand > 0 "
                            "GROUP BY drug_id)", store)
        figures = {"expired": expired, "near": near, "no_code": no_code, "low": low, "several": several}
        assert 1 <= expired <= 6 and near >= 1 and no_code >= 1 and 1 <= low <= 20 and several >= 2, (site, figures)
        sold = _one(con, "SELECT count(*) FROM trace_code_events WHERE store_id = ? AND kind = 'sold'", store)
        assert sold > 0
    assert _one(con, "SELECT count(*) FROM stocktakes WHERE status = 'finalised'") >= 3
    assert _one(con, "SELECT count(*) FROM stock_movements WHERE kind = 'adjustment' AND doc_type = 'stocktake'") >= 1
    assert _one(con, "SELECT count(*) FROM reversals") >= 1
    # a sold trace code belongs to a visit that dispensed that drug
    assert _one(con, "SELECT count(*) FROM trace_code_events c WHERE c.kind = 'sold' AND NOT EXISTS ("
                     "SELECT 1 FROM prescription_lines l WHERE l.visit_id = c.doc_id AND l.drug_id = c.drug_id)") == 0
    # every sold code was received at that store first, and is sold at most once at a time
    assert _one(con, "SELECT count(*) FROM trace_code_events s WHERE s.kind = 'sold' AND NOT EXISTS ("
                     "SELECT 1 FROM trace_code_events r WHERE r.store_id = s.store_id AND r.code = s.code "
                     "AND r.kind = 'received' AND r.seq < s.seq)") == 0
    assert _one(con, "SELECT count(*) FROM (SELECT code FROM trace_code_events GROUP BY code "
                     "HAVING sum(kind = 'sold') - sum(kind = 'unsold') NOT IN (0, 1))") == 0

def history_spans_ninety_days(con: sqlite3.Connection, today: date) -> None:
    first, last = con.execute("SELECT min(visit_date), max(visit_date) FROM visits").fetchone()
    span = (date.fromisoformat(last) - date.fromisoformat(first)).days
    assert 80 <= span <= 90 and date.fromisoformat(last) >= date.fromordinal(today.toordinal() - 2)
    per_visit = _one(con, "SELECT avg(n) FROM (SELECT count(*) n FROM prescription_lines GROUP BY visit_id)")
    assert 1.0 <= per_visit <= 4.0
    assert _one(con, "SELECT max(n) FROM (SELECT count(*) n FROM prescription_lines GROUP BY visit_id)") <= 4
    assert _one(con, "SELECT count(*) FROM visits WHERE agent_name != ''") >= 1
    now = datetime.combine(today, time.max)
    for table, column in (("visits", "occurred_at"), ("settlements", "settled_at"), ("stock_movements", "occurred_at"),
                          ("reversals", "reversed_at"), ("receipt_prints", "printed_at")):
        assert datetime.fromisoformat(_one(con, f"SELECT max({column}) FROM {table}")) <= now, table  # nothing in the future


def cases_show_every_situation(con: sqlite3.Connection, today: date) -> None:
    """帮办代办 as Services.cases would have written it: every village holds a case in each status, some
    overdue and some due within 3 working days; the timelines follow the rules and the owners are right."""
    types = load_case_types(resource("cases", "case_types.toml"))
    township = _one(con, "SELECT id FROM sites WHERE kind = 'township'")
    soon_until = add_workdays(today, 3).due_on
    now = datetime.combine(today, time.max)
    events = defaultdict(list)
    for case_id, step, status, owner, to_site, at, missing in con.execute(
            "SELECT case_id, step, status, owner_site_id, to_site_id, occurred_at, missing FROM case_events "
            "ORDER BY case_id, step"):
        events[case_id].append((step, CaseStatus(status), owner, to_site, datetime.fromisoformat(at), missing))
    by_village = defaultdict(lambda: defaultdict(int))
    numbers = set()
    for (case_id, owner, site, case_no, kind, accepted, workdays, due, fallback, collected, relation, agent_id,
         resident_id) in con.execute(
            "SELECT id, owner_site_id, site_id, case_no, case_type, accepted_on, due_workdays, due_on, due_fallback, "
            "collected, agent_relation, agent_id_number, resident_id FROM cases"):
        spec = types[CaseType(kind)]
        accepted, due = date.fromisoformat(accepted), date.fromisoformat(due)
        assert owner == site != township and (owner, case_no) not in numbers and case_no.startswith(f"BD{accepted:%Y%m%d}-")
        numbers.add((owner, case_no))
        counted = add_workdays(accepted, workdays)
        assert workdays == spec.due_workdays and (due, bool(fallback)) == (counted.due_on, counted.fallback), case_no
        assert set(json.loads(collected)) <= set(spec.materials), case_no
        if kind == CaseType.FAMILY_ACCOUNT.value:
            check_family_relation(relation)
        assert agent_id != _one(con, "SELECT id_number FROM residents WHERE id = ?", resident_id)
        timeline = events[case_id]
        assert [e[0] for e in timeline] == list(range(1, len(timeline) + 1)) and timeline, case_no
        previous, last_at = None, datetime.min
        for _step, status, by, to_site, at, missing in timeline:
            assert status in NEXT[previous], (case_no, previous, status)
            assert last_at <= at <= now and at.date() >= accepted, case_no
            village_step = status is CaseStatus.ACCEPTED or (status is CaseStatus.SUBMITTED
                                                            and previous is CaseStatus.RETURNED)
            assert (by, to_site) == ((site, None) if village_step else (township, site)), (case_no, status)
            assert bool(json.loads(missing)) == (status is CaseStatus.RETURNED), case_no
            previous, last_at = status, at
        figures = by_village[site]
        figures[previous.value] += 1
        if not previous.closed:
            figures["overdue"] += due < today
            figures["due_soon"] += today <= due <= soon_until
    villages = [v for (v,) in con.execute("SELECT id FROM sites WHERE kind = 'village'")]
    assert set(by_village) == set(villages)
    for site, figures in by_village.items():
        assert all(figures[s.value] >= 1 for s in CaseStatus), (site, dict(figures))
        assert 1 <= figures["overdue"] <= 6 and figures["due_soon"] >= 1, (site, dict(figures))
        assert figures[CaseStatus.APPROVED.value] > figures[CaseStatus.REJECTED.value], (site, dict(figures))
