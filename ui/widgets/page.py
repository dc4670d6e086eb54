"""The base of every page in the main window's navigation."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.domain.roles import AREAS
from ui.context import AppContext
from ui.workers import hub


class Page(QWidget):
    """A page of one area. Built on first visit; refreshed when shown after its data changed.

    Subclasses set ``area`` (a key of ``app.domain.roles.AREAS``) and implement ``refresh()``, which
    reloads through ``ui.workers.Op``. ``watches`` lists the ``data_changed`` areas that make the page
    stale (``"*"`` = any); a visible page refreshes at once, a hidden one when next shown.
    """

    area: ClassVar[str] = ""
    watches: ClassVar[tuple[str, ...]] = ()

    #: ask the main window to open another area: (area, target or None)
    navigate = Signal(str, object)
    #: the result of the user's last action, for the status bar ("已结算 20261202-0001 · 现金 ¥3.84")
    reported = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(f"page_{self.area}")
        self._stale = True
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(28, 22, 28, 18)
        self._layout.setSpacing(14)
        hub().data_changed.connect(self._on_data_changed)

    @property
    def area_title(self) -> str:
        """The area's Chinese name (工作台, 设置…), shown as the page title."""
        return AREAS.get(self.area, self.area)

    # -- layout helpers -------------------------------------------------------------------------
    def body(self) -> QVBoxLayout:
        """The page's vertical layout (the header goes first)."""
        return self._layout

    def add_header(self, hint: str = "", right: QWidget | None = None) -> QLabel:
        """Title row: the area's name in large type, a grey hint, and an optional widget on the right.

        Returns the hint label so a page can update it.
        """
        row = QHBoxLayout()
        row.setSpacing(14)
        title = QLabel(self.area_title)
        title.setProperty("role", "title")
        hint_label = QLabel(hint)
        hint_label.setProperty("role", "hint")
        row.addWidget(title, 0, Qt.AlignmentFlag.AlignBaseline)
        row.addWidget(hint_label, 1, Qt.AlignmentFlag.AlignBaseline)
        if right is not None:
            row.addWidget(right, 0, Qt.AlignmentFlag.AlignVCenter)
        self._layout.addLayout(row)
        return hint_label

    # -- behaviour ------------------------------------------------------------------------------
    def report(self, text: str) -> None:
        """Say in the main window's status bar how the user's last action ended."""
        self.reported.emit(text)

    def refresh(self) -> None:
        """Reload the page's data (through ``Op``)."""
        raise NotImplementedError

    def open_target(self, target: str | None) -> None:
        """Show the list a dashboard tile points at (``Tile.target``); default: the page itself."""

    def focus_first(self) -> None:
        """Put the keyboard focus on the page's first field (after navigating to it)."""
        self.focusNextChild()

    def unsaved_work(self) -> str | None:
        """What quitting now would lose, in a few words (未结算的处方…), or None when nothing.

        The main window asks before it closes when any built page returns text. The text names no
        patient: it may be shown while the screen is locked.
        """
        return None

    def mark_stale(self) -> None:
        self._stale = True
        if self.isVisible():
            self._stale = False
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    def _on_data_changed(self, area: str) -> None:
        if area == "*" or "*" in self.watches or area in self.watches:
            self.mark_stale()
