"""Keyboard and event-loop helpers of the outpatient UI tests."""

from __future__ import annotations

import subprocess

#: the offscreen platform cannot raise or grab for popups (QCompleter); not a failure of ours
OFFSCREEN_POPUP_NOISE = r"^This plugin does not support (raise\(\)|grabbing the keyboard|propagateSizeHints\(\))$"

#: how long a test waits for a state of the page: generous, for two busy cores (the first receipt of a
#: worker process imports reportlab and reads the CJK font; the first search and preview load their own)
UNTIL_MS = 20000


def settle(rounds: int = 4) -> None:
    """Let queued results, debounce timers and their follow-up ops run."""
    from PySide6.QtWidgets import QApplication

    from ui.workers import wait_idle

    for _ in range(rounds):
        QApplication.processEvents()
        assert wait_idle(20000)
    QApplication.processEvents()


def type_text(text: str) -> None:
    """Type ``text`` into the focused widget, one key at a time (also CJK, which QTest cannot type)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for ch in text:
        target = QApplication.focusWidget()
        assert target is not None, f"nothing has the keyboard focus to type {text!r}"
        key = ord(ch.upper()) if ch.isascii() else int(Qt.Key.Key_unknown)
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(target, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))


def press(key, modifier=None) -> None:  # noqa: ANN001
    """Press one key on the focused widget (the way the keyboard does)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    target = QApplication.focusWidget()
    assert target is not None, "nothing has the keyboard focus"
    QTest.keyClick(target, key, modifier or Qt.KeyboardModifier.NoModifier)


def wait_preview(qtbot, page, until=None):  # noqa: ANN001, ANN201
    """The split's ``Preview`` of the page's *current* form, once no debounce or preview op is pending.

    ``settle()`` cannot see the 200 ms preview debounce: under load an older preview (of the line before
    its quantity was typed, or of the visit before the first line) can be on show when it returns.
    ``until(preview)`` waits further for a specific state.
    """
    def current() -> bool:
        preview = page.split.preview
        return not page.preview_pending() and preview is not None and (until is None or until(preview))

    qtbot.waitUntil(current, timeout=UNTIL_MS)
    return page.split.preview


def pdf_text(path) -> str:  # noqa: ANN001
    """A printed PDF's text, laid out (poppler's pdftotext)."""
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pick_resident(qtbot, page, text: str) -> None:  # noqa: ANN001
    """Type ``text`` in the resident box, Enter, and wait for the resident's cover."""
    from PySide6.QtCore import Qt

    page.focus_first()
    type_text(text)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.header.coverage is not None, timeout=UNTIL_MS)
    settle()


def add_drug(qtbot, page, text: str) -> None:  # noqa: ANN001
    """Type ``text`` in the drug box, Enter, and wait for the new prescription line."""
    from PySide6.QtCore import Qt

    rows = page.rx.model.rowCount()
    page.rx.focus_drug_box()
    type_text(text)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.rx.model.rowCount() == rows + 1, timeout=UNTIL_MS)
    settle()


def reverse_by_keys(qtbot, page, reason: str) -> None:  # noqa: ANN001
    """F8 on today's selected settlement: the 冲正 dialog opens with the cursor in 原因, ``reason`` is
    typed and Enter confirms (the caller waits for what it expects: the slip, the reversal row…)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    press(Qt.Key.Key_F8)
    dialog = page.dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=UNTIL_MS)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.reason, timeout=UNTIL_MS)
    type_text(reason)
    press(Qt.Key.Key_Return)
