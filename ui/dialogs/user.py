"""新增用户: an admin adds an account for one of the roles of this kind of site."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from app.domain.errors import CunyiError, ValidationError
from app.domain.passwords import check_password_strength
from app.domain.roles import roles_for_site
from app.services.identity import UserInfo

from ..context import AppContext
from ..widgets.forms import ErrorLabel, focus_field, password_edit
from ..workers import Op


class NewUserDialog(QDialog):
    """Username, name, role, password twice. ``created`` holds the new user after acceptance."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.created: UserInfo | None = None
        self.setWindowTitle("新增用户")
        self.setMinimumWidth(420)
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
        self.error = ErrorLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("保存")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
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
        self.buttons.setEnabled(False)
        Op(self, lambda: users.create(*args)).success(self._done).failure(self._failed).busy().changes("users").run()

    def _done(self, user: UserInfo) -> None:
        self.created = user
        self.accept()

    def _failed(self, error: CunyiError) -> None:
        self.buttons.setEnabled(True)
        self.error.show_error(str(error))
        focus_field(error, self._fields, self.username)
