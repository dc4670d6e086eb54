"""调拨与报量 through the real services at a township and its villages that sync through the real hub: purchase and
purchase return, 报量 with its suggested quantities, 审核 into a draft, the FEFO 配货单 (its PDF read back),
shipping, the village's receipt with a shortfall, in transit, returns to the township, the trace codes that
travel with the boxes, and every audit row read in Chinese."""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime, timedelta

import pytest
from transfers_sites import codes, purchase, sql, sync

from app.domain.enums import MovementKind, TraceEventKind
from app.domain.errors import RuleViolation
from app.domain.ids import derived_id
from app.services.core.audit_text import ACTION_LABELS
from app.services.transfers.types import DistributorForm, PurchaseForm, PurchaseLineForm

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


def _movements(world, site: str, doc_type: str) -> list[tuple]:
    return sql(world, site, "SELECT kind, quantity, doc_id FROM stock_movements WHERE doc_type = ? ORDER BY seq",
               doc_type)


def test_purchase_then_return_to_the_distributor(world) -> None:
    tr = world.sv["township"].transfers
    amox, vc = world.template.drugs
    dist = tr.save_distributor(DistributorForm("国药控股测试医药有限公司", "91410100MA47000001", "王经理", "0371-1"))
    assert [d.name for d in tr.distributors()] == ["国药控股测试医药有限公司"]
    box_codes = codes("41", 3)
    done = tr.receive_purchase(PurchaseForm(dist, "SH0001", "FP0001", [
        PurchaseLineForm(amox, "A1", date(2027, 1, 31), "3", 1200, box_codes),
        PurchaseLineForm(vc, "V1", date(2027, 3, 1), "50片", 350)], note="六月第一批"))
    # 3 boxes at ¥12.00 and half a bottle (50 of 100 片) at ¥3.50: ¥36.00 + ¥1.75
    assert done.total_fen == 3600 + 175 and done.receipt_no == "CG20260615-0001"
    detail = tr.purchase(done.receipt_id)
    assert [(ln.quantity, ln.amount_fen, ln.code_count) for ln in detail.lines] == [(72, 3600, 3), (50, 175, 0)]
    assert detail.info.delivery_note_no == "SH0001" and detail.info.invoice_no == "FP0001"
    assert sorted(_movements(world, "township", "purchase")) == sorted([
        ("receipt", 72, done.receipt_id), ("receipt", 50, done.receipt_id)])
    assert {r[0] for r in sql(world, "township", "SELECT kind FROM trace_code_events WHERE doc_id = ?",
                              done.receipt_id)} == {"received"}

    back = tr.return_purchase(done.receipt_id, [(detail.lines[0].id, 24)], "包装破损",
                              trace_codes={detail.lines[0].id: [box_codes[2]]})
    assert world.sv["township"].stock.trace_code(box_codes[2]).state == TraceEventKind.SUPPLIER_RETURNED.value
    assert back.total_fen == 1200 and back.receipt_no.startswith("CT20260615-")
    assert _movements(world, "township", "purchase_return") == [("supplier_return", -24, back.receipt_id)]
    assert tr.purchase(done.receipt_id).lines[0].returned_units == 24
    assert [(p.kind, p.total_fen) for p in tr.purchases("2026-06")] == [("return", 1200), ("purchase", 3775)]
    assert tr.purchases("2026-05") == []
    price_id = tr.set_reference_price(amox, 2500, "集采前挂网价")
    assert tr.set_reference_price(amox, 2600) == price_id
    assert sql(world, "township", "SELECT reference_price_fen FROM drug_reference_prices") == [(2600,)]


