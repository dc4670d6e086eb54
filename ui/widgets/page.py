"""The base of every page in the main window's navigation."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from app.domain.roles import AREAS
from ui.context import AppContext
from ui.widgets.layout import shortcut
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

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    def _on_data_changed(self, area: str) -> None:
        if area == "*" or "*" in self.watches or area in self.watches:
            self.mark_stale()


class TabbedPage(Page):
    """A page of tabs, each a widget built with the page (``cls(page)``) that has ``refresh()`` and
    ``focus_first()`` and may have ``unsaved_work()``. Alt+1… switch tabs, F5 refreshes; a refresh reloads the
    tab on show and the others when they are next shown."""

    def add_tabs(self, tabs: dict[str, tuple[str, type]], prefix: str) -> None:
        """Build the tabs (key → (label, class)) below the header; object names ``<prefix>Tabs``, ``<prefix>_<key>``."""
        self.tabs = QTabWidget()
        self.tabs.setObjectName(f"{prefix}Tabs")
        self.tab: dict[str, Any] = {}
        self._stale_tabs: set[str] = set()
        for i, (key, (label, cls)) in enumerate(tabs.items(), start=1):
            widget = cls(self)
            widget.setObjectName(f"{prefix}_{key}")
            self.tab[key] = widget
            label = self.tab_label(key, label)
            self.tabs.addTab(widget, label)
            self.tabs.setTabToolTip(i - 1, f"{label}（Alt+{i}）")
            shortcut(self, f"Alt+{i}", lambda k=key: self.show_tab(k, focus=True))
        shortcut(self, "F5", self.refresh)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.body().addWidget(self.tabs, 1)

    def tab_label(self, key: str, label: str) -> str:
        """The label a tab shows (a page may name a tab after what this user may do there)."""
        return label

    def current_key(self) -> str:
        widget = self.tabs.currentWidget()
        return next(k for k, w in self.tab.items() if w is widget)

    def show_tab(self, key: str, *, focus: bool = False) -> Any:
        widget = self.tab[key]
        self.tabs.setCurrentWidget(widget)
        if focus:
            widget.focus_first()
        return widget

    def _tab_changed(self, _index: int) -> None:
        key = self.current_key()
        if key in self._stale_tabs:
            self._stale_tabs.discard(key)
            self.tab[key].refresh()

    def refresh(self) -> None:
        current = self.current_key()
        self._stale_tabs = set(self.tab) - {current}
        self.tab[current].refresh()

    def focus_first(self) -> None:
        self.tab[self.current_key()].focus_first()

    def unsaved_work(self) -> str | None:
        """The first tab with typed input that is not saved (a tab may define ``unsaved_work``)."""
        for widget in self.tab.values():
            found = getattr(widget, "unsaved_work", None)
            text = found() if callable(found) else None
            if text:
                return text
        return None
