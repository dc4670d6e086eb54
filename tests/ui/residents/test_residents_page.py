"""居民档案: search, the resident dialog's live ID check, refusal of a bad ID, a new resident with an
enrollment year, the namesake warning, and editing — checked in the SQLite file."""

from __future__ import annotations

from datetime import timedelta

import pytest
import shiboken6
from op_keys import OFFSCREEN_POPUP_NOISE, UNTIL_MS, press, settle, type_text
from op_seed import id_number
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.domain import clock
from ui import errors

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def _closed(dialog) -> bool:  # noqa: ANN001
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def _new_dialog(qtbot, page):  # noqa: ANN001, ANN202
    page.focus_first()
    press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=UNTIL_MS)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.id_edit, timeout=UNTIL_MS)
    return dialog


def test_search_by_pinyin_shows_the_resident_and_coverage(qtbot, doctor_window, artifact) -> None:
    window, page = doctor_window("residents")
    assert QApplication.focusWidget() is page.search
    type_text("zs")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=UNTIL_MS)
    settle()
    assert page.model.resident(0).name == "张三"
    assert page.model.data(page.model.index(0, 5)) == "已参保"
    qtbot.waitUntil(lambda: "统筹额度" in page.card.body.text(), timeout=UNTIL_MS)
    assert "已参保" in page.card.body.text() and "示例村3组12号" in page.card.body.text()
    page.search.clear()
    type_text("ls")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.model.resident(0).name == "李四", timeout=UNTIL_MS)
    assert page.model.data(page.model.index(0, 5)) == "未参保"
    qtbot.waitUntil(lambda: "未参保" in page.card.body.text(), timeout=UNTIL_MS)
    artifact(window, "residents-search")


def test_dialog_rejects_an_invalid_id_and_writes_nothing(qtbot, doctor_window, db) -> None:
    window, page = doctor_window("residents")
    count = db("SELECT count(*) FROM residents")
    dialog = _new_dialog(qtbot, page)
    bad = id_number("19800204", "246")[:-1] + ("0" if id_number("19800204", "246")[-1] != "0" else "1")
    type_text(bad)
    assert dialog.id_info.property("ok") is False and "校验位" in dialog.id_info.text()
    press(Qt.Key.Key_Tab)
    type_text("赵六")
    press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    settle()
    assert dialog.isVisible() and dialog.error.isVisible() and "校验位不对" in dialog.error.text()
    assert QApplication.focusWidget() is dialog.id_edit
    assert db("SELECT count(*) FROM residents") == count


def test_new_resident_with_sex_and_birth_from_the_id(qtbot, doctor_window, db, artifact) -> None:
    window, page = doctor_window("residents")
    dialog = _new_dialog(qtbot, page)
    number = id_number("19800204", "246")  # even sequence: female
    type_text(number)
    assert dialog.id_info.property("ok") is True
    assert "女" in dialog.id_info.text() and "1980-02-04" in dialog.id_info.text() and "河南" in dialog.id_info.text()
    press(Qt.Key.Key_Tab)
    type_text("赵六")
    press(Qt.Key.Key_Tab)
    type_text("138 0013 8000")
    assert "13800138000" in dialog.phone_info.text()
    dialog.address_edit.setText("示例县示例镇示例村2组8号")
    dialog.add_enrollment()
    artifact(dialog, "resident-dialog-new")
    press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    settle()
    assert _closed(dialog)
    rows = db("SELECT name, sex, birth_date, phone, household_id IS NOT NULL FROM residents WHERE id_number = ?", (number,))
    assert rows == [("赵六", "F", "1980-02-04", "13800138000", 1)]
    assert db("SELECT year FROM enrollments e JOIN residents r ON r.id = e.resident_id WHERE r.id_number = ?",
              (number,)) == [(clock.today().year,)]
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.model.resident(0).id_number == number, timeout=UNTIL_MS)


