"""建站向导 on an empty data folder creates the site, its store and the admin account."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWizard

from app.bootstrap import bootstrap
from app.domain.enums import SiteKind
from ui.dialogs.wizard import SiteWizard
from ui.workers import wait_idle


def test_wizard_creates_a_township_site(qtbot, tmp_path) -> None:
    sv = bootstrap(tmp_path / "empty")
    try:
        assert not sv.sites.is_set_up()
        wizard = SiteWizard(sv)
        qtbot.addWidget(wizard)
        wizard.show()
        assert wizard.button(QWizard.WizardButton.CancelButton).text() == "取消"  # Qt's zh_CN translation
        wizard.kind_page.township.setFocus()
        qtbot.keyClick(wizard.kind_page.township, Qt.Key.Key_Space)
        assert wizard.kind_page.kind() is SiteKind.TOWNSHIP
        wizard.next()
        assert wizard.currentPage() is wizard.site_page
        assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()  # the name is required
        wizard.site_page.name.setText("示例镇卫生院")  # QTest types ASCII only; an IME commits text like this
        wizard.site_page.region.setText("示例县示例镇")
        wizard.next()
        assert wizard.currentPage() is wizard.admin_page
        page = wizard.admin_page
        qtbot.keyClicks(page.password, "abc")
        qtbot.keyClicks(page.confirm, "abc")
        wizard.next()  # too short: stays, says why
        assert wizard.currentPage() is page and "至少需要 6 位" in page.error.text()
        page.password.setText("tadmin-pass")
        page.confirm.setText("tadmin-pasz")
        wizard.next()
        assert "两次输入的密码不一致" in page.error.text()
        page.confirm.setText("tadmin-pass")
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
        assert wait_idle()
        assert wizard.result() == QDialog.DialogCode.Accepted
        site = sv.identity.local_site()
        assert wizard.site == site
        assert site.kind is SiteKind.TOWNSHIP and site.name == "示例镇卫生院" and site.region == "示例县示例镇"
        assert site.store_id is not None
        admin = sv.identity.sign_in("admin", "tadmin-pass")
        assert admin.role.value == "admin"
        assert sv.audit.recent(action="site.create")
    finally:
        sv.close()


def test_wizard_on_a_site_that_exists_shows_the_rule(qtbot, make_site) -> None:
    sv = bootstrap(make_site("village"))
    try:
        wizard = SiteWizard(sv)
        qtbot.addWidget(wizard)
        wizard.show()
        wizard.next()
        wizard.site_page.name.setText("重复")
        wizard.next()
        wizard.admin_page.password.setText("secret123")
        wizard.admin_page.confirm.setText("secret123")
        wizard.accept()
        assert wait_idle()
        assert wizard.site is None and wizard.isVisible()
        assert "不能重复建站" in wizard.admin_page.error.text()
    finally:
        sv.close()
