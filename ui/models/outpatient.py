"""Table models of 门诊收费: the prescription being written, and today's settlements.

``PrescriptionModel`` holds the lines as plain values (drug, quantity in base units, usage). Amounts
are computed with the settlement service's own pricing helpers (``line_amount``,
``quantity_and_price``), so what the table shows is what the engine charges; the batch column
shows which batches FEFO will take (``app.domain.fefo.allocate``) and says so when stock is short.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont

from app.domain import clock
from app.domain.enums import CoverageClass
from app.domain.errors import CunyiError, ValidationError
from app.domain.fefo import BatchStock, Units, allocate, format_quantity, parse_quantity
from app.domain.money import fen_to_yuan
from app.domain.usage import MAX_USAGE, usage_problem, usual_usage
from app.services.catalog.service import DrugInfo
from app.services.settlement.queries import line_amount, quantity_and_price
from app.services.settlement.types import DraftLine, SettlementInfo
from app.services.stock.queries import BatchInfo

from .base import ColumnsModel

Index = QModelIndex | QPersistentModelIndex
RED = QColor("#b3261e")
ORANGE = QColor("#c25100")
GREY = QColor("#7b8794")
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)


@dataclass(frozen=True)
class RxLine:
    """One line of the prescription being written."""

    drug: DrugInfo
    quantity_units: int
    usage: str = ""
    batches: tuple[BatchInfo, ...] | None = None  # None while loading

    @property
    def amount_fen(self) -> int:
        return line_amount(self.quantity_units, self.drug.retail_price_fen, self.drug.units_per_pack)

    def quantity_parts(self) -> tuple[str, str]:
        """("2", "盒") for whole packs, else ("14", "片")."""
        per = max(self.drug.units_per_pack, 1)
        if self.quantity_units % per == 0:
            return str(self.quantity_units // per), self.drug.pack_unit
        return str(self.quantity_units), self.drug.base_unit

    def quantity_text(self) -> str:
        """What the quantity editor starts with: ``2`` (packs) or ``14片``."""
        number, unit = self.quantity_parts()
        return number if unit == self.drug.pack_unit else f"{number}{unit}"

    def unit_price(self) -> str:
        return quantity_and_price(self.quantity_units, self.drug)[1].split("元")[0]

    @property
    def units(self) -> Units:
        return Units(self.drug.pack_unit, self.drug.base_unit, self.drug.units_per_pack)

    def stock_problem(self, today: date) -> str:
        """'' when FEFO can dispense the quantity, else why not (库存不足，需要 4盒，可用 3盒 / 只剩过期批次)."""
        if self.batches is None:
            return ""
        stock = [BatchStock(b.batch_id, b.expiry, b.on_hand_units) for b in self.batches]
        if not any(b.on_hand for b in stock):
            return f"没有库存（需要 {self.units.format(self.quantity_units)}），请先入库"
        try:
            allocate(stock, self.quantity_units, today, self.units)
        except CunyiError as exc:
            return exc.message.removeprefix("数量：")
        return ""

    def batch_text(self, today: date) -> str:
        if self.batches is None:
            return "…"
        problem = self.stock_problem(today)
        if problem:
            usable = sum(b.on_hand_units for b in self.batches if not b.expired)
            if usable == 0:
                return "无可用库存" if not any(b.expired for b in self.batches) else "只剩过期批次"
            d = self.drug
            return f"库存不足（可用 {format_quantity(usable, d.pack_unit, d.base_unit, d.units_per_pack)}）"
        stock = [BatchStock(b.batch_id, b.expiry, b.on_hand_units) for b in self.batches]
        taken = allocate(stock, self.quantity_units, today)
        first = next(b for b in self.batches if b.batch_id == taken[0][0])
        more = f" 等{len(taken)}批" if len(taken) > 1 else ""
        return f"{first.batch_no} {first.expiry:%Y-%m}{more}"


class PrescriptionModel(ColumnsModel):
    """The lines of the prescription; 数量 and 用法用量 are editable."""

    COLUMNS = ("药品", "规格", "数量", "单位", "单价", "金额", "类别", "批次/效期", "用法用量")
    NAME, SPEC, QTY, UNIT, PRICE, AMOUNT, CLASS, BATCH, USAGE = 0, 1, 2, 3, 4, 5, 6, 7, 8
    #: a line's quantity or usage was refused: the message names the line and says what to type
    problem = Signal(str)
    #: lines, quantities or usage changed (the page refreshes the preview)
    changed = Signal()

    def __init__(self, parent: Any = None, today: date | None = None) -> None:
        super().__init__(parent)
        self.today = today or clock.today()
        self._rows: list[RxLine] = []

    # -- plain values -----------------------------------------------------------------------------
    @property
    def lines(self) -> tuple[RxLine, ...]:
        return tuple(self._rows)

    def draft_lines(self) -> tuple[DraftLine, ...]:
        return tuple(DraftLine(line.drug.id, line.quantity_units, line.usage) for line in self._rows)

    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self._rows)

    def stock_problems(self) -> list[str]:
        return [f"第{i}行“{line.drug.generic_name}”{problem}" for i, line in enumerate(self._rows, 1)
                if (problem := line.stock_problem(self.today))]

    def row_of(self, drug_id: str) -> int:
        return next((i for i, line in enumerate(self._rows) if line.drug.id == drug_id), -1)

    # -- changes ----------------------------------------------------------------------------------
    def add_drug(self, drug: DrugInfo, quantity_units: int | None = None, usage: str = "") -> tuple[int, bool]:
        """Add a line (one pack and the usual usage of its route by default). Returns (row, added); a drug
        already listed is not added twice."""
        existing = self.row_of(drug.id)
        if existing >= 0:
            return existing, False
        row = len(self._rows)
        usage = usage or usual_usage(drug.form, drug.base_unit, drug.generic_name)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(RxLine(drug, quantity_units or max(drug.units_per_pack, 1), usage))
        self.endInsertRows()
        self.changed.emit()
        return row, True

    def set_batches(self, drug_id: str, batches: list[BatchInfo]) -> None:
        row = self.row_of(drug_id)
        if row >= 0:
            self._rows[row] = replace(self._rows[row], batches=tuple(batches))
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def set_quantity_text(self, row: int, text: str) -> bool:
        line = self._rows[row]
        d = line.drug
        try:
            units = parse_quantity(text, d.pack_unit, d.base_unit, d.units_per_pack, f"第{row + 1}行“{d.generic_name}”数量")
        except ValidationError as exc:
            self.problem.emit(exc.message)
            return False
        self._rows[row] = replace(line, quantity_units=units)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
        self.changed.emit()
        return True

    def remove(self, row: int) -> None:
        if 0 <= row < len(self._rows):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
            self.changed.emit()

    def clear(self) -> None:
        if self._rows:
            self.beginResetModel()
            self._rows = []
            self.endResetModel()
            self.changed.emit()

    # -- Qt ---------------------------------------------------------------------------------------
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Vertical:
            return str(section + 1)  # line numbers: the messages say 第2行
        return super().headerData(section, orientation, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in (self.QTY, self.USAGE):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(self.COLUMNS):
            return None
        line, col = self._rows[index.row()], index.column()
        d = line.drug
        if role == Qt.ItemDataRole.DisplayRole:
            number, unit = line.quantity_parts()
            return (d.generic_name, d.strength, number, unit, line.unit_price(),
                    fen_to_yuan(line.amount_fen), CoverageClass(d.coverage_class).short, line.batch_text(self.today),
                    line.usage or "（请填写用法用量）")[col]
        if role == Qt.ItemDataRole.EditRole:
            return line.quantity_text() if col == self.QTY else line.usage if col == self.USAGE else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if col in (self.QTY, self.PRICE, self.AMOUNT) else _CENTER if col in (self.UNIT, self.CLASS) else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == self.BATCH and line.stock_problem(self.today):
                return RED
            if col == self.USAGE and usage_problem(line.usage):
                return RED
            if col == self.CLASS and d.coverage_class == "C":
                return ORANGE
        if role == Qt.ItemDataRole.FontRole and col in (self.NAME, self.QTY, self.AMOUNT):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.BATCH and line.batches:
                return "\n".join(f"{b.batch_no}  效期 {b.expiry}  库存 {line.units.format(b.on_hand_units)}"
                                 + ("（已过期）" if b.expired else "") for b in line.batches)
            if col == self.CLASS:
                return CoverageClass(d.coverage_class).label
            if col == self.QTY:
                return f"输入 2 表示 2{d.pack_unit}，14{d.base_unit} 表示 14{d.base_unit}（每{d.pack_unit} {d.units_per_pack}{d.base_unit}）"
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or not 0 <= index.row() < len(self._rows):
            return False
        if index.column() == self.QTY:
            return self.set_quantity_text(index.row(), str(value))
        if index.column() == self.USAGE:
            text = str(value).strip()
            if len(text) > MAX_USAGE:
                self.problem.emit(f"第{index.row() + 1}行用法用量太长（最多 {MAX_USAGE} 字）")
                return False
            self._rows[index.row()] = replace(self._rows[index.row()], usage=text)
            self.dataChanged.emit(index, index)
            self.changed.emit()
            return True
        return False


class TodayModel(ColumnsModel):
    """Today's settlements at this site, newest first (reversed ones marked)."""

    COLUMNS = ("时间", "姓名", "合计", "现金")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[SettlementInfo] = []

    def set_settlements(self, rows: list[SettlementInfo]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def settlement(self, row: int) -> SettlementInfo | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, settlement_id: str) -> int:
        return next((i for i, s in enumerate(self._rows) if s.id == settlement_id), -1)

    def totals(self) -> tuple[int, int, int]:
        """(live settlements, total fen, cash fen) of the day, reversed ones left out."""
        live = [s for s in self._rows if not s.reversed]
        return len(live), sum(s.split.total_fen for s in live), sum(s.split.patient_pays_fen for s in live)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(self.COLUMNS):
            return None
        s, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            name = s.resident_name + ("·冲正" if s.reversed else "" if s.split.eligible else "·自付")
            return (f"{s.settled_at:%H:%M}", name, fen_to_yuan(s.split.total_fen), fen_to_yuan(s.split.patient_pays_fen))[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (2, 3):
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole:
            if s.reversed:
                return GREY
            if col == 1 and not s.split.eligible:
                return RED
        if role == Qt.ItemDataRole.FontRole and s.reversed and col in (2, 3):
            font = QFont()
            font.setStrikeOut(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            drugs = "；".join(f"{line.drug_name} {line.quantity_text}" for line in s.lines)
            fund = fen_to_yuan(s.split.fund_total_fen)
            return f"票据号 {s.receipt_no}　统筹 {fund}\n{drugs}" + (f"\n{s.split.reason}" if s.split.reason else "")
        return None
