"""The 同步码 box: paste, type or scan the code a township admin made (``cunyi-hub add-site``).

Used by the set-up wizard (a new site joins) and by 设置 → 加入乡镇同步服务 (a standalone site joins
with its data). The code is read as soon as it is entered: a scanner types it and presses Enter, and
the box then names the hub, or says what is wrong on its own line.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit

from app.domain.errors import ValidationError
from app.sync import codes

from .forms import ErrorLabel


class SyncCodeBox(QObject):
    """The code's line edit (``edit``, object name ``joinCode``), its error line and the hub it names."""

    def __init__(self, parent: QObject | None = None, on_valid_enter: Callable[[], None] | None = None) -> None:
        super().__init__(parent)
        #: called when Enter reads a good code (it then goes no further); None lets Enter through
        self.on_valid_enter = on_valid_enter
        self.edit = QLineEdit()
        self.edit.setObjectName("joinCode")
        self.edit.setPlaceholderText("CY1-…  粘贴或扫码")
        self.error = ErrorLabel()
        self.hub = QLabel()
        self.hub.setProperty("role", "hint")
        self.edit.editingFinished.connect(self.check)

    def watch_enter(self) -> None:
        """Read the code on Enter and stay on it when it is wrong. Call after any other Enter handling
        is installed on the edit, so this one sees the key first."""
        self.edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            if not self.check():
                self.edit.selectAll()
                return True
            if self.on_valid_enter is not None:
                self.on_valid_enter()
                return True
        return super().eventFilter(watched, event)

    def check(self) -> bool:
        """Say where the code leads, or what is wrong with it; True when it reads."""
        try:
            code = codes.decode(self.edit.text())
        except ValidationError as exc:
            self.hub.clear()
            self.error.show_error(str(exc)) if self.edit.text().strip() else self.error.clear_error()
            return False
        self.error.clear_error()
        self.hub.setText(f"乡镇同步服务：{code.hub_url}")
        return True

    def show_error(self, message: str) -> None:
        """A refusal of the code (malformed, used, another kind of site…) on its line; the code selected."""
        self.error.show_error(message)
        self.edit.setFocus()
        self.edit.selectAll()
