"""The tables of 调拨与报量: read-only lists over the transfers service's DTOs (报量单, 调拨单, 采购单, 配送企业,
退回单, 配货单), and the editable line tables of its dialogs (报量, 清点, 审核, 新调拨单) where a quantity is
typed as ``3`` (packs) or ``14片`` (base units)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from app.domain.errors import ValidationError
from app.domain.fefo import parse_quantity
from app.services.transfers.types import SuggestedLine
from ui.models.base import Index, RowsModel
from ui.models.stock import count, qty, yuan

RED = QColor("#b42318")
AMBER = QColor("#b54708")
GREEN = QColor("#067647")
GREY = QColor("#667085")
EDITABLE_BG = QColor("#fffbea")
ERROR_BG = QColor("#fde8e7")

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


# -- editable line tables -----------------------------------------------------------------------
@dataclass
class EditLine:
    """One row of an editable table: the DTO, the texts typed per column key, the error of the row."""

    source: Any
    texts: dict[str, str] = field(default_factory=dict)
    error: str = ""
    codes: list[str] = field(default_factory=list)


class EditLinesModel(RowsModel):
    """A table over ``EditLine`` rows whose ``EDITABLE`` columns take typed text; a bad quantity turns the
    cell red with the reason as its tooltip (the dialog refuses to submit while one is red).

    Subclasses set ``COLUMNS``/``NUMERIC``/``EDITABLE`` (column → key of ``EditLine.texts``) and
    ``shown(line, column)``; ``check(line)`` returns the row's error text ('' when fine).
    """

    EDITABLE: ClassVar[dict[int, str]] = {}

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.changed_cb: Callable[[], None] | None = None

    def lines(self) -> list[EditLine]:
        return list(self._rows)

    def cell(self, row: EditLine, column: int) -> str:
        if column in self.EDITABLE:
            return row.texts.get(self.EDITABLE[column], "")
        return self.shown(row, column)

    def shown(self, line: EditLine, column: int) -> str:
        raise NotImplementedError

    def check(self, line: EditLine) -> str:
        return ""

    def units(self, line: EditLine, key: str = "qty") -> int:
        """The base units of the text under ``key``; raises ``ValidationError``."""
        s = line.source
        text = line.texts.get(key, "").strip()
        if text in ("0", "0" + s.pack_unit, "0" + s.base_unit):
            return 0  # "none of it" (parse_quantity refuses 0)
        return parse_quantity(text, s.pack_unit, s.base_unit, s.units_per_pack)

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() in self.EDITABLE:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.EditRole and index.isValid() and index.column() in self.EDITABLE:
            return self._rows[index.row()].texts.get(self.EDITABLE[index.column()], "")
        return super().data(index, role)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() not in self.EDITABLE:
            return False
        line = self._rows[index.row()]
        line.texts[self.EDITABLE[index.column()]] = str(value).strip()
        self.after_edit(line)
        line.error = self.check(line)
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(self.COLUMNS) - 1))
        if self.changed_cb is not None:
            self.changed_cb()
        return True

    def after_edit(self, line: EditLine) -> None:
        """A hook: recompute what depends on the typed text."""

    def set_lines(self, lines: list[EditLine]) -> None:
        for line in lines:
            line.error = self.check(line)
        self.set_rows(lines)

    def recheck(self, row: int) -> None:
        line = self._rows[row]
        line.error = self.check(line)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))
        if self.changed_cb is not None:
            self.changed_cb()

    def background(self, row: EditLine, column: int) -> QColor | None:
        if column in self.EDITABLE:
            return ERROR_BG if row.error and self.error_column(row) == column else EDITABLE_BG
        return None

    def error_column(self, line: EditLine) -> int:
        return next(iter(self.EDITABLE))

    def tooltip(self, row: EditLine, column: int) -> str | None:
        return row.error or None

    def first_error(self) -> tuple[int, str] | None:
        return next(((i, r.error) for i, r in enumerate(self._rows) if r.error), None)


class SuggestModel(EditLinesModel):
    """报量: 药品, 月均用量, 库存, 在途, 建议, 报量 (editable)."""

    COLUMNS = ("药品", "月均用量", "库存", "在途", "建议", "报量")
    NUMERIC = frozenset({1, 2, 3, 4, 5})
    EDITABLE: ClassVar[dict[int, str]] = {5: "qty"}

    def shown(self, line: EditLine, column: int) -> str:
        s = line.source
        if column == 0:
            return drug_text(s)
        values = (s.monthly_use_units, s.on_hand_units, s.in_transit_units, s.suggested_units)
        return line_qty(s, values[column - 1])

    def check(self, line: EditLine) -> str:
        if not line.texts.get("qty"):
            return ""
        try:
            self.units(line)
        except ValidationError as exc:
            return str(exc)
        return ""

    def wanted(self) -> list[tuple[str, str]]:
        """(drug id, typed quantity) of the lines asking for more than 0."""
        out = []
        for line in self._rows:
            text = line.texts.get("qty", "")
            if text and self.units(line) > 0:
                out.append((line.source.drug_id, text))
        return out


class CountModel(EditLinesModel):
    """清点: 药品, 批号, 效期, 发出, 实收 (editable), 短少, 短少原因 (editable), 已扫码."""

    COLUMNS = ("药品", "批号", "效期", "发出", "实收", "短少", "短少原因", "已扫码")
    NUMERIC = frozenset({3, 4, 5, 7})
    EDITABLE: ClassVar[dict[int, str]] = {4: "counted", 6: "reason"}

    def shown(self, line: EditLine, column: int) -> str:
        s = line.source
        if column < 3:
            return lot_cell(s, column)
        if column == 3:
            return line_qty(s, s.quantity)
        if column == 5:
            short = self.shortfall(line)
            return line_qty(s, short) if short else ""
        total = len(s.trace_codes)
        return f"{len(line.codes)}/{total}" if total else ("" if not line.codes else str(len(line.codes)))

    def counted(self, line: EditLine) -> int | None:
        try:
            return self.units(line, "counted")
        except ValidationError:
            return None

    def shortfall(self, line: EditLine) -> int:
        got = self.counted(line)
        return max(0, line.source.quantity - got) if got is not None else 0

    def check(self, line: EditLine) -> str:
        s = line.source
        try:
            got = self.units(line, "counted")
        except ValidationError as exc:
            return f"{drug_text(s)}：{exc}"
        if got > s.quantity:
            return f"{drug_text(s)}：实收 {line_qty(s, got)} 多于发出的 {line_qty(s, s.quantity)}"
        if got < s.quantity and not line.texts.get("reason"):
            return f"{drug_text(s)}：短少 {line_qty(s, s.quantity - got)}，请填写短少原因"
        return ""

    def error_column(self, line: EditLine) -> int:
        return 6 if "短少原因" in line.error else 4

    def foreground(self, row: EditLine, column: int) -> QColor | None:
        return RED if column == 5 and self.shortfall(row) else None

    def add_code(self, code: str) -> tuple[int, str]:
        """A scanned trace code: the row whose shipped codes hold it counts one more pack.

        Returns (row, '') or (-1, why it was not taken).
        """
        for i, line in enumerate(self._rows):
            if code in line.source.trace_codes:
                if code in line.codes:
                    return -1, f"追溯码 {code} 已经扫过（{drug_text(line.source)}）"
                line.codes.append(code)
                s = line.source
                units = min(s.quantity, len(line.codes) * max(s.units_per_pack, 1))
                line.texts["counted"] = pack_text(s, units)
                self.recheck(i)
                return i, ""
        return -1, f"追溯码 {code} 不在这张调拨单上"

    def totals(self) -> tuple[int, int]:
        """(lines counted short, lines with an error)."""
        return (sum(1 for r in self._rows if self.shortfall(r)), sum(1 for r in self._rows if r.error))


class ApproveModel(EditLinesModel):
    """审核: 药品, 月均用量, 村库存, 在途, 建议, 报量, 乡镇库存, 核准 (editable)."""

    COLUMNS = ("药品", "月均用量", "村库存", "在途", "建议", "报量", "乡镇库存", "核准")
    NUMERIC = frozenset({1, 2, 3, 4, 5, 6, 7})
    EDITABLE: ClassVar[dict[int, str]] = {7: "qty"}

    def shown(self, line: EditLine, column: int) -> str:
        s = line.source
        if column == 0:
            return drug_text(s)
        values = (s.monthly_use_units, s.on_hand_units, s.in_transit_units, s.suggested_units, s.requested_units,
                  s.township_on_hand_units)
        return line_qty(s, values[column - 1])

    def check(self, line: EditLine) -> str:
        try:
            self.units(line)
        except ValidationError as exc:
            return f"{drug_text(line.source)}：{exc}"
        return ""

    def over_stock(self, line: EditLine) -> bool:
        """Approved more than the township has on hand now (allowed: a purchase may arrive before 出库)."""
        try:
            return self.units(line) > line.source.township_on_hand_units
        except ValidationError:
            return False

    def foreground(self, row: EditLine, column: int) -> QColor | None:
        s = row.source
        if column == 6 and s.township_on_hand_units < s.requested_units:
            return RED
        if column == 7 and self.over_stock(row):
            return AMBER
        return None

    def tooltip(self, row: EditLine, column: int) -> str | None:
        if row.error:
            return row.error
        if column == 7 and self.over_stock(row):
            return "核准数量多于乡镇现有库存：出库前需先采购入库"
        return None

    def approved(self) -> dict[str, int | str]:
        """requisition line id → the typed quantity (0 as the int 0: none of it)."""
        return {line.source.id: 0 if self.units(line) == 0 else line.texts.get("qty", "") for line in self._rows}


def picked_drug(drug: Any) -> SuggestedLine:
    """A drug added by hand to a 报量 or a new 调拨单: a suggested line whose figures are unknown (0)."""
    return SuggestedLine(drug.id, drug.generic_name, drug.strength, drug.pack_unit, drug.base_unit, drug.units_per_pack,
                         monthly_use_units=0, on_hand_units=0, in_transit_units=0, suggested_units=0)


class DraftLinesModel(EditLinesModel):
    """新调拨单 / 调剂: 药品, 单位, 数量 (editable)."""

    COLUMNS = ("药品", "包装", "数量")
    NUMERIC = frozenset({2})
    EDITABLE: ClassVar[dict[int, str]] = {2: "qty"}

    def shown(self, line: EditLine, column: int) -> str:
        s = line.source
        if column == 0:
            return drug_text(s)
        per = f"每{s.pack_unit}{s.units_per_pack}{s.base_unit}" if s.units_per_pack > 1 else s.pack_unit
        return per

    def check(self, line: EditLine) -> str:
        try:
            if self.units(line) <= 0:
                return f"{drug_text(line.source)}：数量要大于 0（不要的药品按 Del 删除）"
        except ValidationError as exc:
            return f"{drug_text(line.source)}：{exc}"
        return ""

    def add(self, drug: SuggestedLine, text: str = "1") -> int:
        found = self.find(lambda r: r.source.drug_id == drug.drug_id)
        if found >= 0:
            return found
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        line = EditLine(drug, {"qty": text})
        line.error = self.check(line)
        self._rows.append(line)
        self.endInsertRows()
        if self.changed_cb is not None:
            self.changed_cb()
        return len(self._rows) - 1

    def remove(self, row: int) -> None:
        if 0 <= row < len(self._rows):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
            if self.changed_cb is not None:
                self.changed_cb()

    def wanted(self) -> list[tuple[str, str]]:
        return [(line.source.drug_id, line.texts.get("qty", "")) for line in self._rows]


@dataclass(frozen=True)
class PurchaseRow:
    """A line typed into the 采购入库 form, before the receipt is saved."""

    drug: Any
    batch_no: str
    expiry: date
    quantity: str
    units: int
    pack_price_fen: int
    trace_codes: tuple[str, ...] = ()
    accept_near_expiry: bool = False

    @property
    def amount_fen(self) -> int:
        per = max(self.drug.units_per_pack, 1)
        return (self.pack_price_fen * self.units + per // 2) // per


class PurchaseLinesModel(RowsModel):
    """The lines of the receipt being entered: 药品, 批号, 效期, 数量, 进价, 金额, 追溯码."""

    COLUMNS = ("药品", "批号", "效期", "数量", "进价", "金额", "追溯码")
    NUMERIC = frozenset({3, 4, 5, 6})

    def cell(self, row: PurchaseRow, column: int) -> str:
        d = row.drug
        if column == 0:
            return drug_text(d)
        if column == 1:
            return row.batch_no
        if column == 2:
            return when(row.expiry) + ("（近效期）" if row.accept_near_expiry else "")
        if column == 3:
            return qty(row.units, d.pack_unit, d.base_unit, d.units_per_pack)
        if column == 4:
            return yuan(row.pack_price_fen)
        if column == 5:
            return yuan(row.amount_fen)
        return str(len(row.trace_codes)) if row.trace_codes else "无码"

    def foreground(self, row: PurchaseRow, column: int) -> QColor | None:
        return AMBER if column == 2 and row.accept_near_expiry else None

    def replace(self, index: int, row: PurchaseRow) -> None:
        self._rows[index] = row
        self.dataChanged.emit(self.index(index, 0), self.index(index, len(self.COLUMNS) - 1))

    def append(self, row: PurchaseRow) -> None:
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        self._rows.append(row)
        self.endInsertRows()

    def remove(self, index: int) -> None:
        if 0 <= index < len(self._rows):
            self.beginRemoveRows(QModelIndex(), index, index)
            del self._rows[index]
            self.endRemoveRows()