def test_same_name_and_birth_is_warned_before_and_after_saving(qtbot, doctor_window, db) -> None:
    window, page = doctor_window("residents")
    dialog = _new_dialog(qtbot, page)
    type_text(id_number("19590312", "359"))  # 张三's birth date, another person
    press(Qt.Key.Key_Tab)
    type_text("张三")
    qtbot.waitUntil(lambda: dialog.namesake.isVisible(), timeout=UNTIL_MS)
    assert "同名且出生日期相同" in dialog.namesake.text()
    press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    settle()
    assert _closed(dialog)
    boxes = [b for b in errors.open_boxes() if b.objectName() == "infoBox"]
    assert boxes and "同名且出生日期相同" in boxes[-1].text()
    assert db("SELECT count(*) FROM residents WHERE name = '张三'") == [(2,)]


def test_enter_edits_the_selected_resident(qtbot, doctor_window, db) -> None:
    window, page = doctor_window("residents")
    type_text("zs")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=UNTIL_MS)
    press(Qt.Key.Key_Down)
    assert QApplication.focusWidget() is page.table
    press(Qt.Key.Key_Return)
    dialog = page.dialog
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=UNTIL_MS)
    assert dialog.name_edit.text() == "张三" and dialog.enrollments.rowCount() == 2
    dialog.phone_edit.setText("0371-12345678")
    dialog.assistance.setCurrentIndex(dialog.assistance.findData("dibao"))
    dialog.save()
    settle()
    assert db("SELECT phone, assistance_category FROM residents WHERE name = '张三'") == [("0371-12345678", "dibao")]


def test_join_a_household_found_by_its_head(qtbot, doctor_window, db) -> None:
    window, page = doctor_window("residents")
    dialog = _new_dialog(qtbot, page)
    number = id_number("19620415", "248")
    type_text(number)
    press(Qt.Key.Key_Tab)
    type_text("周八")
    dialog.household_mode.setCurrentIndex(dialog.household_mode.findData("join"))
    assert dialog.head_box.isVisible() and dialog.relation.isEnabled()
    dialog.save()  # no head chosen yet: refused in the dialog
    assert "请先在户主栏" in dialog.error.text() and QApplication.focusWidget() is dialog.head_box
    type_text("zs")
    qtbot.waitUntil(lambda: dialog.head_box.popup_visible(), timeout=UNTIL_MS)
    press(Qt.Key.Key_Return)
    assert dialog.household_head is not None and dialog.household_head.name == "张三"
    assert dialog.relation.currentText() == "配偶" and "张三" in dialog.head_label.text()
    dialog.save()
    settle()
    assert _closed(dialog)
    head, member = (db("SELECT household_id, relation_to_head FROM residents WHERE name = ?", (n,))[0] for n in ("张三", "周八"))
    assert member == (head[0], "配偶")


def test_the_list_shows_a_waiting_period_as_the_outpatient_header_does(qtbot, doctor_window, clinic) -> None:
    from app.bootstrap import bootstrap
    from app.domain import clock
    from app.services.residents.types import EnrollmentRecord, ResidentForm

    data, _ = clinic
    today = clock.today()
    sv = bootstrap(data)
    try:
        sv.identity.sign_in("doctor", "secret123")
        # first enrollment, paid outside the central period: a 3-month waiting period from the payment
        late = EnrollmentRecord(today.year, today - timedelta(days=10), central_period=False)
        resident = sv.residents.create(ResidentForm(
            id_number=id_number("19800517", "371"), name="孙七", address="示例县示例镇示例村2组5号",
            enrollments=(late,))).resident
        header = sv.residents.coverage(resident.id, today)
    finally:
        sv.close()
    assert header.warning.startswith("等待期至")  # what 门诊收费 shows in red

    window, page = doctor_window("residents")
    type_text("sq")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.model.resident(0).name == "孙七", timeout=UNTIL_MS)
    cell = page.model.index(0, page.model.ENROLLED)
    assert page.model.data(cell) == header.warning
    assert page.model.data(cell, Qt.ItemDataRole.ForegroundRole).name() == "#b3261e"
    qtbot.waitUntil(lambda: header.warning in page.card.body.text(), timeout=UNTIL_MS)

    page.search.setFocus()  # the site's list (paged) says the same
    press(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    press(Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: page.model.is_listing() and page.model.row_of(resident.id) >= 0, timeout=UNTIL_MS)
    assert page.model.data(page.model.index(page.model.row_of(resident.id), page.model.ENROLLED)) == header.warning
