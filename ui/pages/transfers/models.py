"""The read-only tables of 调拨与报量 over the transfers service's DTOs (报量单, 调拨单, 配货单, 采购单, 配送企业,
退回单), with the colours and the cell texts (dates, quantities as '3盒2片', statuses) that the editable line tables
of ``line_models`` share."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from PySide6.QtGui import QColor

from ui.models.base import RowsModel
from ui.models.stock import count, qty, yuan

RED = QColor("#b42318")
AMBER = QColor("#b54708")
GREEN = QColor("#067647")
GREY = QColor("#667085")

SHIPMENT_KINDS = {"requisition": "报量", "ad_hoc": "临时", "redistribution": "调剂"}
SHIPMENT_STATUS = {"draft": "待出库", "in_transit": "在途", "shipped": "在途", "received": "已入库",
                   "cancelled": "已作废"}
_SHIPMENT_COLOUR = {"draft": AMBER, "in_transit": RED, "shipped": RED, "received": GREEN, "cancelled": GREY}


def when(value: Any) -> str:
    """'2026-06-15 09:30' (a datetime), '2026-06-15' (a date), '' (None)."""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return str(value or "")


def line_qty(line: Any, units: int | None) -> str:
    """A quantity of a line's drug as the stock page shows it ('3盒2片'); '' for None."""
    if units is None:
        return ""
    return qty(units, line.pack_unit, line.base_unit, line.units_per_pack)


