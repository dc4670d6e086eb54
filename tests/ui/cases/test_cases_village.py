"""帮办代办 at a village: 受理 with bad input refused (the field named, nothing written), the 受理回执 and
一次性告知单 printed and read back, the timeline, the filters and search, the 工作台 tiles."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
import shiboken6
from cases_ui import add_residents
from op_keys import OFFSCREEN_POPUP_NOISE, press, settle
from PySide6.QtCore import Qt

from app.bootstrap import bootstrap
from app.domain.enums import CaseType
from app.services.cases.types import CaseForm
from ui.workers import wait_idle

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def _text(path) -> str:  # noqa: ANN001
    return " ".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def _village(make_site, password):  # noqa: ANN001, ANN202
    data = make_site("village")
    sv = bootstrap(data)
    try:
        sv.identity.sign_in("admin", password)
        ids = add_residents(sv)
        sv.settings.set("printer_name", "PDF")
    finally:
        sv.close()
    return data, ids


def _pick(qtbot, dialog, text: str) -> None:  # noqa: ANN001
    dialog.resident_box.setFocus()
    qtbot.keyClicks(dialog.resident_box, text)
    dialog.resident_box.search_now()
    assert wait_idle()
    qtbot.keyClick(dialog.resident_box, Qt.Key.Key_Return)
    assert wait_idle()
    assert dialog.resident is not None


def test_a_village_opens_a_case_prints_its_papers_and_follows_it(open_window, make_site, password, qtbot,
                                                                artifact) -> None:
    data, ids = _village(make_site, password)
    window = open_window("village", "doctor", data=data)
    window.activateWindow()
    window.go("cases")
    settle()
    page = window.pages["cases"]
    assert page.count_label.text() == "没有符合条件的事项，Ctrl+N 受理"
    assert not page.village_filter.isVisible()
    artifact(window, "cases-village-empty")

    page.focus_first()
    press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    settle()
    dialog = page.dialog
    assert dialog is not None and dialog.isVisible()
    # no resident yet
    dialog.submit()
    assert "请先选择居民" in dialog.error.text()
    _pick(qtbot, dialog, "wxy")
    assert dialog.resident.name == "王秀英"
    # 家庭共济 for a neighbour: refused with the reason, the relation field focused
    dialog.type_box.setCurrentIndex(dialog.type_box.findData(CaseType.FAMILY_ACCOUNT.value))
    dialog.agent_name.setText("李明")
    dialog.agent_id.setText("410102198001010018")
    dialog.agent_relation.setCurrentText("邻居")
    dialog.submit()
    assert wait_idle()
    assert "近亲属" in dialog.error.text() and "“邻居”不是近亲属" in dialog.error.text()
    assert dialog.agent_relation.hasFocus()
    # a bad agent ID number names its field
    dialog.type_box.setCurrentIndex(dialog.type_box.findData(CaseType.MANUAL_REIMBURSEMENT.value))
    dialog.agent_relation.setCurrentText("子女")
    dialog.agent_id.setText("41010219800101")
    dialog.submit()
    assert wait_idle()
    assert "代办人身份证号" in dialog.error.text() and dialog.agent_id.hasFocus()
    assert window.ctx.sv.cases.list() == []  # nothing written
    # now right: the son files 零星报销, two items collected, the papers printed
    dialog.agent_id.setText("410102198001010018")
    assert [b.text() for b in dialog.checklist.boxes] == ["身份证件或医保电子凭证或社保卡", "医疗机构收费票据",
                                                          "门诊急诊费用清单", "处方底方"]
    dialog.checklist.boxes[0].setChecked(True)
    dialog.checklist.boxes[1].setChecked(True)
    dialog.phone.setText("0371-5550123")
    artifact(dialog, "cases-village-open-dialog")
    dialog.submit()
    assert wait_idle() and wait_idle()
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
    [case] = window.ctx.sv.cases.list()
    assert (case.resident_name, case.agent_name, case.collected) == ("王秀英", "李明", ("身份证件或医保电子凭证或社保卡",
                                                                                       "医疗机构收费票据"))
    ack, notice = page.printed[-2:]
    ack_text, notice_text = _text(ack.path), _text(notice.path)
    for words in ("帮办代办受理回执", case.case_no, "零星报销", "受理日期： 2026年6月15日",
                  f"办结时限： {case.due_on.year}年{case.due_on.month}月{case.due_on.day}日前（30 个工作日）",
                  "负责人： 张医生", "联系电话： 0371-5550123"):
        assert words in ack_text, words
    assert "一次性告知单" in notice_text and "尚缺 2 项材料" in notice_text and "✓" in notice_text
    # the list and the detail: names, the timeline with user and time
    assert page.model.rowCount() == 1
    assert page.model.index(0, page.model.column_of("居民")).data() == "王秀英（代办：李明）"
    assert page.detail.case.id == case.id
    assert "已受理" in page.detail.timeline.text() and "张医生" in page.detail.timeline.text()
    assert not page.detail.buttons["resubmit"].isEnabled() and page.detail.buttons["ack"].isEnabled()
    assert "待补" in page.detail.checklist.text()
    artifact(window, "cases-village-list")

    # a second case, older and overdue; the filters and the search
    sv = window.ctx.sv
    sv.cases.open(CaseForm(ids["李桂兰"], CaseType.REMOTE_CARE_FILING, accepted_on=date(2026, 6, 1)))
    page.refresh()
    assert wait_idle()
    assert page.model.rowCount() == 2 and "超期 1 件" in page.count_label.text()
    page.open_target("overdue")
    assert wait_idle()
    assert [c.resident_name for c in page.model.rows()] == ["李桂兰"]
    page.open_target("due_soon")
    assert wait_idle()
    assert page.model.rowCount() == 0
    page.due_filter.setCurrentIndex(0)
    assert wait_idle()
    page.search.setText("lgl")
    page.load_list()
    assert wait_idle()
    assert [c.resident_name for c in page.model.rows()] == ["李桂兰"]
    page.search.setText("")
    page.type_filter.setCurrentIndex(page.type_filter.findData(CaseType.MANUAL_REIMBURSEMENT.value))
    assert wait_idle()
    assert [c.resident_name for c in page.model.rows()] == ["王秀英"]

    # the 工作台 tile of overdue cases opens that list
    window.go("dashboard")
    dashboard = window.current_page()
    dashboard.refresh()
    settle()
    shown = {w.tile.key: w for w in dashboard.grid.tiles}
    assert shown["cases.overdue"].figure_label.text() == "1 件"
    assert shown["cases.due_soon"].figure_label.text() == "0 件"
    artifact(window, "cases-village-dashboard")
    tile = shown["cases.overdue"]
    tile.setFocus()
    qtbot.keyClick(tile, Qt.Key.Key_Return)
    settle()
    assert window.current_page() is page and page.due_filter.currentData() == "overdue"
    assert [c.resident_name for c in page.model.rows()] == ["李桂兰"]
    page.tabs.setCurrentIndex(1)
    assert wait_idle()
    assert page.counts_label.text() == "2026 年共受理 2 件"
    artifact(window, "cases-village-counts")


def test_the_township_inbox_has_no_受理_and_tiles_follow_the_area(open_window, make_site, qtbot, artifact) -> None:
    from app.domain.enums import Role, SiteKind
    from ui.pages.cases.tiles import cases_tiles
    from ui.tiles import TileScope

    window = open_window("township", "caseworker")
    window.activateWindow()
    window.go("cases")
    settle()
    page = window.pages["cases"]
    assert not page.new_button.isVisible() and page.village_filter.isVisible()
    assert page.count_label.text() == "没有符合条件的事项"
    assert page.model.COLUMNS[1] == "村卫生室"
    assert [b.text() for b in page.detail.buttons.values()] == ["报送", "退回补件", "办结", "不予办理"]
    page.focus_first()
    press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # no 受理 at the township
    settle()
    assert page.dialog is None
    press(Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    settle()
    assert page.tabs.currentIndex() == 1 and page.counts_label.text() == "这一年还没有受理事项"
    artifact(window, "cases-township-empty")
    sv = window.ctx.sv
    scope = TileScope(Role.CASE_WORKER, SiteKind.TOWNSHIP, date(2026, 6, 15), frozenset({"dashboard", "cases"}))
    assert [(t.key, t.figure, t.target) for t in cases_tiles(sv, scope)] == [
        ("cases.overdue", "0 件", "overdue"), ("cases.due_soon", "0 件", "due_soon")]
    assert cases_tiles(sv, TileScope(Role.CASE_WORKER, SiteKind.TOWNSHIP, date(2026, 6, 15),
                                     frozenset({"dashboard"}))) == []


def test_the_papers_phone_is_the_clinics_own_until_one_is_typed_here(qapp, clinic) -> None:  # noqa: ANN001
    """The 受理 dialog's 联系电话 starts as the clinic's phone from its site row; a number typed on this
    computer is kept and used from then on."""
    import sqlite3
    from contextlib import closing

    from PySide6.QtCore import QSettings

    from app.bootstrap import bootstrap
    from ui.pages.cases.dialogs import PHONE_SETTING, saved_phone

    data, _ = clinic
    with closing(sqlite3.connect(data / "cunyi.db")) as con, con:
        con.execute("UPDATE sites SET phone = '0376-8562001' WHERE id = (SELECT site_id FROM local_site)")
    sv = bootstrap(data, backup_before_migrate=False)
    try:
        assert sv.identity.local_site().phone == "0376-8562001"
    finally:
        sv.close()
    settings = QSettings()
    settings.remove(PHONE_SETTING)
    try:
        assert saved_phone("0376-8562001") == "0376-8562001"
        settings.setValue(PHONE_SETTING, "0371-5550123")
        assert saved_phone("0376-8562001") == "0371-5550123"
    finally:
        settings.remove(PHONE_SETTING)
