"""登录: user name and password, checked by ``IdentityService.sign_in`` (audited, 5 wrong → locked)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.domain.errors import CunyiError
from app.services.core.identity import SiteInfo, UserInfo

from ..widgets.forms import ErrorLabel, focus_field, password_edit
from ..workers import Op


class LoginDialog(QDialog):
    """Accepted with ``user`` set once the password is right; wrong ones show inline in red."""

    def __init__(self, sv: Any, site: SiteInfo, parent: QWidget | None = None, username: str = "") -> None:
        super().__init__(parent)
        self.sv = sv
        self.user: UserInfo | None = None
        self.setWindowTitle("村医通 · 登录")
        self.setObjectName("loginDialog")
        self.setMinimumWidth(420)
        brand = QLabel("村医通")
        brand.setProperty("role", "brand")
        where = QLabel(f"{site.name} · {site.kind.label}")
        where.setProperty("role", "hint")
        rule = QLabel("密码连续错误 5 次，账户锁定 15 分钟")
        rule.setProperty("role", "hint")
        self.username = QLineEdit(username)
        self.username.setPlaceholderText("用户名")
        self.password = password_edit("密码")
        form = QFormLayout()
        form.setSpacing(12)
        form.addRow("用户名(&U)", self.username)
        form.addRow("密码(&P)", self.password)
        self.error = ErrorLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("登录")
        self.ok_button.setProperty("kind", "primary")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("退出")
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(14)
        layout.addWidget(brand, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(where, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(rule)
        layout.addWidget(self.buttons)
        (self.password if username else self.username).setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Enter in the user name moves on to the password; Enter in the password signs in."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.focusWidget() is self.username:
            self.password.setFocus()
            return
        super().keyPressEvent(event)

    def sign_in(self) -> None:
        if not self.ok_button.isEnabled():
            return
        if not self.username.text().strip():
            self.error.show_error("请输入用户名")
            self.username.setFocus()
            return
        username, password = self.username.text(), self.password.text()
        identity = self.sv.identity
        self.ok_button.setEnabled(False)
        Op(self, lambda: identity.sign_in(username, password)).success(self._signed_in).failure(self._failed).busy().run()

    def _signed_in(self, user: UserInfo) -> None:
        self.user = user
        self.accept()

    def _failed(self, error: CunyiError) -> None:
        self.ok_button.setEnabled(True)
        self.error.show_error(str(error))
        self.password.clear()
        focus_field(error, {"用户名": self.username, "密码": self.password}, self.password)
