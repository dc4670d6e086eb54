"""The tables of 调拨与报量 over the transfers service's DTOs: Qt's model contract (qtmodeltester), what the
cells say, and the editable line tables (a quantity typed as '3' packs or '14片', a shortfall needing a
reason, a scanned trace code counting a pack)."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import Qt

from app.services.transfers.types import (
    DistributorInfo,
    PickLine,
    PurchaseInfo,
    PurchaseLineInfo,
    RequisitionInfo,
    RequisitionLineInfo,
    ReturnInfo,
    ShipmentInfo,
    ShipmentLineInfo,
    SuggestedLine,
)
from ui.pages.transfers.line_models import (
    ApproveModel,
    CountModel,
    DraftLinesModel,
    EditLine,
    PurchaseLinesModel,
    PurchaseRow,
    SuggestModel,
    picked_drug,
)
from ui.pages.transfers.models import (
    DistributorsModel,
    PickModel,
    PurchasesModel,
    RequisitionLinesModel,
    RequisitionsModel,
    ReturnsModel,
    ShipmentLinesModel,
    ShipmentsModel,
    pack_text,
)
from ui.pages.transfers.purchase_records import PurchaseDetailModel
from ui.pages.transfers.township_dialogs import ReturnLinesModel

AT = datetime(2026, 6, 15, 9, 30)
AMOX = {"generic_name": "阿莫西林胶囊", "strength": "0.25g×24粒", "units_per_pack": 24, "pack_unit": "盒",
        "base_unit": "粒"}
CODES = ("80000000000000000001", "80000000000000000002", "80000000000000000003")


def shipment(status: str = "received", lost: int = 24) -> ShipmentInfo:
    return ShipmentInfo("s1", "DB202606150001", "v1", "东村卫生室", "requisition", "BL202606100001", status, AT, AT,
                        AT if status == "received" else None, 2, 72, 72 - lost, lost, 3600)


def ship_line(quantity: int = 72, codes: tuple[str, ...] = CODES) -> ShipmentLineInfo:
    return ShipmentLineInfo("l1", 1, "d1", **AMOX, requested_units=72, quantity=quantity, batch_no="A2409",
                            expiry=date(2027, 9, 30), pack_price_fen=1200, trace_codes=codes, qty_received=48,
                            qty_lost=24, reason="破损")


def req_line(requested: int = 48, township: int = 240) -> RequisitionLineInfo:
    return RequisitionLineInfo("r1", 1, "d1", **AMOX, monthly_use_units=30, on_hand_units=10, in_transit_units=0,
                               suggested_units=24, requested_units=requested, township_on_hand_units=township)


def edit(model, row: int, column: int, text: str) -> None:
    assert model.setData(model.index(row, column), text, Qt.ItemDataRole.EditRole)


def test_every_list_model_keeps_qts_model_contract(qtmodeltester) -> None:
    requisition = RequisitionInfo("q1", "BL202606100001", "v1", "东村卫生室", AT, 2, "answered", 3, "s1",
                                  "DB202606150001", "in_transit")
    models = [
        (RequisitionsModel(with_village=True), [requisition]),
        (RequisitionsModel(), [requisition]),
        (RequisitionLinesModel(), [req_line()]),
        (ShipmentsModel(), [shipment(), shipment("draft"), shipment("in_transit")]),
        (ShipmentsModel(with_village=False), [shipment()]),
        (ShipmentLinesModel(), [ship_line()]),
        (PickModel(), [PickLine("d1", "阿莫西林胶囊", "0.25g×24粒", "A1", "b1", "A2409", date(2027, 9, 30), 72, 24,
                                "盒", "粒"),
                       PickLine("d1", "阿莫西林胶囊", "0.25g×24粒", "A1", "", "", None, 24, 24, "盒", "粒")]),
        (PurchasesModel(), [PurchaseInfo("p1", "CG202606150001", "purchase", "x", "某医药公司", "SH001", "FP001", None,
                                         AT, 2, 12000, "李药管", "")]),
        (DistributorsModel(), [DistributorInfo("x", "某医药公司", "91410100MA00000000", "王经理", "0371-1", True),
                               DistributorInfo("y", "旧公司", "", "", "", False)]),
        (ReturnsModel(), [ReturnInfo("t1", "TH001", "v1", "东村卫生室", AT, "d1", **AMOX, batch_no="A2401",
                                     expiry=date(2026, 8, 1), quantity=24, pack_price_fen=1200, amount_fen=1200,
                                     reason="近效期调剂", status="waiting", received_at=None)]),
    ]
    for model, rows in models:
        model.set_rows(rows)
        qtmodeltester.check(model)
    shipments, picks = models[3][0], models[6][0]
    assert models[4][0].COLUMNS[1:3] == ("类型", "报量单")
    assert [shipments.index(0, c).data() for c in range(shipments.columnCount())] == [
        "DB202606150001", "东村卫生室", "报量", "BL202606100001", "已入库", "2026-06-15 09:30", "2026-06-15 09:30", "2",
        "36.00", "有短少"]
    assert shipments.index(1, 4).data() == "待出库" and shipments.index(1, 9).data() == ""
    assert shipments.index(2, 4).data() == "在途" and shipments.index(2, 6).data() == ""
    assert picks.index(1, 2).data() == "库存不足" and picks.short() == [picks.row(1)]
    assert models[0][0].index(0, 5).data() == "已配送"
    assert models[8][0].index(1, 4).data() == "停用"


def test_a_requisition_quantity_is_typed_in_packs_or_units(qtmodeltester) -> None:
    suggested = SuggestedLine("d1", **AMOX, monthly_use_units=30, on_hand_units=10, in_transit_units=0,
                              suggested_units=24)
    model = SuggestModel()
    model.set_lines([EditLine(suggested, {"qty": pack_text(suggested, 24)})])
    qtmodeltester.check(model)
    assert model.index(0, 5).data() == "1" and model.flags(model.index(0, 5)) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(0, 4)) & Qt.ItemFlag.ItemIsEditable
    edit(model, 0, 5, "14粒")
    assert model.wanted() == [("d1", "14粒")] and model.first_error() is None
    edit(model, 0, 5, "3盒盒")
    row, message = model.first_error()
    assert row == 0 and "数量" in message
    assert model.index(0, 5).data(Qt.ItemDataRole.ToolTipRole) == message
    edit(model, 0, 5, "0")
    assert model.wanted() == []


def test_counting_in_a_shipment_shortfalls_need_a_reason_and_scans_count_packs(qtmodeltester) -> None:
    model = CountModel()
    line = ship_line()
    model.set_lines([EditLine(line, {"counted": pack_text(line, line.quantity), "reason": ""})])
    qtmodeltester.check(model)
    assert model.index(0, 4).data() == "3" and model.first_error() is None and model.totals() == (0, 0)
    edit(model, 0, 4, "2")
    assert model.index(0, 5).data() == "1盒" and "短少原因" in model.first_error()[1]
    edit(model, 0, 6, "破损")
    assert model.first_error() is None and model.totals() == (1, 0)
    edit(model, 0, 4, "4")
    assert "多于发出" in model.first_error()[1]
    # scanning: the first code starts the count over from what was scanned
    assert model.add_code(CODES[1]) == (0, "")
    assert model.index(0, 4).data() == "1" and model.index(0, 7).data() == "1/3"
    assert model.add_code(CODES[1])[0] == -1 and "已经扫过" in model.add_code(CODES[1])[1]
    assert "不在这张调拨单上" in model.add_code("89999999999999999999")[1]
    model.add_code(CODES[0])
    model.add_code(CODES[2])
    assert model.index(0, 4).data() == "3" and model.shortfall(model.lines()[0]) == 0


def test_approved_quantities_over_township_stock_are_allowed_but_marked(qtmodeltester) -> None:
    model = ApproveModel()
    line = req_line(requested=48, township=24)
    model.set_lines([EditLine(line, {"qty": pack_text(line, 48)})])
    qtmodeltester.check(model)
    assert model.index(0, 7).data() == "2" and model.first_error() is None
    assert model.over_stock(model.lines()[0])
    assert model.index(0, 6).data(Qt.ItemDataRole.ForegroundRole) is not None
    edit(model, 0, 7, "12粒")
    assert model.approved() == {"r1": "12粒"} and not model.over_stock(model.lines()[0])


def test_a_purchase_and_its_return_lines(qtmodeltester) -> None:
    line = PurchaseLineInfo("pl1", 1, "d1", **AMOX, batch_id="b1", batch_no="A2409", expiry=date(2027, 9, 30),
                            quantity=240, pack_price_fen=1100, amount_fen=11000, code_count=10, returned_units=48)
    detail = PurchaseDetailModel()
    detail.set_rows([line])
    qtmodeltester.check(detail)
    assert [detail.index(0, c).data() for c in range(detail.columnCount())] == [
        "阿莫西林胶囊 0.25g×24粒", "A2409", "2027-09-30", "10盒", "11.00", "110.00", "10", "2盒"]
    returns = ReturnLinesModel()
    returns.set_lines([EditLine(line, {"qty": "0"})])
    qtmodeltester.check(returns)
    assert returns.index(0, 4).data() == "2盒" and returns.first_error() is None
    edit(returns, 0, 5, "9")
    assert "最多还能退 8盒" in returns.first_error()[1]
    edit(returns, 0, 5, "8")
    assert returns.first_error() is None and returns.units(returns.lines()[0]) == 192


def test_draft_and_purchase_lines_add_and_remove(qtmodeltester) -> None:
    amox = type("Drug", (), {"id": "d1", **AMOX})()
    drug = picked_drug(amox)
    model = DraftLinesModel()
    assert model.add(drug) == 0 and model.add(drug) == 0
    qtmodeltester.check(model)
    assert model.wanted() == [("d1", "1")] and model.index(0, 1).data() == "每盒24粒"
    edit(model, 0, 2, "0")
    assert "大于 0" in model.first_error()[1]
    model.remove(0)
    assert model.rowCount() == 0

    lines = PurchaseLinesModel()
    lines.append(PurchaseRow(amox, "A2409", date(2027, 9, 30), "10", 240, 1200, CODES))
    lines.append(PurchaseRow(amox, "A2401", date(2026, 8, 1), "14粒", 14, 1200, (), accept_near_expiry=True))
    qtmodeltester.check(lines)
    assert [lines.index(0, c).data() for c in range(7)] == ["阿莫西林胶囊 0.25g×24粒", "A2409", "2027-09-30", "10盒",
                                                           "12.00", "120.00", "3"]
    assert lines.index(1, 2).data() == "2026-08-01（近效期）" and lines.index(1, 5).data() == "7.00"
    assert lines.index(1, 6).data() == "无码"
    lines.remove(0)
    assert lines.rowCount() == 1
