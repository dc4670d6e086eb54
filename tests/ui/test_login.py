"""The login dialog: sign-in through the real UserService, lockout after 5 wrong passwords."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from ui.dialogs.login import LoginDialog
from ui.workers import wait_idle


def _dialog(qtbot, sv) -> LoginDialog:  # noqa: ANN001
    dialog = LoginDialog(sv, sv.identity.local_site())
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _attempt(qtbot, dialog: LoginDialog, username: str, password: str) -> None:  # noqa: ANN001
    dialog.username.clear()
    dialog.username.setFocus()
    qtbot.keyClicks(dialog.username, username)
    qtbot.keyClick(dialog.username, Qt.Key.Key_Return)  # Enter moves on to the password
    assert dialog.focusWidget() is dialog.password
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, password)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert wait_idle()


def test_right_password_signs_in_and_is_audited(qtbot, services, password, audit_log) -> None:
    sv, _ = services("village")
    dialog = _dialog(qtbot, sv)
    _attempt(qtbot, dialog, "doctor", password)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.user is not None and dialog.user.username == "doctor"
    assert sv.session.actor.name == "张医生"
    assert audit_log(sv, "signin.ok")[0].actor == "张医生"


def test_five_wrong_passwords_lock_the_account(qtbot, services, password) -> None:
    sv, _ = services("village")
    dialog = _dialog(qtbot, sv)
    for attempt in range(1, 5):
        _attempt(qtbot, dialog, "doctor", "wrong-password")
        assert dialog.isVisible()
        assert f"再错 {5 - attempt} 次将锁定" in dialog.error.text()
        assert dialog.ok_button.isEnabled() and dialog.password.text() == ""
    _attempt(qtbot, dialog, "doctor", "wrong-password")
    assert "已锁定 15 分钟" in dialog.error.text()
    # even the right password is refused while locked
    _attempt(qtbot, dialog, "doctor", password)
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.user is None
    assert "账户已锁定" in dialog.error.text()
    assert len(sv.audit.recent(action="signin.fail")) == 5
    assert len(sv.audit.recent(action="signin.locked")) == 1
    assert [u.username for u in sv.status.locked_users()] == ["doctor"]


def test_unknown_user_and_empty_name(qtbot, services, password) -> None:
    sv, _ = services("village")
    dialog = _dialog(qtbot, sv)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == "请输入用户名"
    _attempt(qtbot, dialog, "nobody", password)
    # the same answer as a wrong password: a guess does not learn which names exist
    assert dialog.error.text() == "用户名或密码不正确（再错 4 次将锁定 15 分钟）"
    assert dialog.user is None


def test_a_disabled_user_is_told_the_account_is_disabled(qtbot, services, password) -> None:
    sv, _ = services("village")
    sv.identity.sign_in("admin", password)
    doctor = next(u for u in sv.users.list() if u.username == "doctor")
    sv.users.set_active(doctor.id, False)
    sv.identity.sign_out()
    dialog = _dialog(qtbot, sv)
    _attempt(qtbot, dialog, "doctor", password)
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.user is None
    assert "该账户已被管理员停用" in dialog.error.text() and "联系管理员启用" in dialog.error.text()
    assert dialog.focusWidget() is dialog.username
