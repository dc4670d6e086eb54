"""建站向导 joins the township's sync service with a 同步码: pasted or scanned, checked, enrolled, synced."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QWizard

from app.bootstrap import bootstrap
from app.domain.enums import SiteKind
from ui.dialogs.wizard import SiteWizard
from ui.workers import wait_idle


def _to_join_page(qtbot, sv):  # noqa: ANN001, ANN202
    wizard = SiteWizard(sv)
    qtbot.addWidget(wizard)
    wizard.resize(1366, 768)
    wizard.show()
    wizard.activateWindow()
    qtbot.waitActive(wizard)
    wizard.kind_page.join.setFocus()
    qtbot.keyClick(wizard.kind_page.join, Qt.Key.Key_Space)
    wizard.next()
    assert wizard.currentPage() is wizard.join_page
    return wizard, wizard.join_page


def test_wizard_joins_the_hub_with_a_scanned_code(qtbot, tmp_path, sync_hub, artifact) -> None:
    township_id = sync_hub.add_site("township", "示例镇卫生院")[0]
    site_id, code = sync_hub.add_site("village", "示例村卫生室", township_id)
    sv = bootstrap(tmp_path / "empty")
    try:
        wizard, page = _to_join_page(qtbot, sv)
        assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()  # the code is required
        page.code.setFocus()
        qtbot.keyClicks(page.code, code)  # a scanner types the code and presses Enter
        qtbot.keyClick(page.code, Qt.Key.Key_Return)
        assert page.hub.text() == f"乡镇同步服务：{sync_hub.url}" and page.code_error.isHidden()
        assert wizard.focusWidget() is page.username
        page.password.setText("joinpass1")
        page.confirm.setText("joinpass1")
        artifact(wizard, "wizard-join")
        page.confirm.setFocus()
        qtbot.keyClick(page.confirm, Qt.Key.Key_Return)  # Enter on the last field finishes
        assert wait_idle(60_000)
        assert wizard.result() == QDialog.DialogCode.Accepted and wizard.first_sync_error is None
        site = sv.identity.local_site()
        assert wizard.site == site and site.id == site_id
        assert site.kind is SiteKind.VILLAGE and site.name == "示例村卫生室"
        assert wizard.admin_username == "admin"
        assert sv.identity.sign_in("admin", "joinpass1").role.value == "admin"
        status = sv.sync.status()
        assert status.joined and status.hub_url == sync_hub.url and status.last_sync_at is not None
        assert status.pending == 0  # the first sync ran: the new site, its store and admin reached the hub
    finally:
        sv.close()


def test_a_bad_or_used_code_is_named_on_the_field_and_nothing_is_created(qtbot, tmp_path, sync_hub) -> None:
    township_id = sync_hub.add_site("township", "示例镇卫生院")[0]
    code = sync_hub.add_site("village", "示例村卫生室", township_id)[1]
    sv = bootstrap(tmp_path / "empty")
    try:
        wizard, page = _to_join_page(qtbot, sv)
        QGuiApplication.clipboard().setText(code[:-6] + "-0000")  # pasted, but cut and mistyped
        page.code.setFocus()
        qtbot.keyClick(page.code, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        page.password.setText("joinpass1")
        page.confirm.setText("joinpass1")
        wizard.button(QWizard.WizardButton.FinishButton).click()
        assert wait_idle()
        assert wizard.currentPage() is page and wizard.site is None
        assert page.code_error.isVisible() and page.code_error.text().startswith("同步码无效：")
        assert wizard.focusWidget() is page.code
        assert not sv.sites.is_set_up()

        other = bootstrap(tmp_path / "first")  # the code works once: another installation spends it
        try:
            other_wizard, other_page = _to_join_page(qtbot, other)
            other_page.code.setText(code)
            other_page.password.setText("joinpass1")
            other_page.confirm.setText("joinpass1")
            other_wizard.button(QWizard.WizardButton.FinishButton).click()
            assert wait_idle(60_000) and other.sites.is_set_up()
        finally:
            other.close()
        page.code.setText(code)
        wizard.button(QWizard.WizardButton.FinishButton).click()
        assert wait_idle(60_000)
        assert wizard.site is None and wizard.isVisible()
        assert page.code_error.isVisible() and "同步码" in page.code_error.text()
        assert not sv.sites.is_set_up()
        assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    finally:
        sv.close()
