"""Quitting with an unsettled prescription asks first, and the lock screen lets no shortcut through
(Ctrl+Q, Ctrl+digits, F-keys, Alt+letters): only unlocking works. Driven by the keyboard."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from op_keys import OFFSCREEN_POPUP_NOISE, UNTIL_MS, press, settle, type_text

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)

CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier


def _prescription(qtbot, page) -> None:  # noqa: ANN001
    """张三, 高血压, one bottle of 维生素C片 — entered, not settled."""
    type_text("zs")
    qtbot.waitUntil(lambda: page.header.resident_box.popup_visible(), timeout=UNTIL_MS)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.header.coverage is not None, timeout=UNTIL_MS)
    type_text("gxy")
    press(Qt.Key.Key_Return)
    assert QApplication.focusWidget() is page.rx.drug_box
    type_text("wssc")
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.rx.model.rowCount() == 1, timeout=UNTIL_MS)
    settle()


def _quit_box(window):  # noqa: ANN001, ANN202
    box = window._quit_box
    return box if box is not None and box.isVisible() else None


def _wait_box(qtbot, window):  # noqa: ANN001, ANN202
    """The 退出 question, once it has the keyboard focus."""
    qtbot.waitUntil(lambda: _quit_box(window) is not None, timeout=UNTIL_MS)
    box = _quit_box(window)
    qtbot.waitUntil(lambda: box.isAncestorOf(QApplication.focusWidget()), timeout=UNTIL_MS)
    return box


def _answered(qtbot, window) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: _quit_box(window) is None, timeout=UNTIL_MS)
    window.activateWindow()  # the window manager gives the focus back after the question
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None and QApplication.focusWidget().window() is window,
                    timeout=UNTIL_MS)


def test_ctrl_q_asks_before_an_unsettled_prescription_is_lost(qtbot, doctor_window, db, password) -> None:
    window, page = doctor_window("outpatient")
    assert window.unsaved_work() == []
    _prescription(qtbot, page)
    assert window.unsaved_work() == ["门诊收费：一张未结算的处方（1 种药品）"]

    press(Qt.Key.Key_Q, CTRL)
    box = _wait_box(qtbot, window)
    assert "未结算的处方" in box.informativeText() and "张三" not in box.informativeText()
    assert window.isVisible()
    press(Qt.Key.Key_Return)  # the default answer keeps the work
    _answered(qtbot, window)
    assert window.isVisible() and page.rx.model.rowCount() == 1

    # locked: no shortcut of the window does anything, not even Ctrl+Q
    press(Qt.Key.Key_L, CTRL)
    assert window.is_locked()
    screen = window.lock_screen
    assert QApplication.focusWidget() is screen.password
    for key, modifier in ((Qt.Key.Key_Q, CTRL), (Qt.Key.Key_1, CTRL), (Qt.Key.Key_3, CTRL), (Qt.Key.Key_F9, None),
                          (Qt.Key.Key_F3, None), (Qt.Key.Key_N, CTRL), (Qt.Key.Key_N, ALT), (Qt.Key.Key_Escape, None)):
        press(key, modifier)
        settle(1)
        assert window.is_locked() and window.isVisible() and _quit_box(window) is None
        assert QApplication.focusWidget() is screen.password
    assert window.current_area() == "outpatient" and page.rx.model.rowCount() == 1
    assert db("SELECT count(*) FROM settlements") == [(0,)]

    assert screen.password.text() == ""  # Alt+N is no text either
    type_text(password)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=UNTIL_MS)
    assert page.rx.model.rowCount() == 1  # the prescription is still there

    press(Qt.Key.Key_Q, CTRL)
    _wait_box(qtbot, window)
    press(Qt.Key.Key_Q, ALT)  # 退出(&Q)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=UNTIL_MS)


def test_quitting_from_the_lock_screen_asks_too(qtbot, doctor_window) -> None:
    window, page = doctor_window("outpatient")
    _prescription(qtbot, page)
    press(Qt.Key.Key_L, CTRL)
    window.lock_screen.quit_requested.emit()  # the lock screen's 退出程序
    _wait_box(qtbot, window)
    press(Qt.Key.Key_Escape)
    _answered(qtbot, window)
    assert window.isVisible() and window.is_locked()


def test_ctrl_q_quits_at_once_without_unsaved_work(qtbot, doctor_window) -> None:
    window, _page = doctor_window("outpatient")
    press(Qt.Key.Key_Q, CTRL)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=UNTIL_MS)
    assert _quit_box(window) is None
