"""The audit log as a table model, fetched 200 rows at a time from ``StatusService.audit_page``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

from app.services.core.audit import AuditEntry
from app.services.core.audit_text import action_label, describe

from ..workers import Op
from .base import ColumnsModel

PAGE_SIZE = 200

#: filter choices of the viewer: label → action prefix
FILTERS = {
    "全部": "",
    "登录": "signin.",
    "设置": "settings.",
    "用户": "user.",
    "结算与冲正": "settlement.",
    "库存调整与报损": "stock.",
    "药品目录与价格": "catalog.",
    "盘点": "stocktake.",
}

#: table names in ``target_table`` → 中文
TABLE_LABELS = {
    "users": "用户", "sites": "机构", "app_settings": "设置", "settlements": "结算", "reversals": "冲正",
    "stock_movements": "库存台账", "batches": "批次", "drugs": "药品目录", "residents": "居民",
    "stocktakes": "盘点", "visits": "门诊就诊",
}

__all__ = ["FILTERS", "PAGE_SIZE", "TABLE_LABELS", "AuditModel", "action_label", "detail_text"]


def detail_text(entry: AuditEntry) -> str:
    """The entry's details in words (written by ``app.services.core.audit_text``: names and yuan, no ids)."""
    return entry.text or describe(entry.action, entry.detail, entry.target_table, entry.target_id)


class AuditModel(ColumnsModel):
    """Newest first; ``fetchMore`` loads the next page on the database thread."""

    COLUMNS = ("时间", "操作人", "操作", "对象", "详情")

    def __init__(self, sv: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self._owner = parent
        self._rows: list[AuditEntry] = []
        self._prefix = ""
        self._exhausted = False
        self._loading = False
        self._generation = 0

    # -- loading ------------------------------------------------------------------------------
    def reload(self, action_prefix: str | None = None) -> None:
        """Start again from the newest row (optionally with a new action filter)."""
        if action_prefix is not None:
            self._prefix = action_prefix
        self._generation += 1
        self.beginResetModel()
        self._rows = []
        self._exhausted = False
        self._loading = False
        self.endResetModel()
        self._load()

    def loading(self) -> bool:
        return self._loading

    def _load(self) -> None:
        self._loading = True
        generation, offset, prefix, sv = self._generation, len(self._rows), self._prefix, self._sv
        Op(self._owner, lambda: sv.status.audit_page(offset, PAGE_SIZE, prefix)).success(
            lambda rows: self._loaded(generation, rows)
        ).run()

    def _loaded(self, generation: int, rows: list[AuditEntry]) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._exhausted = len(rows) < PAGE_SIZE
        if rows:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and not self._exhausted and not self._loading and bool(self._rows)

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008, N802
        if self.canFetchMore(parent):
            self._load()

    # -- model ----------------------------------------------------------------------------------
    def entry(self, row: int) -> AuditEntry:
        return self._rows[row]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        entry = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                entry.at.strftime("%Y-%m-%d %H:%M:%S"),
                entry.actor,
                action_label(entry.action),
                TABLE_LABELS.get(entry.target_table or "", entry.target_table or ""),
                detail_text(entry),
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole and col == 4:
            return detail_text(entry) or None
        if role == Qt.ItemDataRole.ForegroundRole and entry.action in ("signin.fail", "signin.locked"):
            from PySide6.QtGui import QColor

            return QColor("#b3261e")
        return None
