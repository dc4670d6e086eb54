"""建站向导: the first run of an empty data folder makes this installation a site with its admin.

Two ways: create a standalone site (机构类型 → 机构信息 → 管理员账户), or join the township's sync
service with the 同步码 a township admin made (pasted, typed or scanned: a scanner types the code and
presses Enter), which enrolls, creates the site the hub names and runs the first sync
(``app.joining.join_hub``, the steps ``cunyi init --code`` takes too).
"""

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

from app import joining
from app.domain.enums import SiteKind
from app.domain.errors import CunyiError, ValidationError
from app.domain.passwords import check_password_strength
from app.services.core.identity import SiteInfo

from ..syncing import progress_text
from ..widgets.forms import ErrorLabel, focus_field, password_edit
from ..widgets.layout import EnterAdvances
from ..widgets.sync_code import SyncCodeBox
from ..workers import Op

#: page ids: the standalone path 0 → 1 → 2, the joining path 0 → 3
KIND, SITE, ADMIN, JOIN = range(4)


class KindPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("第 1 步：机构类型")
        self.setSubTitle("本机安装在哪类机构？建站后不能更改。")
        self.village = QRadioButton("定点村卫生室(&V)")
        self.township = QRadioButton("乡镇卫生院(&T)")
        self.join = QRadioButton("加入乡镇同步服务（输入同步码）(&J)")
        self.village.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.village)
        group.addButton(self.township)
        group.addButton(self.join)
        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        for button, text in (
            (self.village, "门诊收费与门诊统筹结算、药品收货与发药、向乡镇报量与调拨入库、帮办代办。"),
            (self.township, "中转药库的采购入库、向各村调拨、村室药品一览、统一结算、审核帮办代办。同步服务（cunyi-hub）随程序安装，在卫生院的一台电脑上开启。"),
            (self.join, "乡镇已为本机构生成了同步码：机构类型和名称由乡镇给出，建站后自动取回药品目录等数据。"),
        ):
            layout.addWidget(button)
            note = QLabel(text)
            note.setProperty("role", "hint")
            note.setWordWrap(True)
            note.setIndent(26)
            layout.addWidget(note)
            layout.addSpacing(10)
        layout.addStretch(1)

    def kind(self) -> SiteKind:
        return SiteKind.VILLAGE if self.village.isChecked() else SiteKind.TOWNSHIP

    def nextId(self) -> int:
        return JOIN if self.join.isChecked() else SITE


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

    def validatePage(self) -> bool:
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

    def nextId(self) -> int:
        return -1


class JoinPage(QWizardPage):
    """加入乡镇同步服务: the 同步码 (pasted or scanned) and the administrator of the new site."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("第 2 步：输入同步码")
        self.setSubTitle("同步码由乡镇管理员生成（CY1- 开头）。可粘贴，也可用扫码枪扫二维码。")
        self.code_box = SyncCodeBox(self)
        self.code, self.code_error, self.hub = self.code_box.edit, self.code_box.error, self.code_box.hub
        self.username = QLineEdit("admin")
        self.display_name = QLineEdit("管理员")
        self.password = password_edit("至少 6 位")
        self.confirm = password_edit("再输入一次")
        self.error = ErrorLabel()
        form = QFormLayout()
        form.setSpacing(12)
        form.addRow("同步码(&S)*", self.code)
        form.addRow("", self.code_error)
        form.addRow("", self.hub)
        form.addRow("管理员用户名(&U)*", self.username)
        form.addRow("姓名(&D)", self.display_name)
        form.addRow("密码(&P)*", self.password)
        form.addRow("确认密码(&C)*", self.confirm)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.registerField("join_code*", self.code)
        self.registerField("join_password*", self.password)
        self.registerField("join_confirm*", self.confirm)
        self.fields = {"同步码": self.code, "用户名": self.username, "密码": self.password,
                       "确认密码": self.confirm}
        self._enter = EnterAdvances([self.code, self.username, self.display_name, self.password, self.confirm],
                                    self._submit)
        self.code_box.watch_enter()  # after EnterAdvances: sees Enter first

    def _submit(self) -> None:
        wizard = self.wizard()
        if wizard is not None:  # Enter on the last field finishes, as the Finish button does
            wizard.button(QWizard.WizardButton.FinishButton).click()

    def check_code(self) -> bool:
        """Read the code as soon as it is entered (a scanner's Enter): say where it leads, or what is wrong."""
        return self.code_box.check()

    def show_error(self, error: CunyiError) -> None:
        """Show ``error`` on the field it names (the code's own line for the code) and focus that field."""
        if (error.field or "同步码") in ("同步码", "数据文件夹") or error.field not in self.fields:
            self.code_error.show_error(str(error))
            self.error.clear_error()
            self.code.setFocus()
            self.code.selectAll()
            return
        self.error.show_error(str(error))
        focus_field(error, self.fields, self.password)

    def request(self) -> joining.JoinRequest:
        """The checked code and account (no network).

        Raises:
            ValidationError: naming the field.
        """
        request = joining.check_join(self.code.text(), self.username.text(), self.password.text(),
                                     self.display_name.text())
        if self.password.text() != self.confirm.text():
            raise ValidationError("两次输入的密码不一致，请重新输入确认密码", "确认密码")
        return request

    def validatePage(self) -> bool:
        try:
            self.request()
        except ValidationError as exc:
            self.show_error(exc)
            return False
        self.error.clear_error()
        self.code_error.clear_error()
        return True

    def nextId(self) -> int:
        return -1


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
        self.join_page = JoinPage()
        for page_id, page in ((KIND, self.kind_page), (SITE, self.site_page), (ADMIN, self.admin_page),
                              (JOIN, self.join_page)):
            self.setPage(page_id, page)
        self._creating = False
        #: the first sync's outcome after joining: None when it finished, else the Chinese reason
        self.first_sync_error: str | None = None

    @property
    def admin_username(self) -> str:
        if self.kind_page.join.isChecked():
            return self.join_page.username.text().strip()
        return self.admin_page.username.text().strip()

    def accept(self) -> None:
        if self.site is not None:
            super().accept()
            return
        if self._creating:
            return
        if self.kind_page.join.isChecked():
            self._join()
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

    # -- joining the township's sync service -----------------------------------------------------
    def _join(self) -> None:
        page, sv = self.join_page, self.sv
        try:
            request = page.request()
        except ValidationError as exc:
            page.show_error(exc)
            return
        self._creating = True
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        op: Op[joining.Joined] = Op(self, lambda: joining.join_hub(
            sv, page.code.text(), request.admin, request.password, request.display_name,
            progress=lambda event: op.report(progress_text(event))))
        op.success(self._joined).failure(self._join_failed).busy("正在加入乡镇同步服务并取回数据…").run()

    def _joined(self, joined: joining.Joined) -> None:
        self.first_sync_error = joined.sync_error
        self._created(joined.site)

    def _join_failed(self, error: CunyiError) -> None:
        self._creating = False
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        self.join_page.show_error(error)
