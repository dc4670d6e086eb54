"""建站向导: the first run of an empty data folder makes this installation a site with its admin."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.domain.enums import SiteKind
from app.domain.errors import CunyiError, ValidationError
from app.domain.passwords import check_password_strength
from app.services.core.identity import SiteInfo

from ..widgets.forms import ErrorLabel, password_edit
from ..workers import Op


class KindPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("第 1 步：机构类型")
        self.setSubTitle("本机安装在哪类机构？建站后不能更改。")
        self.village = QRadioButton("定点村卫生室(&V)")
        self.township = QRadioButton("乡镇卫生院(&T)")
        self.village.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.village)
        group.addButton(self.township)
        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        for button, text in (
            (self.village, "门诊收费与门诊统筹结算、药品收货与发药、报量、帮办代办。"),
            (self.township, "中转药库、向各村调拨、统一结算、审核帮办代办，并运行同步服务。"),
        ):
            layout.addWidget(button)
            note = QLabel(text)
            note.setProperty("role", "hint")
            note.setIndent(26)
            layout.addWidget(note)
            layout.addSpacing(10)
        layout.addStretch(1)

    def kind(self) -> SiteKind:
        return SiteKind.VILLAGE if self.village.isChecked() else SiteKind.TOWNSHIP


class SitePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("第 2 步：机构信息")
        self.setSubTitle("名称会印在收据和报表上。")
        self.name = QLineEdit()
        self.name.setPlaceholderText("如 示例镇卫生院 或 示例村卫生室")
        self.code = QLineEdit()
        self.code.setPlaceholderText("选填：医保定点机构编码")
        self.region = QLineEdit()
        self.region.setPlaceholderText("选填：如 示例县示例镇")
        form = QFormLayout(self)
        form.setSpacing(12)
        form.addRow("机构名称(&N)*", self.name)
        form.addRow("机构编码(&C)", self.code)
        form.addRow("所在地区(&R)", self.region)
        self.registerField("site_name*", self.name)


class AdminPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("第 3 步：管理员账户")
        self.setSubTitle("管理员负责用户、参数和备份。请牢记密码（至少 6 位）。")
        self.username = QLineEdit("admin")
        self.display_name = QLineEdit("管理员")
        self.password = password_edit("至少 6 位")
        self.confirm = password_edit("再输入一次")
        self.error = ErrorLabel()
        form = QFormLayout()
        form.setSpacing(12)
        form.addRow("用户名(&U)*", self.username)
        form.addRow("姓名(&D)", self.display_name)
        form.addRow("密码(&P)*", self.password)
        form.addRow("确认密码(&C)*", self.confirm)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        # not mandatory: a mandatory field counts as filled only once it differs from its default
        self.registerField("admin_username", self.username)
        self.registerField("admin_password*", self.password)
        self.registerField("admin_confirm*", self.confirm)

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        try:
            if not self.username.text().strip():
                raise ValidationError("管理员用户名不能为空", "用户名")
            check_password_strength(self.password.text())
            if self.password.text() != self.confirm.text():
                raise ValidationError("两次输入的密码不一致，请重新输入确认密码", "确认密码")
        except ValidationError as exc:
            self.error.show_error(str(exc))
            fields = {"用户名": self.username, "确认密码": self.confirm}
            fields.get(exc.field or "", self.password).setFocus()
            return False
        self.error.clear_error()
        return True


class SiteWizard(QWizard):
    """Accepted once the site exists; ``site`` then holds it and ``admin_username`` the admin."""

    def __init__(self, sv: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sv = sv
        self.site: SiteInfo | None = None
        self.setWindowTitle("村医通 · 建站向导")
        self.setObjectName("siteWizard")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setMinimumSize(620, 460)
        self.kind_page = KindPage()
        self.site_page = SitePage()
        self.admin_page = AdminPage()
        for page in (self.kind_page, self.site_page, self.admin_page):
            self.addPage(page)
        self._creating = False

    @property
    def admin_username(self) -> str:
        return self.admin_page.username.text().strip()

    def accept(self) -> None:
        if self.site is not None:
            super().accept()
            return
        if self._creating:
            return
        kind, sites = self.kind_page.kind(), self.sv.sites
        args = (kind, self.site_page.name.text(), self.admin_username, self.admin_page.password.text(),
                self.admin_page.display_name.text().strip() or "管理员", self.site_page.code.text().strip(),
                self.site_page.region.text().strip())
        self._creating = True
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        Op(self, lambda: sites.create_standalone(*args)).success(self._created).failure(self._failed).busy(
            "正在建站…"
        ).run()

    def _created(self, site: SiteInfo) -> None:
        self._creating = False
        self.site = site
        super().accept()

    def _failed(self, error: CunyiError) -> None:
        self._creating = False
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        self.admin_page.error.show_error(str(error))