def test_requisition_review_ship_receive_with_shortfall(world) -> None:
    township, east = world.sv["township"], world.sv["east"]
    amox, vc = world.template.drugs
    purchase(township, vc, "V1", date(2027, 3, 1), "10", 350)
    # the village's use: 240 粒 dispensed in the last 90 days, 24 of them reversed: 216 ÷ 3 = 72 a month
    east.stock.receive(amox, "E1", date(2027, 5, 31), 300, pack_cost_fen=1250)
    for _ in range(10):
        east.stock.dispense(amox, 24)
    wrong = east.stock.dispense(amox, 24, at=datetime(2026, 3, 1, 9))  # more than 90 days ago: not counted
    assert wrong
    moved = sql(world, "east", "SELECT id FROM stock_movements WHERE kind = 'dispense' ORDER BY seq LIMIT 1")[0][0]
    east.stock.reverse_movement(moved, "录错")
    on_hand = 300 - 240 + 24 - 24
    suggestion = {s.drug_id: s for s in east.transfers.suggest_requisition(3)}
    amox_s = suggestion[amox]
    assert (amox_s.monthly_use_units, amox_s.on_hand_units, amox_s.in_transit_units) == (72, on_hand, 0)
    # 72 × 3 − 60 = 156 粒, up to whole boxes of 24: 168
    assert amox_s.suggested_units == 168 and vc not in suggestion
    req = east.transfers.create_requisition([(amox, "7"), (vc, 100)], target_months=3, note="下月用量")
    detail = east.transfers.requisition(req.requisition_id)
    assert [(ln.requested_units, ln.suggested_units, ln.monthly_use_units) for ln in detail.lines] == [
        (168, 168, 72), (100, 0, 0)]
    assert [r.status for r in east.transfers.requisitions()] == ["waiting"]

    sync(world, "east", "township")
    tr = township.transfers
    waiting = tr.requisitions(status="waiting")
    assert [(r.requisition_no, r.site_name) for r in waiting] == [(req.requisition_no, "east")]
    seen = tr.requisition(req.requisition_id)
    assert [ln.township_on_hand_units for ln in seen.lines] == [480, 1000]
    draft_id = tr.review_requisition(req.requisition_id, {seen.lines[0].id: 144, seen.lines[1].id: "0"}, note="先发6盒")
    assert tr.requisitions(status="waiting") == [] and tr.requisitions(status="answered")[0].shipment_id == draft_id
    draft = tr.shipment(draft_id)
    assert draft.info.status == "draft" and draft.info.kind == "requisition"
    assert [(ln.requested_units, ln.quantity) for ln in draft.lines] == [(168, 144), (100, 0)]
    picks = tr.pick_list(draft_id)
    assert [(p.batch_no, p.quantity) for p in picks] == [("T2501", 144)]

    done = tr.ship(draft_id)
    assert (done.line_count, done.amount_fen) == (1, 6 * 1250)
    assert _movements(world, "township", "shipment") == [("transfer_out", -144, draft_id)]
    assert [(ln.line_no, ln.batch_no, ln.quantity) for ln in tr.shipment(draft_id).lines] == [(1, "T2501", 144), (2, "", 0)]
    assert [s.id for s in tr.in_transit()] == [draft_id]

    sync(world, "township", "east")
    tv = east.transfers
    assert [s.id for s in tv.incoming()] == [draft_id]
    assert {s.drug_id: s for s in tv.suggest_requisition(3)}[amox].in_transit_units == 144
    line = tv.shipment(draft_id).lines[0]
    receipt = tv.receive_shipment(draft_id, {line.id: "5盒"}, reasons={line.id: "一盒破损"})
    assert (receipt.receipt_id, receipt.received_units, receipt.lost_units) == (
        derived_id(draft_id, "transfer_receipt"), 120, 24)
    assert _movements(world, "east", "transfer_receipt") == [("transfer_in", 120, receipt.receipt_id)]
    lot = sql(world, "east", "SELECT batch_no, expiry, pack_cost_fen, on_hand FROM batches WHERE batch_no = 'T2501'")
    assert lot == [("T2501", "2027-07-31", 1250, 120)]
    assert tv.incoming() == []

    sync(world, "east", "township")
    info = tr.shipment(draft_id)
    assert (info.info.status, info.info.qty_shipped, info.info.qty_received, info.info.qty_lost) == (
        "received", 144, 120, 24)
    assert (info.lines[0].qty_received, info.lines[0].qty_lost, info.lines[0].reason) == (120, 24, "一盒破损")
    assert tr.in_transit() == [] and [s.status for s in tr.shipments(status="received")] == ["received"]
    assert tr.requisitions()[0].shipment_status == "received"


