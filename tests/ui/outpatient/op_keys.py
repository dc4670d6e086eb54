"""Keyboard and event-loop helpers of the outpatient UI tests."""

from __future__ import annotations

#: the offscreen platform cannot raise or grab for popups (QCompleter); not a failure of ours
OFFSCREEN_POPUP_NOISE = r"^This plugin does not support (raise\(\)|grabbing the keyboard|propagateSizeHints\(\))$"


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