def pack_text(line: Any, units: int) -> str:
    """What to put in a quantity box: '3' (whole packs) or '14片'."""
    per = max(int(line.units_per_pack or 1), 1)
    if units % per == 0:
        return str(units // per)
    return f"{units}{line.base_unit}"


def requisition_status(info: Any) -> str:
    """待审核 · 已撤回 · 已审核（待出库） · 已配送 · 已入库 · 调拨单已作废."""
    if info.status == "waiting":
        return "待审核"
    if info.status == "cancelled":
        return "已撤回"
    shipped = getattr(info, "shipment_status", None)
    return {"draft": "已审核（待出库）", "received": "已入库", "cancelled": "调拨单已作废"}.get(shipped or "", "已配送")


def shipment_status(info: Any) -> str:
    return SHIPMENT_STATUS.get(info.status, info.status)


def drug_text(line: Any) -> str:
    return f"{line.generic_name} {line.strength}".strip()


def lot_cell(line: Any, column: int) -> str:
    """The first three columns of a line that names a lot: 药品, 批号, 效期."""
    return (drug_text(line), line.batch_no or "", when(line.expiry))[column]


# -- read-only lists ----------------------------------------------------------------------------
class RequisitionsModel(RowsModel):
    """报量单号, (村卫生室), 报量时间, 目标, 品种, 状态, 调拨单."""

    def __init__(self, parent: Any = None, *, with_village: bool = False) -> None:
        super().__init__(parent)
        cols = ["报量单号", "报量时间", "目标", "品种", "状态", "调拨单"]
        if with_village:
            cols.insert(1, "村卫生室")
        self.COLUMNS = tuple(cols)  # type: ignore[misc]
        self.NUMERIC = frozenset({self.COLUMNS.index("品种")})  # type: ignore[misc]

    def cell(self, row: Any, column: int) -> str:
        key = self.COLUMNS[column]
        if key == "报量单号":
            return row.requisition_no
        if key == "村卫生室":
            return row.site_name
        if key == "报量时间":
            return when(row.requested_at)
        if key == "目标":
            return f"{row.target_months} 个月"
        if key == "品种":
            return str(row.line_count)
        if key == "状态":
            return requisition_status(row)
        return row.shipment_no or ""

    def foreground(self, row: Any, column: int) -> QColor | None:
        if self.COLUMNS[column] != "状态":
            return None
        text = requisition_status(row)
        return {"待审核": AMBER, "已撤回": GREY, "已配送": RED, "已入库": GREEN}.get(text)


class RequisitionLinesModel(RowsModel):
    """The lines of one 报量单 (read-only): 药品, 月均用量, 库存, 在途, 建议, 报量."""

    COLUMNS = ("药品", "月均用量", "村库存", "在途", "建议", "报量")
    NUMERIC = frozenset({1, 2, 3, 4, 5})

    def cell(self, row: Any, column: int) -> str:
        values = (None, row.monthly_use_units, row.on_hand_units, row.in_transit_units, row.suggested_units,
                  row.requested_units)
        return drug_text(row) if column == 0 else line_qty(row, values[column])


class ShipmentsModel(RowsModel):
    """调拨单号, (村卫生室), 类型, 报量单, 状态, 开单/出库, 入库, 品种, 金额, 短少 (quantities per line are in the
    detail: a sum over drugs of different units would mean nothing)."""

    def __init__(self, parent: Any = None, *, with_village: bool = True) -> None:
        super().__init__(parent)
        cols = ["调拨单号", "村卫生室", "类型", "报量单", "状态", "开单/出库", "村卫生室入库", "品种", "金额", "短少"]
        if not with_village:
            cols.remove("村卫生室")
            cols[cols.index("村卫生室入库")] = "入库"
        self.COLUMNS = tuple(cols)  # type: ignore[misc]
        self.NUMERIC = frozenset({self.COLUMNS.index("品种"), self.COLUMNS.index("金额")})  # type: ignore[misc]

    def column_of(self, name: str) -> int:
        return self.COLUMNS.index(name)

    def cell(self, row: Any, column: int) -> str:
        key = self.COLUMNS[column]
        if key == "调拨单号":
            return row.shipment_no or "（草稿）"
        if key == "村卫生室":
            return row.to_site_name
        if key == "类型":
            return SHIPMENT_KINDS.get(row.kind, row.kind)
        if key == "报量单":
            return row.requisition_no or ""
        if key == "状态":
            return shipment_status(row)
        if key == "开单/出库":
            return when(row.shipped_at or row.drafted_at)
        if key in ("村卫生室入库", "入库"):
            return when(row.received_at)
        if key == "品种":
            return str(row.line_count)
        if key == "金额":
            return yuan(row.amount_fen) if row.amount_fen else ""
        return "有短少" if row.status == "received" and row.qty_lost else ""

    def foreground(self, row: Any, column: int) -> QColor | None:
        key = self.COLUMNS[column]
        if key == "状态":
            return _SHIPMENT_COLOUR.get(row.status)
        if key == "短少":
            return RED
        return None

    def tooltip(self, row: Any, column: int) -> str | None:
        if self.COLUMNS[column] == "金额":
            return "按采购价计" + ("（待出库的为核准数量）" if row.status == "draft" else "")
        return None


def shortfall_text(lines: list[Any]) -> str:
    """'阿莫西林胶囊 1盒（破损）；…' of the lines received short ('' when none)."""
    return "；".join(f"{drug_text(line)} {line_qty(line, line.qty_lost)}" + (f"（{line.reason}）" if line.reason else "")
                    for line in lines if line.qty_lost)


class ShipmentLinesModel(RowsModel):
    """The lines of one 调拨单: 药品, 批号, 效期, 报量, 发出, 实收, 短少, 追溯码."""

    COLUMNS = ("药品", "批号", "效期", "报量", "发出", "实收", "短少", "追溯码")
    NUMERIC = frozenset({3, 4, 5, 6, 7})

    def cell(self, row: Any, column: int) -> str:
        if column < 3:
            return lot_cell(row, column)
        if column == 3:
            return line_qty(row, row.requested_units)
        if column == 4:
            return line_qty(row, row.quantity)
        if column == 5:
            return line_qty(row, row.qty_received)
        if column == 6:
            return line_qty(row, row.qty_lost) if row.qty_lost else ""
        return str(len(row.trace_codes)) if row.trace_codes else ""

    def foreground(self, row: Any, column: int) -> QColor | None:
        return RED if column == 6 and row.qty_lost else None


class PickModel(RowsModel):
    """配货单: 货位, 药品, 批号, 效期, 数量 (FEFO order)."""

    COLUMNS = ("货位", "药品", "批号", "效期", "数量", "已扫码")
    NUMERIC = frozenset({4, 5})

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.scanned: dict[str, list[str]] = {}  # drug id → codes scanned at 出库

    def cell(self, row: Any, column: int) -> str:
        if column == 0:
            return row.shelf or ""
        if column == 1:
            return drug_text(row)
        if column == 2:
            return row.batch_no if row.batch_id else "库存不足"
        if column == 3:
            return when(row.expiry)
        if column == 4:
            return line_qty(row, row.quantity)
        codes = self.scanned.get(row.drug_id, [])
        return str(len(codes)) if codes else ""

    def foreground(self, row: Any, column: int) -> QColor | None:
        return RED if not row.batch_id and column in (2, 4) else None

    def tooltip(self, row: Any, column: int) -> str | None:
        if not row.batch_id:
            return f"乡镇库存（未过期）差 {line_qty(row, row.quantity)}：出库前需先采购入库，或改少核准数量"
        return None

    def short(self) -> list[Any]:
        """The lines no lot covers (the township is short of them)."""
        return [r for r in self._rows if not r.batch_id]

    def refresh_scanned(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 5), self.index(len(self._rows) - 1, 5))


