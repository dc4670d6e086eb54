"""The two base classes of the 药品库存 page's tabs: a tab of the page, and a tab around one searchable table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QTableView, QVBoxLayout, QWidget

from ui.models.stock import RecentModel
from ui.widgets.layout import hint, section, setup_table
from ui.widgets.tables import fit_columns


class StockTab(QWidget):
    """A tab of the stock page: knows the page (services, jumps) and refreshes through ``Op``."""

    def __init__(self, page: Any) -> None:
        super().__init__()
        self.page = page
        self.sv = page.ctx.sv
        self._token = 0

    def _next_token(self) -> int:
        self._token += 1
        return self._token

    def _current(self, view: QTableView, model: Any) -> Any:
        index = view.currentIndex()
        return model.row(index.row()) if index.isValid() and index.row() < model.rowCount() else None

    def _select_first(self, view: QTableView, model: Any) -> None:
        if model.rowCount() and not view.currentIndex().isValid():
            view.setCurrentIndex(model.index(0, 0))

    def _form_beside_recent(self, form: QWidget, title: str) -> None:
        """入库 and 报损 tabs: ``form`` on the left (470 px at most), under ``title`` on the right the latest
        movements (``self.model``/``self.view``) and ``self.summary``."""
        form.setMaximumWidth(470)
        self.model = RecentModel(self)
        self.view = setup_table(QTableView())
        self.view.setModel(self.model)
        fit_columns(self.view, (0, 4), (5, 2, 3, 1))  # 日期, 数量 whole; 原因 then 药品 elided first
        self.summary = hint()
        right = QVBoxLayout()
        right.setSpacing(8)
        right.addWidget(section(title))
        right.addWidget(self.view, 1)
        right.addWidget(self.summary)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.setSpacing(16)
        layout.addWidget(form, 5)
        layout.addLayout(right, 6)


class StockListTab(StockTab):
    """A tab around one table (``self.view`` over a ``RowsModel`` in ``self.model``), searched by ``self.search``."""

    view: QTableView
    model: Any
    search: QLineEdit

    def _show_rows(self, rows: list[Any], key: Callable[[Any], object]) -> None:
        """Put ``rows`` in ``self.model``, keeping the selected row (matched by ``key``) or selecting the first."""
        current = self._current(self.view, self.model)
        self.model.set_rows(rows)
        if current is not None:
            found = self.model.find(lambda r: key(r) == key(current))
            if found >= 0:
                self.view.setCurrentIndex(self.model.index(found, 0))
        self._select_first(self.view, self.model)

    @staticmethod
    def _search_box(placeholder: str, width: int) -> QLineEdit:
        box = QLineEdit()
        box.setPlaceholderText(placeholder)
        box.setClearButtonEnabled(True)
        box.setMinimumWidth(width)
        return box

    def _search_as_typed(self) -> None:
        """``self.search`` refreshes 200 ms after the last key; Enter refreshes at once and goes to the table."""
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self._search_enter)

    def _search_enter(self) -> None:
        self.refresh()
        self.view.setFocus()

    def focus_first(self) -> None:
        """Ctrl+F: the search box, its text selected."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def current(self) -> Any:
        """The DTO of the selected row, or None."""
        return self._current(self.view, self.model)
