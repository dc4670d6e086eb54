"""Idle lock: no input for the configured time hides the data until the same user's password."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ui.workers import wait_idle


def test_idle_time_comes_from_the_settings(open_window) -> None:
    window = open_window("village", "doctor")
    assert window.idle.interval_ms == 10 * 60_000  # default idle_lock_minutes
    assert window.idle.active() and not window.is_locked()


def test_idle_locks_and_only_the_right_password_unlocks(open_window, qtbot, password, audit_log) -> None:
    window = open_window("village", "doctor")
    window.idle.set_interval_ms(60)  # the test hook: 60 ms instead of minutes
    qtbot.waitUntil(window.is_locked, timeout=10000)
    screen = window.lock_screen
    assert window.screens.currentWidget() is screen
    assert not window.stack.isVisible()  # patient data is hidden
    assert not window.idle.active()

    # area shortcuts do nothing while locked
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked()

    screen.password.setFocus()
    qtbot.keyClicks(screen.password, "not-my-password")
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    assert wait_idle()
    assert window.is_locked()
    assert "再错 4 次将锁定" in screen.error.text()

    qtbot.keyClicks(screen.password, password)
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    assert wait_idle()
    assert not window.is_locked()
    assert window.stack.isVisible() and window.idle.active()
    sv = window.ctx.sv
    assert [e.actor for e in audit_log(sv, "signin.fail")] == ["张医生"]
    doctor_ok = [e for e in audit_log(sv, "signin.ok") if e.actor == "张医生"]
    assert len(doctor_ok) == 2  # the first sign-in and the unlock


def test_input_postpones_the_lock(open_window, qtbot) -> None:
    window = open_window("village", "doctor")
    window.idle.set_interval_ms(60_000)
    timer = window.idle._timer
    qtbot.waitUntil(lambda: timer.remainingTime() < 59_900, timeout=10000)
    before = timer.remainingTime()
    qtbot.keyClick(window.sync_label, Qt.Key.Key_A)  # any key press anywhere counts as activity
    assert timer.remainingTime() > before  # the countdown started again
    qtbot.mouseMove(window.nav)
    assert timer.isActive() and not window.is_locked()


def test_ctrl_l_locks_at_once_and_zero_minutes_never_locks(open_window, qtbot) -> None:
    window = open_window("village", "admin")
    window.idle.set_minutes(0)
    assert not window.idle.active()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked()
