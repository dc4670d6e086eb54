"""What the tabs and dialogs of 调拨与报量 share: a tab that knows its page, a list table, an editable line
table where Enter commits a quantity and moves down, and a scanner box (a scanner types like a keyboard and
ends with Enter)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QLineEdit,
    QSplitter,
    QTableView,
    QWidget,
)

from ui.widgets.layout import setup_table
from ui.widgets.tables import FitColumns
from ui.workers import Op


class TransfersTab(QWidget):
    """A tab of the 调拨与报量 page: services through ``Op``, refreshed when shown after its data changed.

    A tab with a list sets ``view`` (the keyboard starts there). A list with the selected document's lines
    below it (``lines``, a rows model) names the service call that reads one document (``info`` and
    ``lines``) in ``detail_call`` and connects the list's current row to ``load_lines``."""

    #: the tab's main list (``focus_first`` puts the keyboard there)
    view: QTableView | None = None

    def __init__(self, page: Any) -> None:
        super().__init__()
        self.page = page
        self.ctx = page.ctx
        self.sv = page.ctx.sv
        self._token = 0
        self.dialog: Any = None

    def refresh(self) -> None:
        raise NotImplementedError

    def load_list(self, read: Callable[[], Any]) -> None:
        """Run ``read`` (the tab's list through the services) and show its answer with ``listed``, unless a later
        refresh started meanwhile (a filter changed twice quickly: only the last answer counts)."""
        self._token += 1
        token = self._token

        def answered(rows: Any) -> None:
            if token == self._token:
                self.listed(rows)

        Op(self, read).success(answered).run()

    def listed(self, rows: Any) -> None:
        """Show what ``load_list`` read."""
        raise NotImplementedError

    def focus_first(self) -> None:
        if self.view is not None:
            self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self.focusNextChild()

    def open_dialog(self, dialog: Any, done: Callable[..., object]) -> Any:
        """Open one of the tab's dialogs (deleted once closed); ``done`` gets what its ``done_with`` says."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.done_with.connect(done)
        self.dialog = dialog
        dialog.open()
        return dialog

    # -- a list and the lines of its selected document --------------------------------------------
    def detail_call(self) -> Callable[[str], Any]:
        """The service method that reads one document of ``view`` by id (a detail with ``info`` and ``lines``)."""
        raise NotImplementedError

    def load_lines(self) -> None:
        """Read the lines of the list's current document for the table below."""
        chosen = current_row(self.view)
        if chosen is None:
            return
        read = self.detail_call()
        Op(self, lambda: read(chosen.id)).success(self._show_lines).run()

    def _show_lines(self, detail: Any) -> None:
        chosen = current_row(self.view)
        if chosen is None or chosen.id != detail.info.id:
            return  # another row was chosen while this one was read
        self.lines.set_rows(detail.lines)
        self.lines_shown(detail)

    def lines_shown(self, detail: Any) -> None:
        """After the selected document's lines are shown (a tab may say more about it below the table)."""


def stacked(top: QWidget, bottom: QWidget, sizes: tuple[int, int] = (260, 240)) -> QSplitter:
    """A list above the lines of its selected document, the line between them draggable."""
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(top)
    split.addWidget(bottom)
    split.setSizes(list(sizes))
    return split


class FitSpare(FitColumns):
    """``FitColumns`` that gives the room left over to the ``spare`` column (a drug's or a village's name)
    instead of the last one, so a number is never pushed to the far right of a wide table."""

    def __init__(self, view: QTableView, fit: Iterable[int], elide_order: Sequence[int], spare: int | None,
                 wide: dict[int, int] | None = None) -> None:
        self.spare = spare
        self.wide = dict(wide or {})
        super().__init__(view, fit, elide_order, min_text=100)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.view.viewport():
            self._pad = None  # measured again once the style sheet's padding applies (a dialog's rows come before)
        return super().eventFilter(watched, event)

    def widths(self, available: int) -> list[int]:
        widths = super().widths(available)
        last = len(widths) - 1
        spare = getattr(self, "spare", None)
        if spare is None or last <= 0 or spare == last or spare > last:
            return widths
        natural = max(self.view.horizontalHeader().sectionSizeHint(last), self.content_width(last),
                      self.wide.get(last, 0))
        extra = widths[last] - natural
        if extra > 0:
            widths[last] -= extra
            widths[spare] += extra
        for col, least in self.wide.items():  # room to type in an editable column, taken from the spare one
            if col < len(widths) and widths[col] < least and col != spare:
                take = min(least - widths[col], max(0, widths[spare] - 120))
                widths[col] += take
                widths[spare] -= take
        return widths


