"""库存台账 names each row's document by its own number: a settlement's receipt number, its reversal's
number for the stock that came back, and for stock documents the day and ledger number of their first row."""

from __future__ import annotations

from datetime import timedelta

from settle_helpers import AT


def test_card_rows_carry_receipt_and_document_numbers(clinic) -> None:
    resident = clinic.resident()
    info = clinic.sv.settlement.settle(clinic.draft(resident.id, {"amlo": 70}), at=AT)
    reversal = clinic.sv.settlement.reverse(info.id, "患者不需要，退药", at=AT + timedelta(minutes=10))
    clinic.as_admin()
    write_off = clinic.sv.stock.write_off(clinic.batches["amlo_new"], 2, "damaged", at=AT + timedelta(minutes=20))
    store = clinic.sv.stock.local_store_id()
    rows = clinic.sv.stock.stock_card_page(store, clinic.drugs["amlo"], None, 50, newest_first=True).rows
    by_kind: dict[str, list] = {}
    for r in rows:
        by_kind.setdefault(r.kind, []).append(r)
    assert {r.doc_no for r in by_kind["dispense"]} == {info.receipt_no}  # 20261123-0001
    assert {r.doc_no for r in by_kind["reversal"]} == {reversal.receipt_no}  # CZ20261123-0001
    [off] = by_kind["write_off"]
    assert off.movement_id == write_off and off.doc_no == f"{AT:%Y%m%d}-{off.seq:04d}"
    receipts = by_kind["receipt"]
    assert all(r.doc_no == f"{r.occurred_at:%Y%m%d}-{r.seq:04d}" for r in receipts)  # one row per receipt
    assert all(r.doc_id[-6:] not in r.doc_no for r in rows)
    recent = clinic.sv.stock.recent_movements(["write_off"], 5)
    assert [m.doc_no for m in recent] == [off.doc_no]
