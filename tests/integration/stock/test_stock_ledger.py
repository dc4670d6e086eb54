"""Receipts, FEFO dispensing, reversals, write-offs and returns on a real SQLite file."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from stock_helpers import NOW, Clinic, days, ledger

from app.db.models import AuditLog, Batch
from app.domain.errors import RuleViolation
from app.services.stock.service import dispense_in, receive_in, reverse_document_in


def test_receipt_creates_or_finds_the_batch_and_posts_balances(clinic: Clinic) -> None:
    st = clinic.sv.stock
    b1 = st.receive(clinic.amox.id, "A240101", days(300), "2")  # two packs
    again = st.receive(clinic.amox.id, "A240101", days(300), "12粒")
    b2 = st.receive(clinic.amox.id, "A240102", days(500), 24)
    assert b1 == again != b2
    rows = ledger(clinic, clinic.amox.id)
    assert [(r.quantity, r.batch_balance_after, r.drug_balance_after) for r in rows] == [
        (48, 48, 48), (12, 60, 60), (24, 24, 84)]
    assert [r.seq for r in rows] == [1, 2, 3]
    batches = {b.batch_id: b for b in st.batches()}
    assert batches[b1].on_hand_units == 60 and (batches[b1].packs, batches[b1].loose_units) == (2, 12)
    assert batches[b1].value_fen == 3000  # 60 粒 × 12.00 / 24


def test_dispense_is_fefo_across_batches_and_never_from_expired(clinic: Clinic) -> None:
    st = clinic.sv.stock
    old = st.receive(clinic.amox.id, "OLD", days(-3), 24, at=NOW - timedelta(days=200))  # expired now
    late = st.receive(clinic.amox.id, "LATE", days(400), 24)
    soon = st.receive(clinic.amox.id, "SOON", days(40), 10, accept_near_expiry=True)
    allocations = st.dispense(clinic.amox.id, 15, doc_type="visit", doc_id="visit-1")
    assert [(a.batch_id, a.quantity) for a in allocations] == [(soon, 10), (late, 5)]
    on_hand = {b.batch_id: b.on_hand_units for b in st.batches()}
    assert on_hand == {old: 24, late: 19}  # the emptied batch drops off the list
    with pytest.raises(RuleViolation) as err:
        st.dispense(clinic.amox.id, 20)
    assert "只有 19粒" in str(err.value) and "已过期 1盒" in str(err.value)  # packs and units, not 24


def test_document_reversal_returns_stock_to_the_same_batches_once(clinic: Clinic) -> None:
    st = clinic.sv.stock
    soon = st.receive(clinic.nife.id, "S", days(60), 30, accept_near_expiry=True)
    late = st.receive(clinic.nife.id, "L", days(600), 30)
    with clinic.sv.db.unit_of_work() as uow:
        dispense_in(uow.session, store_id=clinic.store_id, drug_id=clinic.nife.id, quantity_units=40, at=NOW,
                    doc_type="visit", doc_id="v-9", user_id=None)
    with clinic.sv.db.unit_of_work() as uow:
        assert reverse_document_in(uow.session, doc_type="visit", doc_id="v-9", at=NOW, user_id=None, reason="退费") == 2
    with clinic.sv.db.unit_of_work() as uow:
        assert reverse_document_in(uow.session, doc_type="visit", doc_id="v-9", at=NOW, user_id=None, reason="再退") == 0
    assert {b.batch_id: b.on_hand_units for b in st.batches()} == {soon: 30, late: 30}
    kinds = [(m.kind, m.quantity) for m in ledger(clinic, clinic.nife.id)]
    assert kinds[-2:] == [("reversal", 30), ("reversal", 10)]


def test_reversal_of_a_reversal_and_double_reversal_are_refused(clinic: Clinic) -> None:
    st = clinic.sv.stock
    st.receive(clinic.vb1.id, "V1", days(300), 100)
    st.dispense(clinic.vb1.id, 10)
    dispense_row = ledger(clinic, clinic.vb1.id)[-1]
    reversal_id = st.reverse_movement(dispense_row.id, "发错药")
    before = clinic.fingerprint()
    with pytest.raises(RuleViolation, match="不能重复冲正"):
        st.reverse_movement(dispense_row.id, "再次冲正")
    with pytest.raises(RuleViolation, match="冲正记录不能再冲正"):
        st.reverse_movement(reversal_id, "冲正冲正")
    assert clinic.fingerprint() == before
    with clinic.sv.db.read() as s:
        audit = s.scalars(select(AuditLog.detail).where(AuditLog.action == "stock.reverse")).all()
    assert len(audit) == 1 and json.loads(audit[0])["reason"] == "发错药"


def test_reversing_a_receipt_that_was_used_would_go_negative(clinic: Clinic) -> None:
    st = clinic.sv.stock
    st.receive(clinic.vb1.id, "V1", days(300), 100)
    receipt = ledger(clinic, clinic.vb1.id)[-1]
    st.dispense(clinic.vb1.id, 60)
    before = clinic.fingerprint()
    with pytest.raises(RuleViolation, match="不能为负"):
        st.reverse_movement(receipt.id, "入错了")
    assert clinic.fingerprint() == before


def test_write_off_and_return_with_reasons_are_audited(clinic: Clinic) -> None:
    st = clinic.sv.stock
    expired = st.receive(clinic.amox.id, "EXP", days(-1), 48, at=NOW - timedelta(days=100),
                         accept_near_expiry=True)
    good = st.receive(clinic.amox.id, "OK", days(300), 48)
    st.write_off(expired, "2", "expired", "柜台清点发现")
    st.return_to_township(good, "1盒", "包装破损，退回乡镇调换")
    with pytest.raises(RuleViolation):
        st.write_off(good, 25, "lost")  # only 24 left
    rows = ledger(clinic, clinic.amox.id)
    assert [(r.kind, r.quantity, r.reason) for r in rows[-2:]] == [
        ("write_off", -48, "过期：柜台清点发现"), ("return", -24, "包装破损，退回乡镇调换")]
    with clinic.sv.db.read() as s:
        actions = set(s.scalars(select(AuditLog.action)))
        assert {"stock.write_off", "stock.return"} <= actions
        assert s.scalar(select(func.sum(Batch.on_hand))) == 24


def test_functions_inside_a_callers_unit_of_work_roll_back_with_it(clinic: Clinic) -> None:
    clinic.sv.stock.receive(clinic.amox.id, "A", days(300), 24)
    before = clinic.fingerprint()
    with pytest.raises(RuleViolation), clinic.sv.db.unit_of_work() as uow:
        receive_in(uow.session, store_id=clinic.store_id, drug_id=clinic.vb1.id, batch_no="X", expiry=days(100),
                   quantity_units=100, pack_cost_fen=350, at=NOW, doc_type="receipt", doc_id="r1", user_id=None)
        dispense_in(uow.session, store_id=clinic.store_id, drug_id=clinic.amox.id, quantity_units=10, at=NOW,
                    doc_type="visit", doc_id="v1", user_id=None)
        dispense_in(uow.session, store_id=clinic.store_id, drug_id=clinic.amox.id, quantity_units=100, at=NOW,
                    doc_type="visit", doc_id="v1", user_id=None)
    assert clinic.fingerprint() == before


def test_a_batch_is_dispensed_on_its_expiry_day_and_refused_the_day_after(clinic: Clinic) -> None:
    """有效期至 D: usable through D, expired from D+1 — through the service, not only allocate()."""
    expiry = days(30)
    clinic.sv.stock.receive(clinic.vb1.id, "V-D", expiry, 100, at=NOW, accept_near_expiry=True)
    on_the_day = NOW.replace(year=expiry.year, month=expiry.month, day=expiry.day, hour=20)
    clinic.sv.stock.dispense(clinic.vb1.id, "10片", at=on_the_day)
    with clinic.sv.db.read() as s:
        assert s.scalar(select(Batch.on_hand).where(Batch.batch_no == "V-D")) == 90
    with pytest.raises(RuleViolation) as err:
        clinic.sv.stock.dispense(clinic.vb1.id, "10片", at=on_the_day + timedelta(hours=4))  # 00:00 the next day
    assert err.value.field == "数量" and "过期" in str(err.value)
    with clinic.sv.db.read() as s:
        assert s.scalar(select(Batch.on_hand).where(Batch.batch_no == "V-D")) == 90