def fit(view: QTableView, numbers: Iterable[int], elide: Sequence[int] = (0,), spare: int | None = -1,
        wide: dict[int, int] | None = None) -> FitSpare:
    """Numbers whole, text elided first (``elide``), the room left over to ``spare`` (default: ``elide[0]``);
    ``wide``: column → the least width it gets (an editable quantity needs room to type ``1盒4片``)."""
    return FitSpare(view, numbers, elide, (elide[0] if elide else None) if spare == -1 else spare, wide)


def list_table(model: Any, name: str) -> QTableView:
    """A read-only list (whole rows, Tab leaves it) over ``model``."""
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    setup_table(view)
    return view


def current_row(view: QTableView) -> Any:
    """The DTO of the view's current row, or None."""
    index = view.currentIndex()
    model = view.model()
    if not index.isValid() or index.row() >= model.rowCount():
        return None
    return model.row(index.row())


def select_row(view: QTableView, row: int) -> None:
    model = view.model()
    if 0 <= row < model.rowCount():
        view.setCurrentIndex(model.index(row, 0))
        view.selectRow(row)


def keep_selection(view: QTableView, rows: list[Any], key: Callable[[Any], object], wanted: object = None) -> None:
    """Put ``rows`` in the view's model, keeping the current row (or selecting ``wanted``, else the first)."""
    model = view.model()
    old = current_row(view)
    target = wanted if wanted is not None else (key(old) if old is not None else None)
    model.set_rows(rows)
    found = model.find(lambda r: key(r) == target) if target is not None else -1
    if rows:
        select_row(view, max(found, 0))


class LinesTable(QTableView):
    """An editable line table: typing in an editable cell starts editing it, Enter commits it and moves to the
    same column of the next row (so a column of quantities is typed top to bottom), Tab leaves the table."""

    def __init__(self, model: Any, name: str, edit_column: int) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setModel(model)
        self.edit_column = edit_column
        #: called after Enter committed the last row's cell (a dialog goes back to its drug box)
        self.on_last_enter: Callable[[], object] | None = None
        setup_table(self)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.SelectedClicked)

    def start(self, row: int = 0, column: int | None = None) -> None:
        """Focus the table on a row's editable cell."""
        if self.model().rowCount():
            self.setCurrentIndex(self.model().index(max(0, min(row, self.model().rowCount() - 1)),
                                                    self.edit_column if column is None else column))
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        super().closeEditor(editor, hint)
        if hint == QAbstractItemDelegate.EndEditHint.SubmitModelCache:  # Enter
            index = self.currentIndex()
            if index.isValid() and index.row() + 1 < self.model().rowCount():
                self.setCurrentIndex(self.model().index(index.row() + 1, index.column()))
            elif self.on_last_enter is not None:
                self.on_last_enter()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers()
                and index.isValid() and self.state() != QAbstractItemView.State.EditingState):
            if index.flags() & Qt.ItemFlag.ItemIsEditable:
                self.edit(index)
            else:
                self.setCurrentIndex(self.model().index(index.row(), self.edit_column))
                self.edit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


class ScanBox(QLineEdit):
    """Where a scanner types trace codes: each Enter emits ``scanned(code)`` and empties the box."""

    scanned = Signal(str)
    #: Enter on the empty box (a form may take it as "this line is done")
    empty = Signal()

    def __init__(self, placeholder: str = "扫描药品追溯码（扫码枪扫完自动回车）") -> None:
        super().__init__()
        self.setObjectName("scanBox")
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.handles_enter = True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            event.accept()  # a scan's Enter is the scan's: never a dialog's default button
            self._enter()
            return
        super().keyPressEvent(event)

    def _enter(self) -> None:
        code = self.text().strip()
        self.clear()
        if code:
            self.scanned.emit(code)
        else:
            self.empty.emit()