class PurchasesModel(RowsModel):
    """采购单号, 类型, 配送企业, 随货单号, 发票号, 时间, 品种, 金额."""

    COLUMNS = ("采购单号", "类型", "配送企业", "随货单号", "发票号", "入库时间", "品种", "金额")
    NUMERIC = frozenset({6, 7})

    def cell(self, row: Any, column: int) -> str:
        get = lambda name, default="": getattr(row, name, default)
        if column == 0:
            return get("receipt_no")
        if column == 1:
            return "退货" if get("kind", "purchase") == "return" else "入库"
        if column == 2:
            return get("distributor_name")
        if column == 3:
            return get("delivery_note_no")
        if column == 4:
            return get("invoice_no")
        if column == 5:
            return when(get("received_at", None) or get("at", None))
        if column == 6:
            return str(get("line_count", ""))
        return yuan(get("total_fen", 0))

    def foreground(self, row: Any, column: int) -> QColor | None:
        return RED if column == 1 and getattr(row, "kind", "") == "return" else None


class DistributorsModel(RowsModel):
    COLUMNS = ("配送企业", "统一社会信用代码", "联系人", "电话", "状态")

    def cell(self, row: Any, column: int) -> str:
        return (row.name, row.credit_code, row.contact, row.phone, "在用" if row.active else "停用")[column]

    def foreground(self, row: Any, column: int) -> QColor | None:
        return None if row.active else GREY


class ReturnsModel(RowsModel):
    """村卫生室退回的药品: 村卫生室, 退回时间, 药品, 批号, 效期, 数量, 原因, 状态."""

    COLUMNS = ("村卫生室", "退回时间", "药品", "批号", "效期", "数量", "原因", "状态")
    NUMERIC = frozenset({5})

    def cell(self, row: Any, column: int) -> str:
        get = lambda name, default="": getattr(row, name, default)
        if column == 0:
            return get("site_name")
        if column == 1:
            return when(get("returned_at", None) or get("created_at", None))
        if column == 2:
            return drug_text(row) if hasattr(row, "generic_name") else ""
        if column == 3:
            return get("batch_no")
        if column == 4:
            return when(get("expiry", None))
        if column == 5:
            units = get("quantity", 0)
            return line_qty(row, units) if hasattr(row, "units_per_pack") else count(units)
        if column == 6:
            return get("reason")
        return "待验收" if get("status") == "waiting" else "已验收"

    def foreground(self, row: Any, column: int) -> QColor | None:
        if column == 7:
            return AMBER if getattr(row, "status", "") == "waiting" else GREEN
        return None
