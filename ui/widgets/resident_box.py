"""ResidentBox: find a resident by ID number, name, pinyin initials, phone, or a scanned 医保电子凭证.

Typing searches (debounced, through ``Op`` on the database thread) and lists the matches in a popup
under the box; ↑/↓ choose and Enter picks. A scanner types fast and ends with Enter: Enter searches
at once and picks when exactly one resident matches. The popup is a child of the box's window (no
separate top-level window), so the keyboard focus never leaves the box.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QWidget

from app.domain import clock
from app.services.residents.types import ResidentInfo

from ..models.residents import short_address
from ..workers import Op

DEBOUNCE_MS = 180
MAX_ROWS = 8


def resident_line(r: ResidentInfo, today: date | None = None) -> str:
    """One line about a resident: ``张三  男 67岁  示例村3组  410***********1234``."""
    today = today or clock.today()
    parts = [r.name, f"{r.sex_label} {r.age_on(today)}岁"]
    if r.address:
        parts.append(short_address(r.address))
    parts.append(r.masked_id)
    if today.year not in r.covered_years:
        parts.append(f"未参保{today.year}")
    return "  ".join(parts)


class _Popup(QListWidget):
    """The match list, floating over the window under the box; never takes the focus."""

    def __init__(self, box: ResidentBox) -> None:
        super().__init__(box.window())
        self.box = box
        self.setObjectName("residentPopup")
        self.setStyleSheet(
            "QListWidget#residentPopup { border: 1px solid #1a73e8; border-radius: 6px; background: #ffffff; }"
            "QListWidget#residentPopup::item { padding: 5px 10px; }"
            "QListWidget#residentPopup::item:selected { background: #d2e3fc; color: #102a43; }"
        )
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setUniformItemSizes(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.itemClicked.connect(lambda item: box.pick_row(self.row(item)))
        self.hide()

    def place(self) -> None:
        window = self.box.window()
        if self.parent() is not window:
            self.setParent(window)
        origin = self.box.mapTo(window, QPoint(0, self.box.height() + 2))
        rows = max(1, min(self.count(), MAX_ROWS))
        height = rows * max(self.sizeHintForRow(0), 24) + 2 * self.frameWidth() + 4
        width = max(self.box.width(), 520)
        width = min(width, window.width() - origin.x() - 8)
        self.setGeometry(origin.x(), origin.y(), width, height)
        self.raise_()
        self.show()


class ResidentBox(QLineEdit):
    """The resident search box; ``picked(ResidentInfo)`` when a resident is chosen."""

    picked = Signal(object)
    #: Enter found nobody: (text, message)
    not_found = Signal(str, str)

    def __init__(self, search: Callable[[str], list[ResidentInfo]], parent: QWidget | None = None,
                 placeholder: str = "身份证号 / 姓名 / 拼音 / 手机号 / 扫码") -> None:
        super().__init__(parent)
        self.setObjectName("residentBox")
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self._search = search
        self._results: list[ResidentInfo] = []
        self._results_for: str | None = None
        self._generation = 0
        self._pick_on_result = False
        self._popup: _Popup | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)
        self.textEdited.connect(self._edited)

    # -- public ---------------------------------------------------------------------------------
    @property
    def results(self) -> list[ResidentInfo]:
        return list(self._results)

    def popup(self) -> _Popup:
        if self._popup is None or not shiboken6.isValid(self._popup):
            self._popup = _Popup(self)
            self.window().installEventFilter(self)
        return self._popup

    def popup_visible(self) -> bool:
        return self._popup is not None and shiboken6.isValid(self._popup) and self._popup.isVisible()

    def hide_popup(self) -> None:
        if self.popup_visible():
            self._popup.hide()

    def search_now(self) -> None:
        """Search for the current text now (the debounce timer's job, or Enter's)."""
        self._timer.stop()
        text = self.text().strip()
        self._generation += 1
        generation = self._generation
        if not text:
            self._show([], text)
            return
        search = self._search
        Op(self, lambda: search(text)).success(lambda found: self._arrived(generation, text, found)).run()

    def pick_row(self, row: int) -> None:
        if 0 <= row < len(self._results):
            resident = self._results[row]
            self.hide_popup()
            self.setText(resident.name)
            self.selectAll()
            self.picked.emit(resident)

    # -- internals ------------------------------------------------------------------------------
    def _edited(self, _text: str) -> None:
        self._pick_on_result = False
        self._results_for = None
        self._timer.start()

    def _arrived(self, generation: int, text: str, found: list[ResidentInfo]) -> None:
        if generation != self._generation:
            return  # an older search; a newer one is on its way
        self._show(found, text)
        if self._pick_on_result:
            self._pick_on_result = False
            self._enter_with_results(text)

    def _show(self, found: list[ResidentInfo], text: str) -> None:
        self._results = list(found)
        self._results_for = text
        if not self.hasFocus() or not text:
            self.hide_popup()
            return
        popup = self.popup()
        popup.clear()
        today = clock.today()
        for r in found:
            item = QListWidgetItem(resident_line(r, today))
            if today.year not in r.covered_years:
                item.setForeground(QColor("#b3261e"))
            elif not r.owned_here:
                item.setForeground(QColor("#52606d"))
                item.setToolTip("其他村卫生室的居民（可以结算，档案只能由所属机构修改）")
            popup.addItem(item)
        if not found:
            item = QListWidgetItem(f"没有找到“{text}”：可输入身份证号、姓名、拼音首字母或手机号后四位以上")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            popup.addItem(item)
        else:
            popup.setCurrentRow(0)
        popup.place()

    def _enter_with_results(self, text: str) -> None:
        if len(self._results) == 1:
            self.pick_row(0)
        elif not self._results:
            self.not_found.emit(text, f"没有找到“{text}”的居民档案：请核对，或在 居民档案 中新建（Ctrl+N）")
        elif self.popup_visible() and self._popup.currentRow() >= 0:
            self.pick_row(self._popup.currentRow())

    def _enter(self) -> None:
        text = self.text().strip()
        if not text:
            return
        if self.popup_visible() and self._results_for == text and self._popup.currentRow() >= 0 and self._results:
            self.pick_row(self._popup.currentRow())
            return
        if self._results_for == text:
            self._enter_with_results(text)
            return
        self._pick_on_result = True  # a scanner's Enter, or typing faster than the search
        self.search_now()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._enter()
            event.accept()
            return
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.popup_visible() and self._results:
            popup = self._popup
            step = 1 if key == Qt.Key.Key_Down else -1
            popup.setCurrentRow(max(0, min(len(self._results) - 1, popup.currentRow() + step)))
            event.accept()
            return
        if key == Qt.Key.Key_Escape and self.popup_visible():
            self.hide_popup()
            event.accept()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(event)
        self.hide_popup()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Move) and self.popup_visible():
            self._popup.place()
        return False
