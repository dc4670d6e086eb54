"""Settling visits: one transaction writes visit, lines, FEFO movements, settlement, outbox and audit."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from settle_helpers import AT, DAY, id_number
from sqlalchemy import text

from app.domain.errors import RuleViolation, ValidationError
from app.services.residents.types import ChronicRecord, EnrollmentRecord
from app.services.settlement.types import DraftLine


def _rows(clinic, sql: str, **params):
    with clinic.sv.db.read() as s:
        return s.execute(text(sql), params).all()


def test_three_line_visit_writes_everything_in_one_transaction(clinic):
    resident = clinic.resident()
    draft = clinic.draft(resident.id)  # 28 amlo (1 box, A), 12 amox (B, own 15 %), 100 vitc (1 bottle, C)
    preview = clinic.sv.settlement.preview(draft, today=DAY)
    info = clinic.sv.settlement.settle(draft, at=AT)

    # amounts: 812 + round(12×1250/24)=625 + 350, general fee 1000
    assert [line.amount_fen for line in info.lines] == [812, 625, 350]
    assert info.split.total_fen == 812 + 625 + 350 + 1000 == 2787
    assert info.split.b_pre_self_fen == 94  # round(625 × 15 %)
    assert info.split.fund_fen == 806  # round((812 + 531) × 60 %)
    assert info.split.general_fee_fund_fen == 800 and info.split.self_funded_fen == 350
    assert info.split.self_paid_fen == 2787 - 806 - 800 - 350
    assert info.receipt_no == "20261123-0001"
    # the preview is the same engine call as the saved split
    assert (preview.total_fen, preview.fund_fen, preview.self_paid_fen, preview.assistance_fen) == (
        info.split.total_fen, info.split.fund_fen, info.split.self_paid_fen, info.split.assistance_fen)

    # FEFO: the earlier-expiring amlodipine batch is used
    assert clinic.on_hand("amlo_old") == 56 - 28 and clinic.on_hand("amlo_new") == 56
    assert clinic.on_hand("amox") == 48 - 12 and clinic.on_hand("vitc") == 100
    assert info.lines[0].batches == ("B2403 2027-02-28 ×28",)

    movements = _rows(clinic, "SELECT kind, quantity, doc_type, doc_id FROM stock_movements WHERE doc_id = :v",
                      v=info.visit_id)
    assert sorted(m.quantity for m in movements) == [-100, -28, -12]
    assert {(m.kind, m.doc_type) for m in movements} == {("dispense", "visit")}

    lines = _rows(clinic, "SELECT line_no, quantity_units, amount_fen, coverage_class, class_b_self_bp "
                  "FROM prescription_lines WHERE visit_id = :v ORDER BY line_no", v=info.visit_id)
    assert [tuple(r) for r in lines] == [(1, 28, 812, "A", None), (2, 12, 625, "B", 1500), (3, 100, 350, "C", None)]

    outbox = _rows(clinic, "SELECT table_name, record_id, payload FROM outbox")
    tables = {r.table_name for r in outbox}
    assert {"visits", "prescription_lines", "stock_movements", "batches", "settlements"} <= tables
    settlement_payload = next(json.loads(r.payload) for r in outbox if r.table_name == "settlements")
    assert settlement_payload["id"] == info.id and settlement_payload["total_fen"] == 2787

    audit = _rows(clinic, "SELECT actor, action, target_id, detail FROM audit_log WHERE action = 'settlement.create'")
    assert len(audit) == 1 and audit[0].target_id == info.id and audit[0].actor == "李医生"
    assert json.loads(audit[0].detail)["receipt_no"] == "20261123-0001"

    visit = _rows(clinic, "SELECT resident_id, doctor_user_id, diagnosis_code FROM visits WHERE id = :v",
                  v=info.visit_id)[0]
    assert visit.resident_id == resident.id and visit.doctor_user_id == clinic.doctor.user_id


def test_year_to_date_across_visits_caps_the_fund(clinic):
    resident = clinic.resident()
    # visits of 4 boxes of amlodipine (4 × 8.12 = 32.48 → fund 19.49 each) run towards the 400.00 cap
    clinic.sv.stock.receive(clinic.drugs["amlo"], "B2600", date(2028, 6, 30), 28 * 200, at=datetime(2026, 10, 9))
    funds = []
    for i in range(22):
        at = AT - timedelta(days=30 - i)
        info = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28 * 4}, visit_date=at.date(),
                                                        general_fee=False), at=at)
        funds.append(info.split.fund_fen)
    assert funds[:20] == [1949] * 20  # round(3248 × 60 %)
    assert sum(funds) == 40000  # the annual cap is reached within the 21st visit and nothing after
    assert funds[20] == 40000 - 20 * 1949 and funds[21] == 0
    cover = clinic.sv.residents.coverage(resident.id, DAY)
    assert cover.fund_used_fen == 40000 and cover.cap_left_fen == 0


def test_receipt_numbers_run_per_day(clinic):
    resident = clinic.resident()
    first = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 7}), at=AT)
    second = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 7}), at=AT + timedelta(minutes=5))
    third = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 7}, visit_date=DAY - timedelta(days=1)),
                                        at=AT - timedelta(days=1))
    assert (first.receipt_no, second.receipt_no, third.receipt_no) == (
        "20261123-0001", "20261123-0002", "20261122-0001")
    assert [s.receipt_no for s in clinic.sv.settlement.list_day(DAY)] == ["20261123-0002", "20261123-0001"]


def test_waiting_period_and_assistance_on_the_split(clinic):
    # enrolled late (not in the central period) after a gap year: 3 + 1 months from 2026-09-10
    waiting = clinic.resident("李四", "19700101", "111", enrolled=False, assistance_category="tekun")
    clinic.as_admin()
    clinic.sv.residents.set_enrollment(waiting.id, EnrollmentRecord(2024, date(2023, 12, 1), True))
    clinic.sv.residents.set_enrollment(waiting.id, EnrollmentRecord(2026, date(2026, 9, 10), False))
    clinic.as_doctor()
    cover = clinic.sv.residents.coverage(waiting.id, DAY)
    assert cover.enrolled and not cover.eligible and cover.waiting_until == date(2027, 1, 10)
    assert cover.warning == "等待期至2027-01-10"
    info = clinic.sv.settlement.settle(clinic.draft(waiting.id, {"amlo": 28}), at=AT)
    assert not info.split.eligible
    assert info.split.fund_fen == info.split.general_fee_fund_fen == info.split.assistance_fen == 0
    assert info.split.self_paid_fen == 1812 and "等待期" in info.split.reason

    poor = clinic.resident("王五", "19500505", "131", assistance_category="tekun")
    info = clinic.sv.settlement.settle(clinic.draft(poor.id, {"amlo": 28}), at=AT)
    # fund round(812 × 60 %) = 487; in-scope self = 812 − 487 + 1000 − 800 = 525; assistance 70 % = 368
    assert (info.split.fund_fen, info.split.assistance_fen, info.split.self_paid_fen) == (487, 368, 1812 - 487 - 800 - 368)
    assert clinic.sv.residents.coverage(poor.id, DAY).assistance_used_fen == 368


def test_chronic_visit_needs_a_valid_qualification(clinic):
    resident = clinic.resident(chronic=(ChronicRecord("I10", "高血压", date(2026, 1, 1), date(2027, 6, 30)),))
    info = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}, chronic_code="I10"), at=AT)
    assert info.pool == "I10" and info.split.fund_fen == 528  # round(812 × 65 %), no per-visit cap
    cover = clinic.sv.residents.coverage(resident.id, DAY)
    assert cover.fund_used_fen == 0  # the chronic pool is separate from the general pool
    assert [c.code for c in cover.chronic] == ["I10"]

    other = clinic.resident("赵六", "19600606", "151")
    with pytest.raises(RuleViolation) as err:
        clinic.sv.settlement.settle(clinic.draft(other.id, {"amlo": 28}, chronic_code="I10"), at=AT)
    assert err.value.field == "慢特病" and "高血压" in str(err.value)
    with pytest.raises(ValidationError) as err:
        clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}, chronic_code="J45"), at=AT)
    assert err.value.field == "慢特病"


def test_proxy_pickup_records_the_agent(clinic):
    resident = clinic.resident()
    agent = id_number("19850214", "222")
    info = clinic.sv.settlement.settle(
        clinic.draft(resident.id, {"amlo": 28}, agent_name="张小三", agent_id_number=agent.lower()), at=AT)
    row = _rows(clinic, "SELECT agent_name, agent_id_number FROM visits WHERE id = :v", v=info.visit_id)[0]
    assert tuple(row) == ("张小三", agent.upper())
    before = clinic.fingerprint()
    with pytest.raises(ValidationError) as err:
        clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}, agent_name="张小三",
                                                 agent_id_number="410102198502141234"), at=AT)
    assert err.value.field == "代办人身份证号"
    with pytest.raises(ValidationError) as err:  # the patient cannot be their own agent
        clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}, agent_name="张三",
                                                 agent_id_number=resident.id_number), at=AT)
    assert err.value.field == "代办人身份证号"
    assert clinic.fingerprint() == before


def test_trace_codes_are_sold_with_the_visit(clinic):
    code = "81234567890123456789"
    batch = clinic.sv.stock.receive(clinic.drugs["amox"], "A2501", date(2027, 3, 31), 24, trace_codes=[code],
                                    at=datetime(2026, 11, 1), accept_near_expiry=True)
    resident = clinic.resident()
    draft = clinic.draft(resident.id, {"amox": 24})
    draft = type(draft)(**{**draft.__dict__, "lines": (DraftLine(clinic.drugs["amox"], 24, "口服", (code,)),)})
    info = clinic.sv.settlement.settle(draft, at=AT)
    sold = _rows(clinic, "SELECT doc_id, batch_id FROM trace_code_events WHERE code = :c AND kind = 'sold'", c=code)
    assert [(s.doc_id, s.batch_id) for s in sold] == [(info.visit_id, batch)]


@pytest.mark.parametrize("table", ["visits", "prescription_lines"])
def test_visits_and_prescription_lines_are_final_corrections_are_reversals(clinic, table):
    import sqlite3

    resident = clinic.resident()
    info = clinic.sv.settlement.settle(clinic.draft(resident.id), at=AT)
    before = clinic.fingerprint()
    con = sqlite3.connect(clinic.sv.data.database)
    try:
        for sql in (f"UPDATE {table} SET version = version + 1", f"DELETE FROM {table}"):
            with pytest.raises(sqlite3.IntegrityError, match="已定稿，不能修改，请做冲正"), con:
                con.execute(sql)
    finally:
        con.close()
    with pytest.raises(Exception, match="已定稿"), clinic.sv.db.unit_of_work() as uow:
        uow.session.execute(text(f"UPDATE {table} SET owner_site_id = owner_site_id"))
    assert clinic.fingerprint() == before
    clinic.sv.settlement.reverse(info.id, "收错", at=AT + timedelta(minutes=1))  # the way to correct a visit
    assert clinic.fingerprint() != before


def test_a_settlements_outbox_rows_are_one_transaction(clinic):
    """The hub applies a transaction whole: everything one settle wrote carries one ``tx_id``, its own."""
    resident = clinic.resident()
    with clinic.sv.db.read() as s:
        before = s.scalar(text("SELECT max(local_seq) FROM outbox"))
        earlier = {t for (t,) in s.execute(text("SELECT DISTINCT tx_id FROM outbox"))}
    info = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28, "amox": 12}), at=AT)
    with clinic.sv.db.read() as s:
        rows = s.execute(text("SELECT local_seq, table_name, record_id, tx_id FROM outbox WHERE local_seq > :seq "
                              "ORDER BY local_seq"), {"seq": before}).all()
    tables = {r.table_name for r in rows}
    assert {"visits", "prescription_lines", "stock_movements", "batches", "settlements"} <= tables
    assert info.id in {r.record_id for r in rows}
    assert len({r.tx_id for r in rows}) == 1 and rows[0].tx_id not in earlier
    assert [r.local_seq for r in rows] == list(range(before + 1, before + 1 + len(rows)))
