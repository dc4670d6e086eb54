"""设置: the settings form saves through the audited service; users, backups and the audit log."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from ui.models import audit as audit_models
from ui.models.audit import AuditModel
from ui.models.users import UsersModel
from ui.workers import wait_idle


def _settings(window):  # noqa: ANN001, ANN202
    page = window.open_area("settings")
    assert wait_idle()
    return page


def test_saving_a_setting_writes_an_audit_row_and_retimes_the_idle_lock(open_window, qtbot) -> None:
    window = open_window("village", "admin")
    tab = _settings(window).site_tab
    assert tab.loaded["idle_lock_minutes"] == 10
    spin = tab.editors["idle_lock_minutes"]
    assert window.unsaved_work() == []  # a form just loaded holds nothing to lose
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "5")
    tab.editors["receipt_paper"].setCurrentText("80mm")
    assert window.unsaved_work() == ["机构设置：有修改尚未保存"]  # Ctrl+Q would ask
    qtbot.keyClick(tab, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert wait_idle()
    assert tab.message.text() == "已保存 2 项设置"
    sv = window.ctx.sv
    assert sv.settings.get("idle_lock_minutes") == 5 and sv.settings.get("receipt_paper") == "80mm"
    rows = {e.detail["key"]: e for e in sv.audit.recent(action="settings.change")}
    assert rows["idle_lock_minutes"].detail["old"] == 10 and rows["idle_lock_minutes"].detail["new"] == 5
    assert rows["idle_lock_minutes"].actor == "管理员"
    assert window.idle.interval_ms == 5 * 60_000  # data_changed("settings") reached the main window
    assert window.unsaved_work() == []
    # nothing changed → nothing written
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert wait_idle()
    assert tab.message.text() == "没有需要保存的修改"
    assert len(sv.audit.recent(action="settings.change")) == 2


def test_a_refused_value_is_shown_inline_and_not_saved(open_window) -> None:
    window = open_window("village", "admin")
    tab = _settings(window).site_tab
    tab.editors["near_expiry_days"].setMaximum(5000)  # let the form send what the service refuses
    tab.editors["near_expiry_days"].setValue(4000)
    tab.save()
    assert wait_idle()
    assert "近效期预警天数" in tab.error.text() and "1–730" in tab.error.text()
    assert window.ctx.sv.settings.get("near_expiry_days") == 180
    assert not window.ctx.sv.audit.recent(action="settings.change")


def test_picking_a_policy_file_imports_it_and_a_bad_one_is_refused_inline(open_window, tmp_path) -> None:
    from app.paths import resource

    window = open_window("village", "admin")
    tab = _settings(window).site_tab
    sv = window.ctx.sv
    text = resource("policies", "demo-2026.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad-2026.toml"
    bad.write_text(text.replace("[general_fee]", "[general_fees]"), encoding="utf-8")
    before = sv.settings.get("policy_file")
    tab.editors["policy_file"].setText(str(bad))
    tab.save()
    assert wait_idle()
    assert "待遇政策文件有误，未导入" in tab.error.text() and "general_fees" in tab.error.text()
    assert sv.settings.get("policy_file") == before
    good = tmp_path / "county-2026.toml"
    good.write_text(text.replace("ratio_bp = 6000", "ratio_bp = 6500"), encoding="utf-8")
    tab.editors["policy_file"].setText(str(good))
    tab.save()
    assert wait_idle()
    assert tab.message.text() == "已保存 1 项设置"
    assert sv.settings.get("policy_file") == str(good)
    with sv.db.read() as s:
        from app.services.core.policies import site_policy

        assert site_policy(s).outpatient.ratio_bp == 6500 and site_policy(s).source == "county-2026.toml"


def test_admin_adds_a_user_and_unlocks_a_locked_one(open_window, qtbot, password, audit_log) -> None:
    from app.domain.errors import AuthError

    window = open_window("village", "admin")
    page = _settings(window)
    page.open_target("users")
    users_tab = page.users_tab
    assert page.tabs.currentWidget() is users_tab
    assert [users_tab.model.user(r).username for r in range(users_tab.model.rowCount())] == ["admin", "doctor"]

    users_tab.view.setFocus()
    qtbot.keyClick(users_tab.view, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = users_tab.findChild(QDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.username, "nurse")
    dialog.display_name.setText("赵护士")
    qtbot.keyClicks(dialog.password, "nurse-pass")
    qtbot.keyClicks(dialog.confirm, "nurse-pazz")
    dialog.save()
    assert "两次输入的密码不一致" in dialog.error.text()
    dialog.confirm.setText("nurse-pass")
    dialog.save()
    assert wait_idle()
    assert users_tab.message.text() == "已新增用户 nurse（村医）"  # accepted, closed, deleted
    assert users_tab.findChild(QDialog) is None
    assert wait_idle()
    assert users_tab.model.rowCount() == 3

    sv = window.ctx.sv
    for _ in range(5):
        try:
            sv.identity.sign_in("nurse", "wrong-pass")
        except AuthError:
            pass
    sv.identity.sign_in("admin", password)  # the failed attempts changed the session's actor back
    users_tab.refresh()
    assert wait_idle()
    row = [users_tab.model.user(r).username for r in range(3)].index("nurse")
    assert users_tab.model.data(users_tab.model.index(row, 3)).startswith("已锁定")
    users_tab.view.setCurrentIndex(users_tab.model.index(row, 0))
    assert users_tab.unlock_button.isEnabled()
    qtbot.mouseClick(users_tab.unlock_button, Qt.MouseButton.LeftButton)
    assert wait_idle()
    assert sv.status.locked_users() == []
    assert sv.identity.sign_in("nurse", "nurse-pass").display_name == "赵护士"
    assert audit_log(sv, "user.unlock")


def test_backup_now_writes_a_checked_backup_and_lists_it(open_window, qtbot) -> None:
    window = open_window("village", "admin")
    page = _settings(window)
    page.open_target("backup")
    tab = page.backup_tab
    assert tab.table.rowCount() == 0
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert wait_idle()
    assert wait_idle()  # data_changed("backup") reloads the list
    files = list(window.ctx.sv.data.backups.glob("cunyi-*.db"))
    assert len(files) == 1
    assert tab.result.text().startswith(f"已备份到 {files[0]}")
    assert tab.table.rowCount() == 1 and tab.table.item(0, 1).text() == files[0].name


def test_audit_model_fetches_in_pages(services, monkeypatch, qtbot, qtmodeltester) -> None:
    from PySide6.QtWidgets import QWidget

    monkeypatch.setattr(audit_models, "PAGE_SIZE", 2)
    sv, _ = services("village")
    total = len(sv.audit.recent())
    assert total >= 3  # 建站, sign-in, 新增用户
    owner = QWidget()
    qtbot.addWidget(owner)
    model = AuditModel(sv, owner)
    model.reload()
    assert wait_idle()
    assert model.rowCount() == 2 and model.canFetchMore()
    pages = 1
    while model.canFetchMore():
        model.fetchMore()
        assert wait_idle()
        pages += 1
    assert model.rowCount() == total and pages == total // 2 + 1
    assert [model.entry(r) for r in range(total)] == sv.audit.recent()  # newest first, no gaps
    qtmodeltester.check(model)


def test_audit_viewer_shows_chinese_and_filters(open_window, monkeypatch, qtbot) -> None:
    monkeypatch.setattr(audit_models, "PAGE_SIZE", 2)
    window = open_window("village", "admin")
    page = _settings(window)
    page.open_target("audit")
    model = page.audit_tab.model
    total = len(window.ctx.sv.audit.recent())
    qtbot.waitUntil(lambda: model.rowCount() == total, timeout=10000)  # the view fetches until it is full
    assert model.entry(0).action == "signin.ok"
    assert model.data(model.index(0, 2)) == "登录成功"
    assert model.data(model.index(0, 3)) == "用户"
    page.audit_tab.filter.setCurrentText("用户")
    assert wait_idle() and wait_idle()
    assert [model.entry(r).action for r in range(model.rowCount())] == ["user.create"]
    assert model.data(model.index(0, 4)) == "用户名：doctor；角色：村医"


def test_table_models_pass_the_model_tester(qtmodeltester, services) -> None:
    sv, _ = services("township")
    users = UsersModel()
    users.set_users(sv.users.list(), {})
    assert users.rowCount() == 3
    qtmodeltester.check(users)
    empty = AuditModel(sv)
    qtmodeltester.check(empty)


def test_receipt_printer_choices_save_their_setting(open_window, qtbot) -> None:
    from PySide6.QtPrintSupport import QPrinterInfo

    from ui.pages.settings.printer import PrinterCombo

    window = open_window("village", "admin")
    tab = _settings(window).site_tab
    sv = window.ctx.sv
    combo = tab.editors["printer_name"]
    assert isinstance(combo, PrinterCombo) and combo.isEditable()
    # the two fixed choices are there even when the computer lists no printer (offscreen: usually none)
    assert combo.itemText(0).startswith("系统默认打印机") and combo.itemData(0) == ""
    assert combo.itemText(1) == "保存为PDF文件" and combo.itemData(1) == "PDF"
    assert combo.printer_names() == QPrinterInfo.availablePrinterNames()
    assert combo.currentIndex() == 0 and combo.value() == ""  # the default setting

    def save(expected: str) -> None:
        tab.save()
        assert wait_idle()
        assert tab.message.text() == "已保存 1 项设置", tab.error.text()
        assert sv.settings.get("printer_name") == expected

    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # → 保存为PDF文件
    assert combo.currentText() == "保存为PDF文件"
    save("PDF")
    tab.refresh()
    assert wait_idle()
    assert combo.currentIndex() == 1 and combo.value() == "PDF"

    combo.lineEdit().selectAll()
    qtbot.keyClicks(combo.lineEdit(), r"\\srv-01\HP-M1136")  # a network printer the computer does not list
    save(r"\\srv-01\HP-M1136")
    tab.refresh()
    assert wait_idle()
    assert combo.currentText() == r"\\srv-01\HP-M1136" and combo.value() == r"\\srv-01\HP-M1136"

    combo.setCurrentIndex(0)
    save("")
    rows = [(e.detail["old"], e.detail["new"]) for e in sv.audit.recent(action="settings.change")]
    assert sorted(rows) == sorted([("", "PDF"), ("PDF", r"\\srv-01\HP-M1136"), (r"\\srv-01\HP-M1136", "")])


def _select_user(qtbot, tab, username: str) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QApplication

    assert wait_idle()
    row = next(r for r in range(tab.model.rowCount()) if tab.model.user(r).username == username)
    tab.window().activateWindow()  # the window manager gives the focus back after a dialog
    tab.view.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is tab.view, timeout=10000)
    tab.view.setCurrentIndex(tab.model.index(row, 0))


def _focused_dialog(qtbot, tab):  # noqa: ANN001, ANN202
    from PySide6.QtWidgets import QApplication

    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isVisible(), timeout=10000)
    dialog = tab.dialog
    qtbot.waitUntil(lambda: dialog.isAncestorOf(QApplication.focusWidget()), timeout=10000)
    return dialog


def test_admin_resets_a_password_disables_enables_and_changes_a_role_by_keyboard(open_window, qtbot, password) -> None:
    from PySide6.QtWidgets import QApplication

    from app.domain.enums import Role

    window = open_window("township", "admin")
    page = _settings(window)
    page.open_target("users")
    tab = page.users_tab
    sv = window.ctx.sv
    ctrl = Qt.KeyboardModifier.ControlModifier

    # 重置密码 (Ctrl+R): a weak password is refused in the dialog, a good one saved
    _select_user(qtbot, tab, "caseworker")
    qtbot.keyClick(tab.view, Qt.Key.Key_R, ctrl)
    dialog = _focused_dialog(qtbot, tab)
    assert QApplication.focusWidget() is dialog.password and not dialog.old.isVisible()
    qtbot.keyClicks(dialog.password, "abc")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.confirm, "abc")
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
    assert wait_idle()
    assert "至少需要 6 位" in dialog.error.text() and dialog.isVisible()
    dialog.password.setText("new-case-1")
    dialog.confirm.setText("new-case-1")
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
    assert wait_idle()
    qtbot.waitUntil(lambda: tab.message.text() == "已重置 王专干 的密码", timeout=10000)

    # 停用 (Ctrl+D), confirmed with Enter: the list says 已停用 and the button now says 启用
    _select_user(qtbot, tab, "caseworker")
    qtbot.keyClick(tab.view, Qt.Key.Key_D, ctrl)
    box = _focused_dialog(qtbot, tab)
    assert "停用 王专干（caseworker）" in box.text()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert wait_idle()
    qtbot.waitUntil(lambda: tab.message.text() == "已停用 王专干（caseworker）", timeout=10000)
    qtbot.waitUntil(lambda: tab.active_button.text() == "启用 (Ctrl+D)", timeout=10000)
    row = tab.view.currentIndex().row()
    assert tab.model.user(row).username == "caseworker" and tab.model.data(tab.model.index(row, 3)) == "已停用"

    # 启用 again; Esc on the question first changes nothing
    _select_user(qtbot, tab, "caseworker")
    qtbot.keyClick(tab.view, Qt.Key.Key_D, ctrl)
    box = _focused_dialog(qtbot, tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert wait_idle()
    assert not next(u for u in sv.users.list() if u.username == "caseworker").active
    _select_user(qtbot, tab, "caseworker")
    qtbot.keyClick(tab.view, Qt.Key.Key_D, ctrl)
    _focused_dialog(qtbot, tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert wait_idle()
    qtbot.waitUntil(lambda: tab.message.text() == "已启用 王专干（caseworker）", timeout=10000)

    # 修改角色 (Ctrl+E): the township's roles only
    _select_user(qtbot, tab, "pharmacist")
    qtbot.keyClick(tab.view, Qt.Key.Key_E, ctrl)
    dialog = _focused_dialog(qtbot, tab)
    assert [dialog.role.itemText(i) for i in range(dialog.role.count())] == [r.label for r in (
        Role.TOWNSHIP_PHARMACIST, Role.CASE_WORKER, Role.ADMIN)]
    dialog.role.setCurrentIndex(dialog.role.findData("case_worker"))
    qtbot.keyClick(dialog.role, Qt.Key.Key_Return)
    assert wait_idle()
    qtbot.waitUntil(lambda: tab.message.text() == f"李药管 的角色已改为 {Role.CASE_WORKER.label}", timeout=10000)

    # an admin cannot disable themselves: refused with the service's words, nothing changed
    _select_user(qtbot, tab, "admin")
    qtbot.keyClick(tab.view, Qt.Key.Key_D, ctrl)
    _focused_dialog(qtbot, tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert wait_idle()
    from ui import errors

    qtbot.waitUntil(lambda: any("不能停用自己的账户" in b.text() for b in errors.open_boxes()), timeout=10000)
    assert all(u.active for u in sv.users.list())
    actions = [e.action for e in sv.audit.recent(limit=20) if e.action.startswith("user.") and e.action != "user.create"]
    assert actions == ["user.role", "user.enable", "user.disable", "user.reset_password"]


def test_everyone_changes_their_own_password_with_ctrl_shift_p(open_window, qtbot, password, audit_log) -> None:
    from PySide6.QtWidgets import QApplication

    window = open_window("village", "doctor")
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.password_dialog is not None and window.password_dialog.isVisible(), timeout=10000)
    dialog = window.password_dialog
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.old, timeout=10000)
    assert dialog.windowTitle() == "修改密码"
    for edit, text in ((dialog.old, "not-mine"), (dialog.password, "doctor-new-1"), (dialog.confirm, "doctor-new-1")):
        qtbot.keyClicks(edit, text)
        qtbot.keyClick(edit, Qt.Key.Key_Tab)
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
    assert wait_idle()
    assert dialog.error.text() == "当前密码不正确" and QApplication.focusWidget() is dialog.old
    dialog.old.setText(password)
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
    assert wait_idle()
    qtbot.waitUntil(lambda: window.password_dialog is None, timeout=10000)
    assert "密码已修改" in window.last_action.text()
    sv = window.ctx.sv
    assert [e.actor for e in audit_log(sv, "user.password")] == ["张医生"]
    sv.identity.sign_in("doctor", "doctor-new-1")  # the new one works (the lock screen uses the same check)


def test_an_open_dialog_counts_as_unsaved_work(open_window, qtbot) -> None:
    window = open_window("village", "admin")
    page = _settings(window)
    page.open_target("users")
    page.users_tab.add_user()
    qtbot.waitUntil(lambda: page.users_tab.findChild(QDialog) is not None, timeout=10000)
    assert window.unsaved_work() == ["未保存的窗口：新增用户"]
    window.request_quit()
    assert window._quit_box is not None and "新增用户" in window._quit_box.informativeText()
    window._quit_box.reject()
    assert window.isVisible()


def test_audit_viewer_shows_an_older_row_with_the_residents_name_and_yuan(open_window, services, qtbot, password) -> None:
    import json
    import sqlite3

    from app.domain.idcard import check_digit
    from app.services.residents.types import ResidentForm

    sv, data = services("village")
    sv.identity.sign_in("admin", password)
    first17 = "41010219590312123"
    resident = sv.residents.create(ResidentForm(id_number=first17 + check_digit(first17), name="张三",
                                                address="示例县示例镇示例村3组12号")).resident
    sv.close()
    con = sqlite3.connect(data / "cunyi.db")  # a row as an older version wrote it: the id, amounts in fen
    with con:
        con.execute("INSERT INTO audit_log (at, site_id, user_id, actor, action, target_table, target_id, detail) "
                    "VALUES ('2026-03-01 09:00:00', NULL, NULL, '张医生', 'settlement.create', 'settlements', "
                    "'01a235a0-0000-7000-8000-000000000001', ?)",
                    (json.dumps({"receipt_no": "20260301-0001", "resident_id": resident.id, "total_fen": 1210}),))
    con.close()

    window = open_window("village", "admin", data)
    page = _settings(window)
    page.open_target("audit")
    model = page.audit_tab.model
    qtbot.waitUntil(lambda: any(model.entry(r).action == "settlement.create" for r in range(model.rowCount())),
                    timeout=10000)
    row = next(r for r in range(model.rowCount()) if model.entry(r).action == "settlement.create")
    assert model.data(model.index(row, 2)) == "门诊结算"
    assert model.data(model.index(row, 4)) == "收据号：20260301-0001；居民：张三；金额：¥12.10"
