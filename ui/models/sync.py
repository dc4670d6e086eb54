"""The 同步 page's table of changes the township hub rejected (``app.sync.status.Rejection`` rows)."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtGui import QColor

from .base import RowsModel

_REASON = QColor("#b42318")


class RejectionsModel(RowsModel):
    """表、字段、原因、处理办法、时间, newest first (as the service returns them)."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("表", "字段", "原因", "处理办法", "时间")

    def cell(self, row: Any, column: int) -> str:
        if column == 0:
            return row.table_label
        if column == 1:
            return row.field or "—"
        if column == 2:
            return row.reason
        if column == 3:
            return row.action or "请联系乡镇管理员"
        return f"{row.at:%Y-%m-%d %H:%M}"

    def foreground(self, row: Any, column: int) -> QColor | None:
        return _REASON if column == 2 else None

    def tooltip(self, row: Any, column: int) -> str | None:
        if column in (2, 3):
            return self.cell(row, column)
        if column == 0:
            return f"{row.table_label}（{row.table}，记录 {row.record_id}）"
        return None
