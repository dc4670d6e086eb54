"""Small form helpers: an inline error line, and focusing the field an error names."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from app.domain.errors import CunyiError


class ErrorLabel(QLabel):
    """A red line under a form; empty and hidden when there is no error."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("formError")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_error(self, message: str) -> None:
        self.setText(message)
        self.setVisible(bool(message))

    def clear_error(self) -> None:
        self.show_error("")


def focus_field(error: CunyiError, fields: dict[str, QWidget], fallback: QWidget | None = None) -> None:
    """Focus (and select) the widget of the field the error names, else ``fallback``."""
    widget = fields.get(error.field or "", fallback)
    if widget is None:
        return
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    if isinstance(widget, QLineEdit):
        widget.selectAll()


def password_edit(placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(placeholder)
    return edit
