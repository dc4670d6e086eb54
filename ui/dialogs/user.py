"""Account dialogs: 新增用户 and 修改角色 (an administrator, the roles of this kind of site), 重置密码
(an administrator) and 修改密码 (everyone, the current password first). The rules are ``UserService``'s."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import CunyiError, ValidationError
from app.domain.passwords import check_password_strength
from app.domain.roles import roles_for_site
from app.services.core.identity import UserInfo

from ..context import AppContext
from ..widgets.forms import ErrorLabel, focus_field, password_edit
from ..workers import Op

T = TypeVar("T")


class _AccountDialog(QDialog):
    """What the account dialogs share: a form, the error line, 保存/取消, and the save through ``Op``.

    A subclass builds its fields, calls ``_lay_out(form)``, and saves with ``_run(fn, done)``; a
    refusal shows under the form and puts the cursor in the field it names (``_fields``).
    """

    def __init__(self, ctx: AppContext, title: str, width: int, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.setMinimumWidth(width)
        self._fields: dict[str, QWidget] = {}
        self._first: QWidget | None = None

    def _lay_out(self, form: QFormLayout, intro: QWidget | None = None) -> None:
        self.error = ErrorLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("保存")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if intro is not None:
            layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def save(self) -> None:
        raise NotImplementedError  # each dialog saves its own way

    def _run(self, fn: Callable[[], T], done: Callable[[T], None]) -> None:
        self.buttons.setEnabled(False)
        Op(self, fn).success(done).failure(self._failed).busy().changes("users").run()

    def _failed(self, error: CunyiError) -> None:
        self.buttons.setEnabled(True)
        self.error.show_error(str(error))
        focus_field(error, self._fields, self._first)


class NewUserDialog(_AccountDialog):
    """Username, name, role, password twice. ``created`` holds the new user after acceptance."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "新增用户", 420, parent)
        self.created: UserInfo | None = None
        self.username = QLineEdit()
        self.username.setPlaceholderText("字母、数字或下划线，如 zhangsan")
        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText("如 张三")
        self.role = QComboBox()
        for role in roles_for_site(ctx.site_kind):
            self.role.addItem(role.label, role.value)
        self.password = password_edit("至少 6 位")
        self.confirm = password_edit("再输入一次")
        form = QFormLayout()
        form.setSpacing(10)
        form.addRow("用户名(&U)", self.username)
        form.addRow("姓名(&N)", self.display_name)
        form.addRow("角色(&R)", self.role)
        form.addRow("密码(&P)", self.password)
        form.addRow("确认密码(&C)", self.confirm)
        self._lay_out(form)
        self._first = self.username
        self._fields = {"用户名": self.username, "姓名": self.display_name, "角色": self.role,
                        "密码": self.password, "确认密码": self.confirm}

    def save(self) -> None:
        try:
            if self.password.text() != self.confirm.text():
                raise ValidationError("两次输入的密码不一致，请重新输入确认密码", "确认密码")
            check_password_strength(self.password.text())
        except ValidationError as exc:
            self._failed(exc)
            return
        users = self.ctx.sv.users
        args = (self.username.text(), self.display_name.text(), self.role.currentData(), self.password.text())
        self._run(lambda: users.create(*args), self._done)

    def _done(self, user: UserInfo) -> None:
        self.created = user
        self.accept()


class PasswordDialog(_AccountDialog):
    """修改密码: one's own (the current password first) or, for an administrator, 重置密码 of ``user``.

    ``done_text`` says what was done after acceptance.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, user: UserInfo | None = None) -> None:
        own = user is None
        super().__init__(ctx, "修改密码" if own else "重置密码", 420, parent)
        self.user = user
        self.done_text = ""
        who = ctx.user if own else user
        intro = QLabel(f"{who.display_name}（{who.username}）" + ("" if own else "：设置新密码后请当面告知本人"))
        intro.setWordWrap(True)
        self.old = password_edit("当前使用的密码")
        self.password = password_edit("至少 6 位")
        self.confirm = password_edit("再输入一次")
        form = QFormLayout()
        form.setSpacing(10)
        if own:
            form.addRow("当前密码(&O)", self.old)
        form.addRow("新密码(&P)", self.password)
        form.addRow("确认新密码(&C)", self.confirm)
        self._lay_out(form, intro)
        self._first = self.password
        self._fields = {"当前密码": self.old, "新密码": self.password, "密码": self.password, "确认新密码": self.confirm}
        (self.old if own else self.password).setFocus()

    def save(self) -> None:
        try:
            if self.password.text() != self.confirm.text():
                raise ValidationError("两次输入的新密码不一致，请重新输入确认新密码", "确认新密码")
        except ValidationError as exc:
            self._failed(exc)
            return
        users, new = self.ctx.sv.users, self.password.text()
        if self.user is None:
            old = self.old.text()
            op, text = (lambda: users.change_own_password(old, new)), "密码已修改，下次登录和解锁请用新密码"
        else:
            target = self.user
            op, text = (lambda: users.reset_password(target.id, new)), f"已重置 {target.display_name} 的密码"
        self._run(op, lambda _r: self._done(text))

    def _done(self, text: str) -> None:
        self.done_text = text
        self.accept()


class RoleDialog(_AccountDialog):
    """修改角色 of ``user``: the roles of this kind of site. ``changed`` holds the user after acceptance."""

    def __init__(self, ctx: AppContext, user: UserInfo, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "修改角色", 380, parent)
        self.user = user
        self.changed: UserInfo | None = None
        self.role = QComboBox()
        for role in roles_for_site(ctx.site_kind):
            self.role.addItem(role.label, role.value)
        self.role.setCurrentIndex(max(0, self.role.findData(user.role.value)))
        form = QFormLayout()
        form.addRow("用户", QLabel(f"{user.display_name}（{user.username}）"))
        form.addRow("现在的角色", QLabel(user.role.label))
        form.addRow("新角色(&R)", self.role)
        self._lay_out(form)
        self._first = self.role
        self.role.setFocus()

    def save(self) -> None:
        users, user_id, role = self.ctx.sv.users, self.user.id, self.role.currentData()
        self._run(lambda: users.change_role(user_id, role), self._done)

    def _done(self, user: UserInfo) -> None:
        self.changed = user
        self.accept()
