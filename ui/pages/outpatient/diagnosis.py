"""The diagnosis box of 门诊收费: free text, or one of the bundled ICD-10 diagnoses picked by name,
code or pinyin initials (``gxy`` → 原发性高血压 I10).

The match list floats under the box (a child of the window, like the resident and drug boxes), so
the focus stays in the box: ↑/↓ choose, Enter takes the highlighted diagnosis (the first by
default) and moves on; with no list open Enter just moves on (free text is fine).
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QWidget

from ui.models.outpatient_diagnoses import Diagnosis, match_diagnoses

POPUP_STYLE = (
    "QListWidget#diagnosisPopup { border: 1px solid #1a73e8; border-radius: 6px; background: #ffffff; }"
    "QListWidget#diagnosisPopup::item { padding: 5px 10px; }"
    "QListWidget#diagnosisPopup::item:selected { background: #d2e3fc; color: #102a43; }"
)


class DiagnosisBox(QLineEdit):
    """``code`` is the ICD-10 code of the picked diagnosis ("" for free text); ``done`` on Enter."""

    done = Signal()
    code_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("诊断：输入名称、拼音首字母（如 gxy）或编码 I10")
        self.setMaxLength(64)
        self.code = ""
        self._picked_name = ""
        self._matches: list[Diagnosis] = []
        self._popup: QListWidget | None = None
        self.textEdited.connect(self._edited)

    # -- popup ----------------------------------------------------------------------------------
    def popup(self) -> QListWidget:
        if self._popup is None or not shiboken6.isValid(self._popup) or self._popup.parentWidget() is not self.window():
            self._popup = QListWidget(self.window())
            self._popup.setObjectName("diagnosisPopup")
            self._popup.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self._popup.setFrameShape(QFrame.Shape.StyledPanel)
            self._popup.setStyleSheet(POPUP_STYLE)
            self._popup.itemClicked.connect(lambda item: self.pick(self._popup.row(item)))
        return self._popup

    def popup_visible(self) -> bool:
        return self._popup is not None and shiboken6.isValid(self._popup) and self._popup.isVisible()

    def hide_popup(self) -> None:
        if self.popup_visible():
            self._popup.hide()

    def _show(self) -> None:
        if not self._matches:
            self.hide_popup()
            return
        popup = self.popup()
        popup.clear()
        for d in self._matches:
            popup.addItem(QListWidgetItem(f"{d.name}　{d.code}　{d.abbr}"))
        popup.setCurrentRow(0)
        window = self.window()
        origin = self.mapTo(window, QPoint(0, self.height() + 2))
        height = min(len(self._matches), 8) * max(popup.sizeHintForRow(0), 28) + 6
        popup.setGeometry(origin.x(), origin.y(), max(self.width(), 360), height)
        popup.show()
        popup.raise_()

    # -- values ---------------------------------------------------------------------------------
    def _set_code(self, code: str) -> None:
        if code != self.code:
            self.code = code
            self.code_changed.emit(code)

    def _edited(self, text: str) -> None:
        self._matches = match_diagnoses(text)
        exact = next((d for d in self._matches if d.code == text.strip().upper()), None)
        if exact is not None:
            self._set_code(exact.code)
        elif self.code and text.strip() != self._picked_name:
            self._set_code("")  # the picked name was changed: free text now
        self._show()

    def pick(self, row: int) -> None:
        if 0 <= row < len(self._matches):
            d = self._matches[row]
            self.setText(d.name)
            self._picked_name = d.name
            self._set_code(d.code)
        self.hide_popup()

    def clear_diagnosis(self) -> None:
        self.clear()
        self._picked_name = ""
        self._matches = []
        self._set_code("")
        self.hide_popup()

    # -- keys -----------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            if self.popup_visible():
                self.pick(self._popup.currentRow())
            self.done.emit()
            return
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.popup_visible():
            step = 1 if key == Qt.Key.Key_Down else -1
            self._popup.setCurrentRow(max(0, min(self._popup.count() - 1, self._popup.currentRow() + step)))
            return
        if key == Qt.Key.Key_Escape and self.popup_visible():
            self.hide_popup()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(event)
        self.hide_popup()
