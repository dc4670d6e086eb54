"""库存台账: a drug's stock card as a paged table model.

The first page comes from the page (through ``Op``); every later page is fetched by ``fetchMore``
calling the read-only ``StockService.stock_card_page`` synchronously with the keyset of the last row
(``next_after_seq``): no OFFSET and no COUNT, so a card of 1,000,000 rows opens as fast as one of ten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QColor

from app.domain.enums import MovementKind
from app.printing.stock_docs import DOC_LABELS
from app.services.stock.queries import CardPage, CardRow

from .base import Index, RowsModel
from .stock import MUTED, count, qty

PAGE_SIZE = 200

#: fetches one page: (after_seq, limit) -> CardPage
PageFn = Callable[[int | None, int], CardPage]

_INDEX = QModelIndex()
IN_COLOUR = QColor("#1b5e20")
OUT_COLOUR = QColor("#8a1c14")


def doc_text(row: CardRow) -> str:
    """'入库单 20261202-0314', '就诊 20261202-0001': the document's kind and its own number."""
    label = DOC_LABELS.get(row.doc_type, row.doc_type or "")
    return f"{label} {row.doc_no}".strip()


class StockCardModel(RowsModel):
    """Movements of one drug with the running balance, ``PAGE_SIZE`` rows per fetch."""

    COLUMNS = ("日期时间", "类型", "单据", "批号", "效期", "入库", "出库", "结存", "结存(折合)", "原因")
    NUMERIC = frozenset({5, 6, 7})

    def __init__(self, parent: Any = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self._page_fn: PageFn | None = None
        self._next: int | None = None
        self._units = ("盒", "片", 1)
        self._reversed: set[str] = set()
        self._fetching = False
        #: pages fetched so far (the first one included); tests and the status line read it
        self.pages = 0

    # -- loading ------------------------------------------------------------------------------
    def reset_with(self, page_fn: PageFn | None, first: CardPage | None, units: tuple[str, str, int]) -> None:
        """Show ``first`` (fetched by the caller); ``page_fn`` fetches the pages after it."""
        self.beginResetModel()
        self._page_fn = page_fn
        self._units = units
        self._rows = list(first.rows) if first else []
        self._next = first.next_after_seq if first else None
        self._reversed = {r.reverses_id for r in self._rows if r.reverses_id}
        self.pages = 1 if first else 0
        self.endResetModel()

    def clear(self) -> None:
        self.reset_with(None, None, self._units)

    def exhausted(self) -> bool:
        """True once the last page has been loaded."""
        return self._next is None

    def canFetchMore(self, parent: Index = _INDEX) -> bool:  # noqa: N802
        return (not parent.isValid() and self._page_fn is not None and self._next is not None
                and not self._fetching)

    def fetchMore(self, parent: Index = _INDEX) -> None:  # noqa: N802
        """Append the next page (never re-entered: views may ask again while rows are being inserted)."""
        if not self.canFetchMore(parent):
            return
        assert self._page_fn is not None
        self._fetching = True
        try:
            page = self._page_fn(self._next, self.page_size)
            self._next = page.next_after_seq
            self.pages += 1
            if page.rows:
                start = len(self._rows)
                self.beginInsertRows(QModelIndex(), start, start + len(page.rows) - 1)
                self._rows.extend(page.rows)
                self._reversed.update(r.reverses_id for r in page.rows if r.reverses_id)
                self.endInsertRows()
        finally:
            self._fetching = False

    # -- access ---------------------------------------------------------------------------------
    def movement(self, row: int) -> CardRow:
        return self._rows[row]

    def is_reversed(self, row: CardRow) -> bool:
        """True when the reversal of ``row`` is among the loaded rows."""
        return row.movement_id in self._reversed

    def cell(self, r: CardRow, col: int) -> str:
        if col == 0:
            return r.occurred_at.strftime("%Y-%m-%d %H:%M")
        if col == 1:
            return r.kind_label
        if col == 2:
            return doc_text(r)
        if col == 3:
            return r.batch_no
        if col == 4:
            return r.expiry.isoformat()
        if col == 5:
            return count(r.quantity) if r.quantity > 0 else ""
        if col == 6:
            return count(-r.quantity) if r.quantity < 0 else ""
        if col == 7:
            return count(r.balance_units)
        if col == 8:
            return qty(r.balance_units, *self._units)
        return r.reason

    def foreground(self, r: CardRow, col: int) -> QColor | None:
        if r.kind == MovementKind.REVERSAL or self.is_reversed(r):
            return MUTED
        if col == 5:
            return IN_COLOUR
        if col == 6:
            return OUT_COLOUR
        return None

    def tooltip(self, r: CardRow, col: int) -> str | None:
        if self.is_reversed(r):
            return "该记录已冲正"
        if r.kind == MovementKind.REVERSAL:
            return f"冲正记录：{r.reason}"
        if col == 2 and r.doc_no:
            return f"单据：{doc_text(r)}"
        if col == 9 and r.reason:
            return r.reason
        if col == 0:
            return f"台账序号 {r.seq} · 批次结存 {count(r.batch_balance_units)}"
        return None