def test_ad_hoc_and_redistribution_drafts_cancel_and_fefo(world) -> None:
    township = world.sv["township"]
    tr = township.transfers
    amox, _ = world.template.drugs
    purchase(township, amox, "A0", date(2026, 12, 31), "2", 1100)  # expires first: picked first
    purchase(township, amox, "OLD", date(2026, 6, 1), "5", 1000, at=datetime(2026, 5, 1, 9))  # expired since
    east, west = world.site_id("east"), world.site_id("west")
    first = tr.draft_shipment(east, [(amox, "3")])
    assert [(p.batch_no, p.quantity) for p in tr.pick_list(first)] == [("A0", 48), ("T2501", 24)]
    tr.cancel_shipment(first, "改为下周发")
    assert tr.shipment(first).info.status == "cancelled" and tr.shipments(status="cancelled")[0].id == first
    second = tr.draft_shipment(west, [(amox, 600)], kind="redistribution", note="东村近效期调剂")
    assert [(p.batch_no, p.quantity) for p in tr.pick_list(second)] == [("A0", 48), ("T2501", 480), ("", 72)]
    third = tr.draft_shipment(west, [(amox, 500)], kind="redistribution")
    done = tr.ship(third)
    shipped = tr.shipment(third)
    assert [ln.line_no for ln in shipped.lines] == [1, 2]
    assert shipped.info.kind == "redistribution" and done.line_count == 2
    assert [(ln.batch_no, ln.expiry, ln.quantity, ln.pack_price_fen) for ln in shipped.lines] == [
        ("A0", date(2026, 12, 31), 48, 1100), ("T2501", date(2027, 7, 31), 452, 1250)]
    assert done.amount_fen == 2200 + (452 * 1250 * 2 + 24) // 48
    assert [(p.batch_no, p.quantity) for p in tr.pick_list(third)] == [("A0", 48), ("T2501", 452)]
    assert {s.id for s in tr.shipments(to_site_id=west)} == {second, third}
    assert {s.id for s in tr.shipments(month="2026-06")} == {first, second, third}
    assert tr.shipments(month="2026-05") == []


