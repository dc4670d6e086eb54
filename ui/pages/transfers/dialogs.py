"""The frame of 调拨与报量's dialogs: a heading, a table of lines typed from the keyboard, a note, a red error
line, and one service call on Ctrl+Enter. A refusal of the service is shown in red in the dialog, which stays open
with what was typed. The dialogs themselves:

- ``village_dialogs``: ``RequisitionDialog`` (报量) and ``CountDialog`` (调拨入库 清点);
- ``township_dialogs``: ``ReviewDialog`` (报量审核), ``DraftShipmentDialog`` (新调拨单 / 调剂), ``ShipDialog``
  (出库) and ``PurchaseReturnDialog`` (采购退货).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import CunyiError
from ui.pages.transfers.base import LinesTable, fit
from ui.pages.transfers.line_models import EditLinesModel
from ui.widgets.forms import ErrorLabel
from ui.widgets.layout import hint, shortcut
from ui.workers import Op


class LinesDialog(QDialog):
    """The frame of every dialog here: a heading, the body, a note, a red error line and the buttons;
    Ctrl+Enter runs ``submit``, Esc cancels. ``done_with(result)`` fires after the service said yes."""

    done_with = Signal(object)

    def __init__(self, parent: QWidget | None, title: str, ok_text: str, *, width: int = 960,
                 height: int = 600) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(width, height)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(20, 16, 20, 14)
        self.layout_.setSpacing(10)
        self.heading = QLabel()
        self.heading.setProperty("role", "section")
        self.heading.setWordWrap(True)
        self.layout_.addWidget(self.heading)
        self.note = QLineEdit()
        self.note.setPlaceholderText("备注（可不填）")
        self.summary = hint()
        self.summary.setWordWrap(True)
        self.error = ErrorLabel()
        self.buttons = QDialogButtonBox()
        self.ok_button: QPushButton = self.buttons.addButton(f"{ok_text} (Ctrl+Enter)",
                                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setProperty("kind", "primary")
        self.ok_button.setAutoDefault(False)
        cancel = self.buttons.addButton("取消 (Esc)", QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setAutoDefault(False)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut(self, keys, self.submit)
        self.result_value: Any = None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.ok_button.setDefault(False)  # the button box made it default: Enter is the table's, Ctrl+Enter confirms

    def lines_changed(self, model: EditLinesModel) -> None:
        """A typed cell changed: the red line goes once no line is wrong any more."""
        if model.first_error() is None:
            self.error.clear_error()

    def finish_layout(self, note: bool = True) -> None:
        if note:
            self.layout_.addWidget(self.note)
        self.layout_.addWidget(self.summary)
        self.layout_.addWidget(self.error)
        self.layout_.addWidget(self.buttons)

    def submit(self) -> None:
        raise NotImplementedError

    def run(self, fn: Callable[[], Any], busy: str = "") -> None:
        if not self.ok_button.isEnabled():
            return
        self.error.clear_error()
        self.ok_button.setEnabled(False)
        Op(self, fn).success(self._done).failure(self.failed).busy(busy or None).changes("transfers", "stock").run()

    def _done(self, result: Any) -> None:
        self.result_value = result
        self.accept()
        self.done_with.emit(result)

    def failed(self, error: CunyiError | str) -> None:
        self.ok_button.setEnabled(True)
        self.error.show_error(str(error))

    def refuse_lines(self, model: EditLinesModel, table: LinesTable) -> bool:
        """Show the first red line's problem and put the cursor on it; True when there was one."""
        found = model.first_error()
        if found is None:
            return False
        line, message = found
        self.error.show_error(message)
        table.start(line, model.error_column(model.lines()[line]))
        return True


def _fit(view: QTableView, numbers: tuple[int, ...], elide: tuple[int, ...] = (0,)) -> None:
    edit = getattr(view, "edit_column", None)
    fit(view, numbers, elide, wide={edit: 110} if edit is not None else None)
