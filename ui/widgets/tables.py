"""Read-only list tables: the one way they are set up (whole-row single selection, no editing, alternating
rows) and ``fit_columns``, which sizes their columns so numbers are never cut and text is elided first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QAbstractItemModel, QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyleOptionViewItem, QTableView


def read_only_rows(view: QTableView, row_height: int | None = None) -> QTableView:
    """Select whole rows one at a time, never edit in place, alternate row colours, hide row numbers."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    if row_height is not None:
        view.verticalHeader().setDefaultSectionSize(row_height)
    return view

#: a cell's padding before the first row can be measured (the style sheet's 6 px each side, text margins)
_PAD = 20


class FitColumns(QObject):
    """Numbers whole, text elided: a read-only table's column widths from its content and the view's width.

    ``fit`` columns (numbers, quantities, dates) always get the width of their widest loaded cell or
    their header, so a number is never cut. Text columns get their content width too while the view
    has room; when it has not, they give width back in ``elide_order`` (first listed, first cut; text
    columns not listed come after, right to left), each down to ``min_text`` px or its header's width,
    and their text is elided with “…”. An empty text column takes only its header's width; room left
    over goes to the last column. When even that is too wide, the view scrolls sideways.

    Widths are refitted after a model reset, inserted rows (a paged model: only the new rows are
    measured), changed data and every resize of the view. Use ``fit_columns`` to install it.
    """

    def __init__(self, view: QTableView, fit: Iterable[int], elide_order: Sequence[int] = (), *,
                 min_text: int = 60) -> None:
        super().__init__(view)
        self.view = view
        self.fit = frozenset(fit)
        self.elide_order = tuple(elide_order)
        self.min_text = min_text
        self._widest: list[int] = []
        self._pad: int | None = None
        self._metrics: dict[str, QFontMetrics] = {}  # font key → metrics, for cells in their own font
        header = view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        view.viewport().installEventFilter(self)
        self._model: QAbstractItemModel | None = None
        self._watch(view.model())

    # -- measuring --------------------------------------------------------------------------------
    def padding(self) -> int:
        """Pixels a cell needs beyond its text (the style's padding and text margins)."""
        if self._pad is None:
            model = self.view.model()
            if model is None or not model.rowCount():
                return _PAD
            option = QStyleOptionViewItem()
            self.view.initViewItemOption(option)
            pads = []
            for col in range(model.columnCount()):  # the delegate's own answer, on the first row's cells
                index = model.index(0, col)
                if index.data():
                    hint = self.view.itemDelegateForIndex(index).sizeHint(option, index).width()
                    pads.append(hint - self.metrics(index).horizontalAdvance(str(index.data())))
            # +1: the delegate rounds a text's fractional width up, which a whole-pixel advance may not
            self._pad = max(pads) + 1 if pads else _PAD
        return self._pad

    def metrics(self, index: QModelIndex) -> QFontMetrics:
        """The metrics of the font a cell is painted in: the view's, or its model's ``FontRole`` (bold) over it."""
        font = index.data(Qt.ItemDataRole.FontRole)
        if not isinstance(font, QFont):
            return self.view.fontMetrics()
        key = font.resolve(self.view.font()).key()
        if key not in self._metrics:
            self._metrics[key] = QFontMetrics(font.resolve(self.view.font()))
        return self._metrics[key]

    def _measure(self, first: int, last: int) -> None:
        model = self.view.model()
        for col in range(len(self._widest)):
            widest = self._widest[col]
            for row in range(first, last + 1):
                index = model.index(row, col)
                text = index.data()
                if text:
                    widest = max(widest, self.metrics(index).horizontalAdvance(str(text)))
            self._widest[col] = widest

    def _remeasure(self) -> None:
        model = self.view.model()
        self._widest = [0] * (model.columnCount() if model is not None else 0)
        if model is not None and model.rowCount():
            self._measure(0, model.rowCount() - 1)

    def content_width(self, col: int) -> int:
        """What column ``col`` needs to show its widest loaded cell (0 when it is empty) whole."""
        return self._widest[col] + self.padding() if self._widest[col] else 0

    # -- fitting ----------------------------------------------------------------------------------
    def widths(self, available: int) -> list[int]:
        """Column widths for a viewport ``available`` px wide."""
        header = self.view.horizontalHeader()
        count = len(self._widest)
        heads = [header.sectionSizeHint(c) for c in range(count)]
        widths = [max(heads[c], self.content_width(c)) for c in range(count)]
        floors = [widths[c] if c in self.fit else min(widths[c], max(heads[c], self.min_text)) for c in range(count)]
        over = sum(widths) - available
        order = [c for c in self.elide_order if c < count]
        order += [c for c in reversed(range(count)) if c not in self.fit and c not in order]
        for col in order:
            if over <= 0:
                break
            take = min(widths[col] - floors[col], over)
            widths[col] -= take
            over -= take
        if over < 0 and count:
            widths[-1] -= over  # the room left over
        return widths

    def refit(self) -> None:
        """Apply ``widths`` for the view's current width."""
        if not self._widest:
            return
        for col, width in enumerate(self.widths(self.view.viewport().width())):
            if self.view.columnWidth(col) != width:
                self.view.setColumnWidth(col, width)

    # -- signals ----------------------------------------------------------------------------------
    def _watch(self, model: QAbstractItemModel | None) -> None:
        self._model = model
        if model is None:
            return
        model.modelReset.connect(self._reset)
        model.layoutChanged.connect(self._reset)
        model.dataChanged.connect(lambda *_: self._reset())
        model.rowsInserted.connect(self._inserted)
        self._reset()

    def _reset(self) -> None:
        self._pad = None
        self._remeasure()
        self.refit()

    def _inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if parent.isValid():
            return
        if len(self._widest) != self.view.model().columnCount():
            self._remeasure()
        else:
            self._measure(first, last)
        self.refit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and watched is self.view.viewport():
            if self.view.model() is not self._model:
                self._watch(self.view.model())
            self.refit()
        return super().eventFilter(watched, event)


def fit_columns(view: QTableView, fit: Iterable[int], elide_order: Sequence[int] = (), *,
                min_text: int = 60) -> FitColumns:
    """Size ``view``'s columns with ``FitColumns`` (numbers whole, text elided first); set the model first.

    ``fit``: the columns never cut (numbers, quantities, dates); ``elide_order``: the text columns
    that give up width first (e.g. 原因, then 单据).
    """
    return FitColumns(view, fit, elide_order, min_text=min_text)
