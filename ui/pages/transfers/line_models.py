"""The line tables of 调拨与报量's dialogs and forms: the editable ones (报量, 清点, 审核, 新调拨单) where a quantity
is typed as ``3`` (packs) or ``14片`` (base units) and a bad one turns its cell red, and the lines of the 采购入库
being entered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from app.domain.errors import ValidationError
from app.domain.fefo import parse_quantity
from app.services.transfers.types import SuggestedLine
from ui.models.base import Index, RowsModel
from ui.models.stock import qty, yuan
from ui.pages.transfers.models import (
    AMBER,
    RED,
    drug_text,
    line_qty,
    lot_cell,
    pack_text,
    when,
)

EDITABLE_BG = QColor("#fffbea")
ERROR_BG = QColor("#fde8e7")


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
