"""DrugSearchBox: find a drug by pinyin initials, name, barcode or national code, and pick it by keyboard.

Typing ``amxl`` shows a list under the box after a short pause; Up/Down move in it, Enter picks the
highlighted drug, Esc closes the list. A barcode scanner types like a keyboard and ends with Enter:
Enter before the list has arrived searches at once and picks the best match (an exact code match
comes first from ``CatalogService.search``). The search itself is a service call, run through ``Op``
on the database thread; answers to older keystrokes are dropped.

Generic: ``search_fn(text) -> list`` may return any objects; ``display_fn(obj) -> str`` draws a row
and ``label_fn(obj) -> str`` is the text left in the box after picking (DrugInfo-like by default).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QFrame, QLineEdit, QListWidget, QListWidgetItem, QWidget

from ..workers import Op

#: pause after the last keystroke before searching
DEBOUNCE_MS = 150
POPUP_ROWS = 9


def drug_display(drug: Any) -> str:
    """'阿莫西林胶囊　0.25g×24粒 · 盒 · 某药业　amxl' for a DrugInfo-like object."""
    name = getattr(drug, "generic_name", str(drug))
    parts = [p for p in (getattr(drug, "strength", ""), getattr(drug, "maker", "")) if p]
    brand = getattr(drug, "brand_name", "")
    text = name + (f"（{brand}）" if brand else "")
    if parts:
        text += "　" + " · ".join(parts)
    abbr = getattr(drug, "pinyin_abbr", "")
    return f"{text}　{abbr}" if abbr else text


def drug_label(drug: Any) -> str:
    name = getattr(drug, "generic_name", str(drug))
    strength = getattr(drug, "strength", "")
    return f"{name} {strength}".strip()


class _Popup(QListWidget):
    """The result list: drawn over the window under the box; never takes the focus."""

    def __init__(self, box: DrugSearchBox) -> None:
        super().__init__(box.window())
        self.setObjectName("searchPopup")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setUniformItemSizes(True)
        self.setStyleSheet(
            "QListWidget#searchPopup { border: 1px solid #1a73e8; border-radius: 6px; background: #ffffff; }"
            "QListWidget#searchPopup::item { padding: 6px 10px; }"
            "QListWidget#searchPopup::item:selected { background: #d2e3fc; color: #102a43; }"
        )
        self.hide()


class DrugSearchBox(QLineEdit):
    """A line edit with a keyboard-driven result list; emits ``picked(obj)``."""

    picked = Signal(object)
    #: the number of results of the latest search (0 = nothing found)
    searched = Signal(int)

    def __init__(
        self,
        parent: QWidget | None = None,
        search_fn: Callable[[str], Sequence[Any]] | None = None,
        *,
        display_fn: Callable[[Any], str] = drug_display,
        label_fn: Callable[[Any], str] = drug_label,
        clear_on_pick: bool = False,
        placeholder: str = "拼音码 / 药名 / 条码（如 amxl）",
    ) -> None:
        super().__init__(parent)
        self.search_fn = search_fn
        self.display_fn = display_fn
        self.label_fn = label_fn
        self.clear_on_pick = clear_on_pick
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.current: Any = None
        self._results: list[Any] = []
        self._results_for: str | None = None
        self._generation = 0
        self._popup: _Popup | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: self.search(self.text()))
        self.textEdited.connect(self._edited)

    # -- public -----------------------------------------------------------------------------------
    def results(self) -> list[Any]:
        return list(self._results)

    def popup_visible(self) -> bool:
        return self._popup is not None and shiboken6.isValid(self._popup) and self._popup.isVisible()

    def popup(self) -> QListWidget | None:
        return self._popup if self._popup is not None and shiboken6.isValid(self._popup) else None

    def search(self, text: str, *, pick_first: bool = False) -> None:
        """Search ``text`` now (through ``Op``); show the list, or pick the top match."""
        self._timer.stop()
        text = text.strip()
        if not text or self.search_fn is None:
            self.hide_popup()
            return
        self._generation += 1
        generation, fn = self._generation, self.search_fn
        Op(self, lambda: list(fn(text))).success(lambda rows: self._arrived(generation, text, rows, pick_first)).run()

    def pick(self, obj: Any) -> None:
        """Take ``obj``: the box shows its label (or is emptied with ``clear_on_pick``) and ``picked`` fires."""
        self.hide_popup()
        if self.clear_on_pick:
            self.current = None  # an empty box: a second Enter must not pick it again
            self.clear()
        else:
            self.current = obj
            self.setText(self.label_fn(obj))
        self._results_for = None
        self.picked.emit(obj)

    def hide_popup(self) -> None:
        if self.popup_visible():
            assert self._popup is not None
            self._popup.hide()

    # -- internals --------------------------------------------------------------------------------
    def _edited(self, text: str) -> None:
        self.current = None
        if text.strip():
            self._timer.start()
        else:
            self._timer.stop()
            self._generation += 1
            self.hide_popup()

    def _arrived(self, generation: int, text: str, rows: list[Any], pick_first: bool) -> None:
        if generation != self._generation:
            return
        self._results, self._results_for = rows, text
        self.searched.emit(len(rows))
        if pick_first and rows:
            self.pick(rows[0])
            return
        self._show_popup(text)

    def _ensure_popup(self) -> _Popup:
        if self._popup is None or not shiboken6.isValid(self._popup) or self._popup.parentWidget() is not self.window():
            if self._popup is not None and shiboken6.isValid(self._popup):
                self._popup.deleteLater()
            self._popup = _Popup(self)
            self._popup.itemClicked.connect(self._clicked)
            self.window().installEventFilter(self)
        return self._popup

    def _show_popup(self, text: str) -> None:
        if not self.hasFocus() and not self.isVisible():
            return
        popup = self._ensure_popup()
        popup.clear()
        if self._results:
            for i, obj in enumerate(self._results):
                item = QListWidgetItem(self.display_fn(obj))
                item.setData(Qt.ItemDataRole.UserRole, i)
                popup.addItem(item)
            popup.setCurrentRow(0)
        else:
            item = QListWidgetItem(f"没有找到“{text}”：请换拼音码、药名或重新扫码")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            popup.addItem(item)
        self._place(popup)
        popup.show()
        popup.raise_()

    def _place(self, popup: _Popup) -> None:
        window = self.window()
        rows = min(max(popup.count(), 1), POPUP_ROWS)
        height = rows * max(popup.sizeHintForRow(0), 30) + 6
        width = max(self.width(), 520)
        below = self.mapTo(window, QPoint(0, self.height() + 2))
        top = below.y()
        if top + height > window.height() and below.y() - self.height() - height - 4 > 0:
            top = below.y() - self.height() - height - 4
        left = min(below.x(), max(0, window.width() - width))
        popup.setGeometry(left, top, min(width, window.width()), min(height, max(60, window.height() - top)))

    def _clicked(self, item: QListWidgetItem) -> None:
        index = item.data(Qt.ItemDataRole.UserRole)
        if index is not None and 0 <= index < len(self._results):
            self.pick(self._results[index])

    def _move(self, step: int) -> None:
        popup = self.popup()
        if popup is None or not popup.isVisible() or not self._results:
            return
        row = max(0, min(popup.count() - 1, popup.currentRow() + step))
        popup.setCurrentRow(row)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            text = self.text().strip()
            popup = self.popup()
            if (popup is not None and popup.isVisible() and self._results and self._results_for == text
                    and popup.currentRow() >= 0):
                self.pick(self._results[popup.currentRow()])
            elif self.current is not None and text == self.label_fn(self.current):
                self.picked.emit(self.current)  # Enter on the picked drug: confirm it again (a form moves on)
            elif text:
                self.search(text, pick_first=True)
            return
        if key == Qt.Key.Key_Escape and self.popup_visible():
            self.hide_popup()
            event.accept()
            return
        steps = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: POPUP_ROWS,
                 Qt.Key.Key_PageUp: -POPUP_ROWS}
        if key in steps:
            if self.popup_visible():
                self._move(steps[key])
                event.accept()
                return
            if key == Qt.Key.Key_Down and self.text().strip():
                self.search(self.text())
                event.accept()
                return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self.hide_popup()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.window() and event.type() in (QEvent.Type.Resize, QEvent.Type.Move):
            self.hide_popup()
        return super().eventFilter(watched, event)
