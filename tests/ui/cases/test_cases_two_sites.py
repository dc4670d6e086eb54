"""帮办代办 across two sites with a REAL hub on loopback, in the order of issue 13's acceptance:
(1) the village opens a case and prints the 受理回执 (its PDF text checked); (2) sync; (3) the township
returns the case for material (after refusing a return naming nothing and a rejection without a reason);
(4) the village sees the return and resubmits; (5) the township approves, and both sides show 已办结.
Along the way a photo of the receipt the village attached opens at the township after sync, the same bytes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import shiboken6
from cases_ui import add_residents
from op_keys import OFFSCREEN_POPUP_NOISE, press, settle
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from site_harness import PASSWORD as JOIN_PASSWORD

from app.db import blobs
from app.domain.enums import CaseStatus
from ui.app import create_main_window
from ui.workers import wait_idle

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def _text(path) -> str:  # noqa: ANN001
    return " ".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def _window(qtbot, data, username):  # noqa: ANN001, ANN202
    window = create_main_window(data, username, JOIN_PASSWORD)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    assert wait_idle()
    window.go("cases")
    settle()
    return window, window.pages["cases"]


def _sync(window) -> None:  # noqa: ANN001
    assert window.ctx.background_sync.start()
    assert window.ctx.background_sync.wait() and wait_idle()
    window.pages["cases"].refresh()
    settle()


def _closed(dialog) -> bool:  # noqa: ANN001
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def _status(page) -> str:  # noqa: ANN001
    return page.model.index(0, page.model.column_of("办理状态")).data()


def test_a_case_goes_to_the_township_is_returned_resubmitted_and_done_on_both_screens(join_site, qtbot, artifact,
                                                                                      tmp_path, monkeypatch) -> None:
    township = join_site("township")
    village = join_site("village", township.site_id)
    with village.services() as sv:
        sv.users.create("doctor", "张医生", "village_doctor", JOIN_PASSWORD)
        sv.settings.set("printer_name", "PDF")
        add_residents(sv)
    with township.services() as sv:
        sv.users.create("caseworker", "王专干", "case_worker", JOIN_PASSWORD)

    # (1) the village opens a case and prints the 受理回执
    vwin, vpage = _window(qtbot, village.data, "doctor")
    vpage.focus_first()
    press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    settle()
    dialog = vpage.dialog
    dialog.resident_box.setFocus()
    qtbot.keyClicks(dialog.resident_box, "wxy")
    dialog.resident_box.search_now()
    assert wait_idle()
    qtbot.keyClick(dialog.resident_box, Qt.Key.Key_Return)
    assert wait_idle() and dialog.resident is not None
    dialog.print_after.setChecked(False)  # the 回执 is printed from the page's button below
    for box in dialog.checklist.boxes[:3]:
        box.setChecked(True)  # 处方底方 not brought yet
    dialog.phone.setText("0371-5550123")
    dialog.submit()
    settle()
    assert _closed(dialog)
    [case] = vpage.model.rows()
    assert vpage.detail.case.id == case.id
    vpage.detail.buttons["ack"].click()
    settle()
    ack = _text(vpage.printed[-1].path)
    for words in ("帮办代办受理回执", f"事项编号： {case.case_no}", "办理事项： 零星报销", "受理日期： 2026年6月15日",
                  f"办结时限： {case.due_on.year}年{case.due_on.month}月{case.due_on.day}日前（30 个工作日）",
                  "负责人： 张医生", "联系电话： 0371-5550123", "王秀英"):
        assert words in ack, words
    # a phone photo of the receipt, attached (shrunk to 2000 px on its long side)
    photo = tmp_path / "收费票据.jpg"
    Image.new("RGB", (2400, 1800), (230, 225, 210)).save(photo, "JPEG", quality=95)
    vpage.add_attachment(photo)
    settle()
    [attached] = vpage.detail.attachments.rows
    stored = blobs.blob_path(village.data / "attachments", attached.sha256).read_bytes()
    assert attached.file_name == "收费票据.jpg" and len(stored) == attached.size
    opened: list[Path] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(Path(url.toLocalFile())) or True)

    # (2) sync: the village sends, the township fetches
    _sync(vwin)
    twin, tpage = _window(qtbot, township.data, "caseworker")
    _sync(twin)
    assert [(c.id, c.status) for c in tpage.model.rows()] == [(case.id, CaseStatus.ACCEPTED)]
    assert tpage.model.index(0, tpage.model.column_of("村卫生室")).data() == case.site_name
    assert tpage.village_filter.isVisible() and tpage.village_filter.findText(case.site_name) > 0
    assert not tpage.new_button.isVisible()
    assert tpage.detail.buttons["submit"].isEnabled() and not tpage.detail.buttons["approve"].isEnabled()
    artifact(twin, "cases-township-inbox")
    # the village's photo opens at the township, the very bytes the village stored; sync brought the file,
    # which is removed here so that opening it fetches it from the hub
    assert [a.attachment_id for a in tpage.detail.attachments.rows] == [attached.attachment_id]
    here = blobs.blob_path(township.data / "attachments", attached.sha256)
    assert here.read_bytes() == stored
    here.unlink()
    tpage.load_attachments()
    settle()
    assert not tpage.detail.attachments.rows[0].present
    tpage.detail.attachments.table.setFocus()
    press(Qt.Key.Key_Return)
    settle()
    assert not tpage.detail.attachments.error.isVisible(), tpage.detail.attachments.error.text()
    assert [p.name for p in opened] == ["收费票据.jpg"] and opened[0].read_bytes() == stored
    assert here.read_bytes() == stored and tpage.detail.attachments.rows[0].present
    artifact(twin, "cases-township-attachment")

    # (3) the township forwards, refuses a return naming nothing and a rejection without a reason, returns
    tpage.detail.buttons["submit"].click()
    step = tpage.dialog
    step.note.setPlainText("已报送县医保局")
    step.submit()
    settle()
    assert _closed(step) and tpage.detail.case.status is CaseStatus.SUBMITTED
    tpage.detail.buttons["reject"].click()
    step = tpage.dialog
    settle()
    assert step.note.hasFocus()
    press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter: 不予办理, with no reason
    assert step.error.text() == "请填写不予办理原因" and step.isVisible()
    step.reject()
    tpage.detail.buttons["return"].click()
    step = tpage.dialog
    assert step.checklist.ticked() == ("处方底方",)  # what the village has not collected, ticked already
    for box in step.checklist.boxes:
        box.setChecked(False)
    step.submit()
    settle()
    assert "请写明缺少哪些材料" in step.error.text() and step.isVisible()
    step.checklist.boxes[3].setChecked(True)
    step.note.setPlainText("请补处方底方原件")
    artifact(step, "cases-township-return-dialog")
    step.submit()
    settle()
    assert _closed(step) and _status(tpage) == "退回补件"
    _sync(twin)

    # (4) the village sees the return and resubmits
    _sync(vwin)
    assert _status(vpage) == "退回补件"
    timeline = vpage.detail.timeline.text()
    assert "缺少材料：处方底方" in timeline and "请补处方底方原件" in timeline and "王专干" in timeline
    assert vpage.detail.buttons["resubmit"].isEnabled()
    artifact(vwin, "cases-village-returned")
    vpage.detail.buttons["resubmit"].click()
    step = vpage.dialog
    assert set(step.checklist.ticked()) == set(case.checklist)  # the asked-for item ticked too
    step.note.setPlainText("已补处方底方")
    step.submit()
    settle()
    assert _closed(step) and _status(vpage) == "已报送"
    _sync(vwin)

    # (5) the township approves; both sides show 已办结
    _sync(twin)
    assert _status(tpage) == "已报送" and tpage.detail.case.collected == case.checklist
    tpage.detail.buttons["approve"].click()
    step = tpage.dialog
    step.note.setPlainText("已拨付")
    step.submit()
    settle()
    assert _closed(step)
    _sync(twin)
    _sync(vwin)
    for page in (tpage, vpage):
        assert _status(page) == "已办结"
        assert page.detail.case.status is CaseStatus.APPROVED
        assert [e.status_label for e in page.detail.case.events] == ["已受理", "已报送", "退回补件", "已报送", "已办结"]
        assert "已办结" in page.detail.status.text()
    assert not any(b.isEnabled() for k, b in tpage.detail.buttons.items())
    artifact(twin, "cases-township-done")
    artifact(vwin, "cases-village-done")
    for window in (twin, vwin):  # everything either side wrote has reached the hub, and the status bar says so
        assert window.ctx.sv.sync.status().pending == 0
        qtbot.waitUntil(lambda window=window: window.sync_label.text().startswith("已同步"), timeout=1_000)
