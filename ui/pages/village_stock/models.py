"""Table models of the 村室药品 page: the villages with their figures, sortable and filtered by the
工作台's tiles (a short list: a ``QSortFilterProxyModel`` over it sorts by each column's value, not its text).

A village's stock list and a drug's stock card use the stock page's models (``ui.models.stock.OnHandModel``,
``ui.models.stock_card.StockCardModel``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor

from app.domain import clock
from app.services.transfers.overview_types import VillageFigures
from ui.models.base import RowsModel
from ui.models.stock import DANGER, MUTED, WARN, money

#: starting widths of the columns (px); the name column takes what is left
WIDTHS = (150, 100, 76, 76, 80, 96, 90, 56, 80, 104, 80, 80)
#: the value a column sorts by
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
#: a village that has not synced for longer than this is 未同步 (the 工作台 tile says the same)
UNSYNCED_DAYS = 2
#: the tiles' (and the filter box's) lists: key → (label, which villages)
FILTERS: dict[str, tuple[str, Callable[[VillageFigures, datetime], bool]]] = {
    "": ("全部村卫生室", lambda f, now: True),
    "stockouts": ("有断货", lambda f, now: f.stockouts > 0),
    "near_expiry": ("有近效期", lambda f, now: f.near_expiry_kinds > 0),
    "unsynced": (f"超过 {UNSYNCED_DAYS} 天未同步", lambda f, now: is_unsynced(f, now)),
    "requisitions": ("有待审报量", lambda f, now: f.requisitions_waiting > 0),
    "in_transit": ("有在途调拨", lambda f, now: f.shipments_in_transit > 0),
}


def is_unsynced(f: VillageFigures, now: datetime) -> bool:
    """No sync known, or the last one more than ``UNSYNCED_DAYS`` days ago."""
    return f.last_sync_at is None or (now - f.last_sync_at).total_seconds() > UNSYNCED_DAYS * 86400


def sync_text(when: datetime | None, now: datetime) -> str:
    """'今天 14:30', '昨天 09:05', '3 天前', '从未同步'."""
    if when is None:
        return "从未同步"
    days = (now.date() - when.date()).days
    if days <= 0:
        return f"今天 {when:%H:%M}"
    if days == 1:
        return f"昨天 {when:%H:%M}"
    return f"{days} 天前"


def percent(bp: int) -> str:
    """5246 → '52.46%'."""
    return f"{bp // 100}.{bp % 100:02d}%"


class VillagesModel(RowsModel):
    """One row per village with the overview's figures."""

    COLUMNS = ("村卫生室", "库存金额", "在库品种", "集采品种", "集采占比", "近效期金额", "近效期品种", "断货",
               "可用天数", "最近同步", "待审报量", "在途调拨")
    NUMERIC = frozenset(range(1, 9)) | {10, 11}

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.now = clock.now()

    def set_figures(self, rows: list[VillageFigures], now: datetime) -> None:
        self.now = now
        self.set_rows(rows)

    def value(self, f: VillageFigures, col: int) -> Any:
        """What column ``col`` sorts by."""
        return (f.name, f.stock_value_fen, f.kinds_stocked, f.vbp_kinds_stocked, f.vbp_share_bp,
                f.near_expiry_value_fen, f.near_expiry_kinds, f.stockouts,
                -1 if f.days_of_stock is None else f.days_of_stock,
                f.last_sync_at.timestamp() if f.last_sync_at else 0.0, f.requisitions_waiting,
                f.shipments_in_transit)[col]

    def cell(self, f: VillageFigures, col: int) -> str:
        if col == 0:
            return f.name
        if col in (1, 5):
            return money(self.value(f, col))
        if col == 4:
            return percent(f.vbp_share_bp)
        if col == 8:
            return "—" if f.days_of_stock is None else f"{f.days_of_stock:,} 天"
        if col == 9:
            return sync_text(f.last_sync_at, self.now)
        return f"{self.value(f, col):,}"

    def foreground(self, f: VillageFigures, col: int) -> QColor | None:
        if col == 7 and f.stockouts:
            return DANGER
        if col in (5, 6) and f.near_expiry_kinds:
            return WARN
        if col == 9:
            return DANGER if is_unsynced(f, self.now) else None
        if col in (10, 11) and not self.value(f, col):
            return MUTED
        return None

    def tooltip(self, f: VillageFigures, col: int) -> str | None:
        if col == 7 and f.stockouts:
            return "近 90 天用过或设了最低库存、现在没有未过期库存的药品"
        if col == 8:
            return "按近 90 天的用量（折成金额）计算，现有未过期库存还能用多少天"
        if col == 9 and f.last_sync_at:
            return f"{f.last_sync_at:%Y-%m-%d %H:%M}（乡镇同步服务记录的时间）"
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == SORT_ROLE and index.isValid() and 0 <= index.row() < len(self._rows):
            return self.value(self._rows[index.row()], index.column())
        return super().data(index, role)


class VillagesProxy(QSortFilterProxyModel):
    """Sorts by ``SORT_ROLE``; keeps the villages of the chosen filter (a key of ``FILTERS``)."""

    def __init__(self, source: VillagesModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.key = ""

    def set_filter(self, key: str) -> None:
        self.beginFilterChange()
        self.key = key if key in FILTERS else ""
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        source: VillagesModel = self.sourceModel()  # type: ignore[assignment]
        if not 0 <= row < source.rowCount():
            return False
        return FILTERS[self.key][1](source.row(row), source.now)

    def figures(self, row: int) -> VillageFigures:
        return self.sourceModel().row(self.mapToSource(self.index(row, 0)).row())  # type: ignore[attr-defined]
