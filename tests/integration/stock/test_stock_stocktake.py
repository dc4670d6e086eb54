"""Stocktake: snapshot, counts with movements during the count, finalise, cancel, scanner lookup, count sheet."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from stock_helpers import Clinic, days, ledger

from app.domain.errors import RuleViolation


@pytest.fixture
def shelf(clinic: Clinic) -> dict[str, str]:
    st = clinic.sv.stock
    return {
        "A1": st.receive(clinic.amox.id, "A-SOON", days(60), 48, trace_codes=["81000000000000000001"],
                         accept_near_expiry=True),
        "A2": st.receive(clinic.amox.id, "A-LATE", days(400), 24),
        "N1": st.receive(clinic.nife.id, "N1", days(300), 60),
        "V1": st.receive(clinic.vb1.id, "V1", days(300), 100),
    }


def test_movements_during_the_count_are_accounted_for(clinic: Clinic, shelf: dict[str, str]) -> None:
    st, tk = clinic.sv.stock, clinic.sv.stocktake
    take = tk.start(clinic.store_id)
    assert (take.lines, take.counted) == (4, 0)
    st.dispense(clinic.amox.id, 10)  # before A-SOON is counted: the shelf shows 38
    tk.record_count(take.id, shelf["A1"], 36)  # two capsules missing
    st.dispense(clinic.amox.id, 5)  # after the count: books and shelf move together
    st.receive(clinic.nife.id, "N1", days(300), 30)  # arrives before N1 is counted: shelf shows 90
    tk.record_count(take.id, shelf["N1"], "3盒")  # 90 = as expected
    tk.record_count(take.id, shelf["A2"], "1盒1粒", reason="多出一粒")
    tk.record_count(take.id, shelf["V1"], 100)
    lines = {ln.batch_id: ln for ln in tk.lines(take.id)}
    assert (lines[shelf["A1"]].moved_during, lines[shelf["A1"]].variance_qty) == (-10, -2)
    assert lines[shelf["A1"]].variance_value_fen == -100  # 2 粒 × 12.00 / 24
    assert (lines[shelf["N1"]].expected_qty, lines[shelf["N1"]].variance_qty) == (90, 0)
    assert lines[shelf["A2"]].variance_qty == 1
    done = tk.finalise(take.id)
    assert done.status == "finalised"
    on_hand = {b.batch_id: b.on_hand_units for b in st.batches()}
    assert on_hand[shelf["A1"]] == 36 - 5  # counted, minus what left after the count
    assert on_hand[shelf["A2"]] == 25 and on_hand[shelf["N1"]] == 90
    adjustments = [(m.quantity, m.reason, m.doc_id) for m in ledger(clinic, clinic.amox.id) if m.kind == "adjustment"]
    assert adjustments == [(-2, "盘点盘亏", take.id), (1, "多出一粒", take.id)]
    with pytest.raises(RuleViolation, match="已完成"):
        tk.record_count(take.id, shelf["V1"], 99)


def test_uncounted_lines_block_finalise_unless_skipped(clinic: Clinic, shelf: dict[str, str]) -> None:
    tk = clinic.sv.stocktake
    take = tk.start(clinic.store_id, "shelf", "A1")
    assert take.lines == 3  # amoxicillin ×2 and vitamin B1 are on shelf A1
    tk.record_count(take.id, shelf["V1"], 98)
    before = clinic.fingerprint()
    with pytest.raises(RuleViolation) as err:
        tk.finalise(take.id)
    assert err.value.field == "实盘数量" and "2 个批次" in str(err.value)
    assert clinic.fingerprint() == before
    tk.finalise(take.id, skip_uncounted=True)
    assert {b.batch_id: b.on_hand_units for b in clinic.sv.stock.batches()}[shelf["V1"]] == 98


def test_one_open_count_per_store_and_cancel_posts_nothing(clinic: Clinic, shelf: dict[str, str]) -> None:
    tk = clinic.sv.stocktake
    take = tk.start(clinic.store_id, "category", "心血管")
    assert take.lines == 1
    with pytest.raises(RuleViolation, match="进行中"):
        tk.start(clinic.store_id)
    tk.record_count(take.id, shelf["N1"], 0)
    moves = len(ledger(clinic, clinic.nife.id))
    assert tk.cancel(take.id, "数错了").status == "cancelled"
    assert len(ledger(clinic, clinic.nife.id)) == moves
    assert tk.start(clinic.store_id).lines == 4


def test_scanner_lookup_by_batch_no_barcode_trace_code_and_pinyin(clinic: Clinic, shelf: dict[str, str]) -> None:
    tk = clinic.sv.stocktake
    take = tk.start(clinic.store_id)
    assert [ln.batch_id for ln in tk.scan(take.id, "A-LATE")] == [shelf["A2"]]
    assert [ln.batch_id for ln in tk.scan(take.id, "81000000000000000001")] == [shelf["A1"]]
    assert {ln.batch_id for ln in tk.scan(take.id, "6901234567890")} == {shelf["A1"], shelf["A2"]}
    assert [ln.batch_id for ln in tk.scan(take.id, "xbdp")] == [shelf["N1"]]
    assert {ln.batch_id for ln in tk.scan(take.id, "emxl")} == {shelf["A1"], shelf["A2"]}  # 阿莫西林 with 阿 read ē
    assert tk.scan(take.id, "nothing-like-this") == []


def test_a_batch_found_on_the_shelf_but_not_in_the_snapshot(clinic: Clinic, shelf: dict[str, str]) -> None:
    tk, st = clinic.sv.stocktake, clinic.sv.stock
    take = tk.start(clinic.store_id, "shelf", "B2")
    late = st.receive(clinic.nife.id, "N-NEW", days(500), 30)  # arrives during the count
    line = tk.record_count(take.id, late, 30)
    assert (line.booked_qty, line.moved_during, line.variance_qty) == (0, 30, 0)


def test_batches_received_after_the_start_are_counted_against_their_receipt(clinic: Clinic, shelf: dict[str, str]) -> None:
    """A batch that arrives during the count was not on the books at the start: the shelf holds just what came in.
    The last movement before the start (V1's receipt) is in the snapshot, never counted again as moved."""
    tk, st = clinic.sv.stocktake, clinic.sv.stock
    take = tk.start(clinic.store_id)
    late = st.receive(clinic.nife.id, "N-NEW", days(500), 30)  # the first movement after the start
    short = st.receive(clinic.vb1.id, "V-NEW", days(500), 50)
    st.dispense(clinic.vb1.id, 10)  # FEFO takes it from V1 (earlier expiry)
    for key, counted in (("A1", 48), ("A2", 24), ("N1", 60), ("V1", 90)):
        tk.record_count(take.id, shelf[key], counted)
    tk.record_count(take.id, late, 30)
    tk.record_count(take.id, short, "48片")
    lines = {ln.batch_id: ln for ln in tk.lines(take.id)}
    assert [(lines[b].booked_qty, lines[b].moved_during, lines[b].expected_qty, lines[b].variance_qty)
            for b in (late, short, shelf["V1"])] == [(0, 30, 30, 0), (0, 50, 50, -2), (100, -10, 90, 0)]
    tk.finalise(take.id)
    on_hand = {b.batch_id: b.on_hand_units for b in st.batches()}
    assert (on_hand[late], on_hand[short], on_hand[shelf["V1"]]) == (30, 48, 90)
    adjustments = [(m.batch_id, m.quantity) for d in (clinic.nife.id, clinic.vb1.id) for m in ledger(clinic, d)
                   if m.kind == "adjustment"]
    assert adjustments == [(short, -2)]
    after = {ln.batch_id: ln for ln in tk.lines(take.id)}
    assert (after[late].moved_during, after[short].moved_during, after[shelf["V1"]].moved_during) == (30, 50, -10)


def test_count_sheet_pdf(clinic: Clinic, shelf: dict[str, str], tmp_path: Path) -> None:
    tk = clinic.sv.stocktake
    take = tk.start(clinic.store_id)
    tk.record_count(take.id, shelf["A1"], 40)
    pdf = tmp_path / "sheet.pdf"
    assert tk.count_sheet_pdf(take.id, pdf) == 5  # 4 lines + total
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "盘点表" in text and "阿莫西林胶囊" in text and "A-SOON" in text and "-4.00" in text
