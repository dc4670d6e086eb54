"""Reversal 冲正/退费: stock back to the same batches, YTD restored, same-day rule, never twice."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from settle_helpers import AT, DAY
from sqlalchemy import text

from app.domain.errors import PermissionDenied, RuleViolation, ValidationError
from app.services.core.check import run_checks
from app.services.settlement.types import DraftLine


def _rows(clinic, sql: str, **params):
    with clinic.sv.db.read() as s:
        return s.execute(text(sql), params).all()


def test_reversal_restores_stock_to_the_same_batches_and_ytd(clinic):
    resident = clinic.resident()
    clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}), at=AT - timedelta(hours=1))
    # 70 tablets: 28 left in B2403 (earliest expiry) then 42 from B2501
    info = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 70, "amox": 12}), at=AT)
    assert (clinic.on_hand("amlo_old"), clinic.on_hand("amlo_new")) == (0, 14)
    used = clinic.sv.residents.coverage(resident.id, DAY).fund_used_fen
    before_fund = used - info.split.fund_fen

    reversal = clinic.sv.settlement.reverse(info.id, "患者不需要，退药", at=AT + timedelta(minutes=10))
    assert reversal.receipt_no == "CZ20261123-0001" and reversal.original_receipt_no == info.receipt_no
    assert reversal.movements_reversed == 3 and reversal.refund_fen == info.split.self_paid_fen + info.split.self_funded_fen
    assert (clinic.on_hand("amlo_old"), clinic.on_hand("amlo_new"), clinic.on_hand("amox")) == (28, 56, 48)
    back = _rows(clinic, "SELECT r.batch_id, r.quantity, o.batch_id AS orig, o.quantity AS oq FROM stock_movements r "
                 "JOIN stock_movements o ON o.id = r.reverses_id WHERE o.doc_id = :v", v=info.visit_id)
    assert len(back) == 3 and all(r.batch_id == r.orig and r.quantity == -r.oq for r in back)

    # year to date is derived: the reversed settlement no longer counts
    assert clinic.sv.residents.coverage(resident.id, DAY).fund_used_fen == before_fund
    assert clinic.sv.settlement.get(info.id).reversed
    audit = _rows(clinic, "SELECT detail FROM audit_log WHERE action = 'settlement.reverse'")
    assert json.loads(audit[0].detail)["reason"] == "患者不需要，退药"
    assert {r.table_name for r in _rows(clinic, "SELECT table_name FROM outbox")} >= {"reversals"}
    with clinic.sv.db.read() as s:
        assert run_checks(s)[1] is None

    # the next visit sees the restored year-to-date and stock
    again = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 70, "amox": 12}), at=AT + timedelta(hours=1))
    assert again.split.fund_fen == info.split.fund_fen


def test_trace_codes_are_unsold_by_the_reversal(clinic):
    code = "81234567890123450001"
    clinic.sv.stock.receive(clinic.drugs["amox"], "A2501", date(2027, 3, 31), 24, trace_codes=[code],
                            at=datetime(2026, 11, 1), accept_near_expiry=True)
    resident = clinic.resident()
    draft = clinic.draft(resident.id, {"amox": 24})
    draft = type(draft)(**{**draft.__dict__, "lines": (DraftLine(clinic.drugs["amox"], 24, "口服", (code,)),)})
    info = clinic.sv.settlement.settle(draft, at=AT)
    clinic.sv.settlement.reverse(info.id, "开错药", at=AT)
    rows = _rows(clinic, "SELECT kind, doc_id FROM trace_code_events WHERE code = :c ORDER BY seq", c=code)
    assert [(r.kind, r.doc_id) for r in rows][1:] == [("sold", info.visit_id), ("unsold", info.visit_id)]
    assert clinic.sv.stock.trace_code(code).sold_at is None
    # the box can be sold again
    clinic.sv.settlement.settle(draft, at=AT + timedelta(minutes=1))


def test_doctor_reverses_only_on_the_same_day_admin_later(clinic):
    resident = clinic.resident()
    yesterday = AT - timedelta(days=1)
    info = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}, visit_date=yesterday.date()),
                                       at=yesterday)
    before = clinic.fingerprint()
    with pytest.raises(PermissionDenied) as err:
        clinic.sv.settlement.reverse(info.id, "退药", at=AT)
    assert "管理员" in str(err.value) and "当天" in str(err.value)
    assert clinic.fingerprint() == before

    clinic.as_admin()
    reversal = clinic.sv.settlement.reverse(info.id, "退药", at=AT)
    assert reversal.receipt_no == "CZ20261123-0001"
    with pytest.raises(RuleViolation) as err:
        clinic.sv.settlement.reverse(info.id, "再退一次", at=AT)
    assert "不能重复冲正" in str(err.value)

    clinic.as_doctor()
    today = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}), at=AT)
    assert clinic.sv.settlement.reverse(today.id, "当天退药", at=AT + timedelta(hours=8)).receipt_no == "CZ20261123-0002"


def test_reason_is_required(clinic):
    resident = clinic.resident()
    info = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}), at=AT)
    before = clinic.fingerprint()
    with pytest.raises(ValidationError) as err:
        clinic.sv.settlement.reverse(info.id, "  ", at=AT)
    assert err.value.field == "冲正原因"
    assert clinic.fingerprint() == before


def _owned_by_another_site(clinic, table: str, row_id: str) -> None:
    """Make a row look as if it came from another site by sync (its owner is that site)."""
    import sqlite3

    con = sqlite3.connect(clinic.sv.data.database)
    try:
        with con:  # settled rows are final: lift their guard for this one change, then put it back
            guards = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                                 "AND sql LIKE '%BEFORE UPDATE%'", (table,)).fetchall()
            for name, _sql in guards:
                con.execute(f'DROP TRIGGER "{name}"')
            con.execute(f"UPDATE {table} SET owner_site_id = 'another-village' WHERE id = ?", (row_id,))
            for _name, sql in guards:
                con.execute(sql)
    finally:
        con.close()


def test_another_sites_settlement_is_not_reversed_here_even_by_an_admin(clinic):
    resident = clinic.resident()
    info = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}), at=AT)
    _owned_by_another_site(clinic, "settlements", info.id)
    clinic.as_admin()
    before = clinic.fingerprint()
    with pytest.raises(PermissionDenied) as err:
        clinic.sv.settlement.reverse(info.id, "退药", at=AT)
    assert "其他机构" in str(err.value) and err.value.field == "结算"
    assert clinic.fingerprint() == before and not clinic.sv.settlement.get(info.id).reversed


def test_dispensing_from_another_sites_batch_is_refused_and_nothing_is_written(clinic):
    from app.domain.errors import ForeignRecordError

    resident = clinic.resident()
    _owned_by_another_site(clinic, "batches", clinic.batches["amox"])
    before = clinic.fingerprint()
    with pytest.raises(ForeignRecordError) as err:
        clinic.sv.settlement.settle(clinic.draft(resident.id, {"amox": 12}), at=AT)
    assert "其他机构" in str(err.value)
    with pytest.raises(ForeignRecordError):
        clinic.sv.stock.dispense(clinic.drugs["amox"], 1, at=AT)
    assert clinic.fingerprint() == before and clinic.on_hand("amox") == 48


@pytest.mark.parametrize(("role", "label"), [("township_pharmacist", "乡镇药管员"), ("case_worker", "医保专干")])
def test_a_pharmacist_or_case_worker_neither_settles_nor_reverses(clinic, role, label):
    resident = clinic.resident()
    info = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}), at=AT)
    clinic.as_admin()
    clinic.sv.session.actor = clinic.sv.users.create("other", "别的角色", role, "other-pass-1").actor
    before = clinic.fingerprint()
    with pytest.raises(PermissionDenied) as err:
        clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 28}), at=AT)
    assert str(err.value) == f"{label}不能门诊收费结算，请由村医或管理员操作"
    with pytest.raises(PermissionDenied, match=f"{label}不能冲正结算"):
        clinic.sv.settlement.reverse(info.id, "退药", at=AT)
    assert clinic.fingerprint() == before
