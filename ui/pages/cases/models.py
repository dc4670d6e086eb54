"""The 帮办代办 list: one row per case (``CaseInfo``), names only, overdue rows in red."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtGui import QColor

from app.domain import clock
from app.domain.enums import CaseStatus
from ui.models.base import RowsModel

_OVERDUE = QColor("#b42318")
_SOON = QColor("#b54708")
_RETURNED = QColor("#b54708")
_DONE = QColor("#067647")
_GREY = QColor("#667085")


def due_text(case: Any) -> str:
    """``2026-07-27``, with （超期） or （已办结） as it applies."""
    if case.status.closed:
        return f"{case.due_on:%Y-%m-%d}"
    if case.overdue:
        return f"{case.due_on:%Y-%m-%d}（超期 {(clock.today() - case.due_on).days} 天）"
    return f"{case.due_on:%Y-%m-%d}"


class CasesModel(RowsModel):
    """事项编号、居民、事项类型、(村卫生室)、受理日期、办结时限、状态、负责人."""

    BASE: ClassVar[tuple[str, ...]] = ("事项编号", "居民", "事项类型", "受理日期", "办结时限", "办理状态", "负责人")

    def __init__(self, parent: Any = None, with_village: bool = False) -> None:
        super().__init__(parent)
        self.with_village = with_village
        cols = list(self.BASE)
        if with_village:
            cols.insert(1, "村卫生室")
        self.COLUMNS = tuple(cols)  # type: ignore[misc]
        self._keys = [c for c in self.COLUMNS]

    def cell(self, row: Any, column: int) -> str:
        key = self._keys[column]
        if key == "事项编号":
            return row.case_no
        if key == "村卫生室":
            return row.site_name
        if key == "居民":
            return f"{row.resident_name}（代办：{row.agent_name}）" if row.agent_name else row.resident_name
        if key == "事项类型":
            return row.type_label
        if key == "受理日期":
            return f"{row.accepted_on:%Y-%m-%d}"
        if key == "办结时限":
            return due_text(row)
        if key == "办理状态":
            return row.status_label
        return row.responsible_name or "—"

    def foreground(self, row: Any, column: int) -> QColor | None:
        key = self._keys[column]
        if key == "办结时限" and row.overdue:
            return _OVERDUE
        if key == "办理状态":
            if row.overdue:
                return _OVERDUE
            if row.status is CaseStatus.RETURNED:
                return _RETURNED
            if row.status is CaseStatus.APPROVED:
                return _DONE
            if row.status is CaseStatus.REJECTED:
                return _GREY
        return None

    def tooltip(self, row: Any, column: int) -> str | None:
        if row.missing and not row.status.closed:
            return "尚缺材料：" + "、".join(row.missing)
        return None

    def column_of(self, name: str) -> int:
        return self._keys.index(name)
