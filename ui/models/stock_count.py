"""盘点 count grid: one row per batch; 实盘 and 原因 are edited in place by keyboard or scanner.

The model does not write anything itself: an edit calls ``on_edit(line, counted_text, reason)``
(set by the page, which records the count through ``Op``) and shows the typed text as pending until
``update_line`` brings the recorded line back with its variance and value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.services.stock.stocktake import CountLine

from .base import RowsModel
from .stock import DANGER, MUTED, WARN, qty, yuan

COUNTED, REASON = 7, 10
#: (line, counted: text as typed or base units, reason)
EditFn = Callable[[CountLine, "int | str", str], None]


def signed_qty(units: int, line: CountLine) -> str:
    text = qty(units, line.pack_unit, line.base_unit, line.units_per_pack)
    return f"+{text}" if units > 0 else text


class CountModel(RowsModel):
    """Lines of one stocktake, in shelf order."""

    COLUMNS = ("货位", "通用名", "规格", "批号", "效期", "账面", "期间变动", "实盘", "差异", "差异金额(元)", "原因")
    NUMERIC = frozenset({9})

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.editable = False
        self.on_edit: EditFn | None = None
        self._pending: dict[str, str] = {}
        #: batches matched by the last scan (drawn highlighted)
        self.found: set[str] = set()

    # -- rows -----------------------------------------------------------------------------------
    def set_found(self, batch_ids: set[str]) -> None:
        self.found = set(batch_ids)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(self.COLUMNS) - 1))

    def set_lines(self, lines: list[CountLine], editable: bool) -> None:
        self.editable = editable
        self.found.clear()
        self._pending.clear()
        self.set_rows(lines)

    def update_line(self, line: CountLine) -> int:
        """Replace (or add) the line of ``line.batch_id`` after it was recorded; returns its row."""
        self._pending.pop(line.batch_id, None)
        row = self.find(lambda r: r.batch_id == line.batch_id)
        if row < 0:
            row = len(self._rows)
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.append(line)
            self.endInsertRows()
            return row
        self._rows[row] = line
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))
        return row

    def drop_pending(self, batch_id: str) -> None:
        """Forget a typed value that was refused."""
        if self._pending.pop(batch_id, None) is not None:
            row = self.find(lambda r: r.batch_id == batch_id)
            if row >= 0:
                self.dataChanged.emit(self.index(row, COUNTED), self.index(row, COUNTED))

    def has_pending(self) -> bool:
        """True while a typed count is being recorded."""
        return bool(self._pending)

    def row_of_batch(self, batch_id: str) -> int:
        return self.find(lambda r: r.batch_id == batch_id)

    def counted(self) -> int:
        return sum(1 for r in self._rows if r.counted_qty is not None)

    def totals(self) -> tuple[int, int]:
        """(gain value, loss value) in fen over counted lines."""
        gain = sum(r.variance_value_fen for r in self._rows if r.variance_value_fen > 0)
        loss = sum(r.variance_value_fen for r in self._rows if r.variance_value_fen < 0)
        return gain, loss

    # -- cells ----------------------------------------------------------------------------------
    def cell(self, r: CountLine, col: int) -> str:
        units = (r.pack_unit, r.base_unit, r.units_per_pack)
        if col == 0:
            return r.shelf
        if col == 1:
            return r.generic_name
        if col == 2:
            return r.strength
        if col == 3:
            return r.batch_no
        if col == 4:
            return r.expiry.isoformat()
        if col == 5:
            return qty(r.booked_qty, *units)
        if col == 6:
            return signed_qty(r.moved_during, r) if r.moved_during else ""
        if col == COUNTED:
            if r.batch_id in self._pending:
                return f"{self._pending[r.batch_id]} …"
            return "" if r.counted_qty is None else qty(r.counted_qty, *units)
        if col == 8:
            if r.counted_qty is None:
                return "未盘"
            return signed_qty(r.variance_qty, r) if r.variance_qty else "相符"
        if col == 9:
            return yuan(r.variance_value_fen) if r.counted_qty is not None and r.variance_qty else ""
        return r.reason

    def foreground(self, r: CountLine, col: int) -> QColor | None:
        if col in (8, 9) and r.counted_qty is not None and r.variance_qty:
            return DANGER if r.variance_qty < 0 else WARN
        if col == 8 and r.counted_qty is None:
            return MUTED
        if col == COUNTED and r.batch_id in self._pending:
            return MUTED
        return None

    def background(self, r: CountLine, col: int) -> QColor | None:
        if r.batch_id in self.found:
            return QColor("#fff4c2")
        if col == COUNTED and self.editable:
            return QColor("#f1f7ff")
        return None

    def tooltip(self, r: CountLine, col: int) -> str | None:
        if col == 6 and r.moved_during:
            return "盘点开始后、录入实盘前该批次的出入库；应有数 = 账面 + 期间变动"
        if col == COUNTED and self.editable:
            return f"输入实盘数：2（{r.pack_unit}）、14{r.base_unit} 或 1{r.pack_unit}4{r.base_unit}，回车确认"
        return None

    # -- editing --------------------------------------------------------------------------------
    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and self.editable and index.column() in (COUNTED, REASON):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.EditRole and index.isValid() and 0 <= index.row() < len(self._rows):
            r = self._rows[index.row()]
            if index.column() == COUNTED:
                return "" if r.counted_qty is None else qty(r.counted_qty, r.pack_unit, r.base_unit, r.units_per_pack)
            if index.column() == REASON:
                return r.reason
            return None
        return super().data(index, role)

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or not self.editable:
            return False
        if index.column() not in (COUNTED, REASON) or self.on_edit is None:
            return False
        r = self._rows[index.row()]
        text = str(value if value is not None else "").strip()
        if index.column() == COUNTED:
            if not text:
                return False
            self._pending[r.batch_id] = text
            self.dataChanged.emit(index, index)
            self.on_edit(r, text, r.reason)
            return True
        if r.counted_qty is None:
            # no count yet: keep the reason with the line when its count is entered
            self._rows[index.row()] = _with_reason(r, text)
            self.dataChanged.emit(index, index)
            return True
        self.on_edit(r, r.counted_qty, text)  # base units as they were recorded
        return True


def _with_reason(line: CountLine, reason: str) -> CountLine:
    from dataclasses import replace

    return replace(line, reason=reason)