def test_pick_list_pdf_reads_back(world, tmp_path) -> None:
    township = world.sv["township"]
    amox, vc = world.template.drugs
    purchase(township, vc, "V9", date(2027, 3, 1), "2", 350)
    draft = township.transfers.draft_shipment(world.site_id("east"), [(amox, "21"), (vc, "3")])
    pdf = township.transfers.print_pick_list(draft, tmp_path / "配货单.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "配货单" in text.replace(" ", "") and "收货单位：east" in text and "临时调拨" in text
    assert re.search(r"阿莫西林胶囊 0\.25g×24粒\s+T2501\s+2027-07-31\s+20盒", text)
    assert re.search(r"维生素C片 100mg×100片\s+V9\s+2027-03-01\s+2瓶", text)
    assert re.search(r"缺货\s+1瓶", text) and re.search(r"缺货\s+1盒", text)
    assert "其中 2 行库存不足" in text and "配货人" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+419\.528 x 595\.276 pts", info) and re.search(r"Pages:\s+1\n", info)


def test_trace_codes_travel_with_the_boxes(world) -> None:
    township, east = world.sv["township"], world.sv["east"]
    amox, _ = world.template.drugs
    boxes = codes("52", 4)
    purchase(township, amox, "C1", date(2027, 1, 31), "4", 1200, trace_codes=boxes)
    draft = township.transfers.draft_shipment(world.site_id("east"), [(amox, "3")])
    township.transfers.ship(draft, trace_codes={amox: boxes[:3]})
    line = township.transfers.shipment(draft).lines[0]
    assert line.trace_codes == tuple(boxes[:3])
    assert township.stock.trace_code(boxes[0]).state == TraceEventKind.SHIPPED.value
    # a box that left the township is not sold there
    with pytest.raises(RuleViolation, match="不在本药库"):
        township.stock.dispense(amox, 1, trace_codes=[boxes[0]])
    sync(world, "township", "east")
    east.transfers.receive_shipment(draft)
    assert east.stock.trace_code(boxes[0]).state == TraceEventKind.RECEIVED.value
    east.stock.dispense(amox, 24, trace_codes=[boxes[0]])  # sold where it was received
    assert east.stock.trace_code(boxes[0]).state == TraceEventKind.SOLD.value
    sync(world, "east", "township")
    assert township.stock.trace_code(boxes[0]).state == TraceEventKind.SOLD.value


def test_return_to_township_and_receipt_there(world) -> None:
    township, east = world.sv["township"], world.sv["east"]
    amox, _ = world.template.drugs
    boxes = codes("63", 2)
    east.stock.receive(amox, "R1", date(2026, 9, 30), 48, pack_cost_fen=1300, trace_codes=boxes,
                       accept_near_expiry=True)
    batch = east.stock.batches(amox)[0].batch_id
    east.stock.return_to_township(batch, "1", "近效期，交乡镇调剂", trace_codes=[boxes[0]])
    back = east.transfers.returns()
    assert [(r.return_no, r.quantity, r.amount_fen, r.status, r.trace_codes) for r in back] == [
        ("TH20260615-0001", 24, 1300, "waiting", (boxes[0],))]
    assert _movements(world, "east", "stock_return") == [("return", -24, back[0].id)]
    sync(world, "east", "township")
    tr = township.transfers
    assert [r.id for r in tr.returns(status="waiting")] == [back[0].id]
    receipt_id = tr.receive_return(back[0].id)
    assert receipt_id == derived_id(back[0].id, "return_receipt")
    assert _movements(world, "township", "return_receipt") == [("receipt", 24, receipt_id)]
    assert tr.returns(status="waiting") == [] and tr.returns(status="received")[0].received_at is not None
    assert township.stock.trace_code(boxes[0]).state == TraceEventKind.RECEIVED.value
    assert sql(world, "township", "SELECT quantity, amount_fen FROM return_receipts") == [(24, 1300)]
    # then 调剂: the township ships the lot on to the other village
    draft = tr.draft_shipment(world.site_id("west"), [(amox, "1")], kind="redistribution")
    lot = sql(world, "township", "SELECT b.id FROM batches b JOIN stores s ON s.id = b.store_id "
              "WHERE b.batch_no = 'R1' AND s.site_id = ?", world.site_id("township"))[0][0]
    assert [p.batch_id for p in tr.pick_list(draft)] == [lot]  # it expires first
    tr.ship(draft, trace_codes={amox: [boxes[0]]})
    sync(world, "township", "east", "west")
    assert east.transfers.returns()[0].status == "received"
    west = world.sv["west"]
    west.transfers.receive_shipment(draft)
    assert west.stock.trace_code(boxes[0]).state == TraceEventKind.RECEIVED.value
    assert MovementKind.TRANSFER_IN.value in {r[0] for r in _movements(world, "west", "transfer_receipt")}


def test_every_transfers_audit_row_reads_in_chinese(world) -> None:
    township, east = world.sv["township"], world.sv["east"]
    tr = township.transfers
    amox, vc = world.template.drugs
    dist = tr.save_distributor(DistributorForm("华润河南医药有限公司"))
    tr.save_distributor(DistributorForm("华润河南医药有限公司", phone="0371-2"), dist)
    tr.set_reference_price(amox, 2500)
    done = tr.receive_purchase(PurchaseForm(dist, "SH9", "FP9", [PurchaseLineForm(vc, "V1", date(2027, 3, 1), "2", 350)]))
    tr.return_purchase(done.receipt_id, [(tr.purchase(done.receipt_id).lines[0].id, "1瓶")], "发错规格")
    req = east.transfers.create_requisition([(amox, 24)])
    other = east.transfers.create_requisition([(vc, 100)])
    east.transfers.cancel_requisition(other.requisition_id, "重复报量")
    east.stock.receive(amox, "R1", date(2027, 9, 30), 24, pack_cost_fen=1300)
    east.stock.return_to_township(east.stock.batches(amox)[0].batch_id, 24, "多余")
    sync(world, "east", "township")
    draft = tr.review_requisition(req.requisition_id, {})
    cancelled = tr.draft_shipment(world.site_id("west"), [(amox, 24)])
    tr.cancel_shipment(cancelled, "不发了")
    tr.ship(draft)
    tr.receive_return(tr.returns()[0].id)
    sync(world, "township", "east")
    line = east.transfers.shipment(draft).lines[0]
    east.transfers.receive_shipment(draft, {line.id: 20}, reasons={line.id: "少了4粒"})
    sync(world, "east", "township")
    entries = township.status.audit_page(0, 1000) + east.status.audit_page(0, 1000)  # the log stays at its site
    written = {e.action: e.text for e in entries if e.action.startswith("transfers.")}
    assert set(written) == {a for a in ACTION_LABELS if a.startswith("transfers.")}
    for action, text in written.items():
        assert text and not UUID.search(text), (action, text)
    assert written["transfers.receive"].endswith("实收 20（最小单位）；短少 4（最小单位）")
    assert "随货单号：SH9" in written["transfers.purchase"] and "配送企业：华润河南医药有限公司" in written["transfers.purchase"]
    assert "¥3.50" in written["transfers.purchase_return"]


def test_a_township_shipment_counts_in_the_village_suggestion_until_received(world) -> None:
    township, east = world.sv["township"], world.sv["east"]
    amox, _ = world.template.drugs
    draft = township.transfers.draft_shipment(world.site_id("east"), [(amox, 48)])
    township.transfers.ship(draft, at=datetime(2026, 6, 14, 16))
    east.stock.receive(amox, "E1", date(2027, 5, 31), 24, pack_cost_fen=1250)
    east.stock.dispense(amox, 24, at=datetime(2026, 6, 1, 9))
    sync(world, "township", "east")
    figures = {s.drug_id: s for s in east.transfers.suggest_requisition(today=date(2026, 6, 15))}[amox]
    # 24 dispensed in 90 days ÷ 3 = 8 a month; 0 on hand, 48 in transit: nothing to ask for
    assert (figures.monthly_use_units, figures.on_hand_units, figures.in_transit_units, figures.suggested_units) == (
        8, 0, 48, 0)
    east.transfers.receive_shipment(draft)
    later = {s.drug_id: s for s in east.transfers.suggest_requisition(today=date(2026, 6, 15) + timedelta(days=1))}
    assert (later[amox].on_hand_units, later[amox].in_transit_units) == (48, 0)


def test_a_minimum_stock_sets_the_floor_of_the_suggestion(world) -> None:
    """A drug kept for emergencies (最低库存 set, no use lately) is suggested up to its minimum, in whole packs;
    with use, the larger of use × months and the minimum counts."""
    east = world.sv["east"]
    amox, vitc = world.template.drugs
    east.catalog.set_store_settings(vitc, min_stock_units=150)  # 1.5 bottles of 100
    east.stock.receive(vitc, "V1", date(2027, 5, 31), 100, pack_cost_fen=350)
    figures = {s.drug_id: s for s in east.transfers.suggest_requisition(today=date(2026, 6, 15))}[vitc]
    assert (figures.monthly_use_units, figures.on_hand_units, figures.suggested_units) == (0, 100, 100)
    east.catalog.set_store_settings(amox, min_stock_units=24)
    east.stock.receive(amox, "E1", date(2027, 5, 31), 240, pack_cost_fen=1250)
    east.stock.dispense(amox, 216, at=datetime(2026, 6, 1, 9))  # 72 a month, far above the minimum of 24
    figures = {s.drug_id: s for s in east.transfers.suggest_requisition(2, today=date(2026, 6, 15))}[amox]
    assert (figures.monthly_use_units, figures.on_hand_units, figures.suggested_units) == (72, 24, 120)
