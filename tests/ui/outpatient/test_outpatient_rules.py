"""门诊收费: coverage warnings, refused quantities and agents, the chronic pool, Esc/Del, 补打 and
处方笺, and the same-day reversal rule — each through the page, checked in the SQLite file."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication

from op_keys import (
    OFFSCREEN_POPUP_NOISE, UNTIL_MS, add_drug, pdf_text, pick_resident, press, settle, type_text, wait_preview,
)
from op_seed import settle_visit
from ui import errors
from ui.dialogs.reversal import ReversalDialog

from app.domain import clock

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def test_unenrolled_resident_is_red_at_once_and_pays_everything(qtbot, doctor_window, db) -> None:
    window, page = doctor_window("outpatient")
    pick_resident(qtbot, page, "ls")
    assert page.header.resident.name == "李四"
    assert page.header.warning.isVisible() and "未参保" in page.header.warning.text()
    assert "background: #c62828" in page.header.styleSheet() or page.header.warning.objectName() == "coverageWarning"
    add_drug(qtbot, page, "bhsa")
    split = wait_preview(qtbot, page).split
    assert not split.eligible and split.fund_fen == 0 and split.general_fee_fund_fen == 0
    assert page.split.values["fund"].text() == "0.00" and page.split.note.property("problem") is True
    assert page.split.cash.text() == f"¥{split.total_fen / 100:.2f}"
    press(Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: page.prints.last is not None, timeout=UNTIL_MS)
    settle()
    assert db("SELECT eligible, fund_fen, self_paid_fen + self_funded_fen, total_fen FROM settlements") == [
        (0, 0, split.total_fen, split.total_fen)]


def test_bad_quantity_is_explained_and_the_cell_stays_open(qtbot, doctor_window, db) -> None:
    window, page = doctor_window("outpatient")
    pick_resident(qtbot, page, "zs")
    add_drug(qtbot, page, "bhsa")
    press(Qt.Key.Key_Tab)
    type_text("2袋")
    press(Qt.Key.Key_Return)
    settle()
    message = page.rx.message
    assert message.isVisible() and "第1行“苯磺酸氨氯地平片”数量" in message.text() and "“袋”不对" in message.text()
    assert page.rx.model.lines[0].quantity_units == 28  # unchanged
    assert page.rx.table.state() == QAbstractItemView.State.EditingState  # retype at once
    press(Qt.Key.Key_Escape)  # closes the editor only
    settle()
    assert page.rx.model.rowCount() == 1 and page.rx.table.state() != QAbstractItemView.State.EditingState

    # more than the shelf holds (84 tablets = 3 packs): red in the batch column, refused at F9
    page.rx.table.setFocus()
    type_text("4")
    press(Qt.Key.Key_Return)
    settle()
    assert page.rx.model.lines[0].quantity_units == 112
    assert "库存不足" in page.rx.model.lines[0].batch_text(page.rx.model.today)
    assert "库存不足" in message.text()
    press(Qt.Key.Key_F9)
    settle()
    boxes = [b for b in errors.open_boxes() if b.objectName() == "errorBox"]
    assert boxes and "库存不足" in boxes[-1].text()
    assert db("SELECT count(*) FROM settlements") == [(0,)] and db("SELECT count(*) FROM visits") == [(0,)]


def test_agent_id_is_checked_and_a_bad_one_is_refused(qtbot, doctor_window, db) -> None:
    window, page = doctor_window("outpatient")
    pick_resident(qtbot, page, "zs")
    add_drug(qtbot, page, "wssc")
    page.header.agent_check.setFocus()
    press(Qt.Key.Key_Space)
    assert page.header.agent_name.isVisible() and QApplication.focusWidget() is page.header.agent_name
    type_text("张小三")
    press(Qt.Key.Key_Tab)
    type_text("410102199001011231")  # wrong check digit
    assert "校验位" in page.header.agent_info.toolTip()
    press(Qt.Key.Key_F9)
    settle()
    boxes = [b for b in errors.open_boxes() if b.objectName() == "errorBox"]
    assert boxes and "代办人身份证号" in boxes[-1].text()
    assert db("SELECT count(*) FROM settlements") == [(0,)]


def test_qualified_chronic_diagnosis_settles_in_its_pool(qtbot, doctor_window, db) -> None:
    window, page = doctor_window("outpatient")
    pick_resident(qtbot, page, "ww")
    assert page.header.chronic.isEnabled() and page.header.chronic.count() == 2
    type_text("I10")
    press(Qt.Key.Key_Return)
    assert page.header.chronic_code() == "I10"  # picked by the diagnosis code
    add_drug(qtbot, page, "bhsa")
    wait_preview(qtbot, page, lambda p: p.pool == "I10")
    assert "高血压" in page.split.note.text()
    press(Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: page.prints.last is not None, timeout=UNTIL_MS)
    settle()
    assert db("SELECT pool FROM settlements") == [("I10",)]
    assert db("SELECT chronic_code, diagnosis_code FROM visits") == [("I10", "I10")]


def test_del_removes_a_line_and_esc_twice_clears(qtbot, doctor_window) -> None:
    window, page = doctor_window("outpatient")
    pick_resident(qtbot, page, "zs")
    add_drug(qtbot, page, "bhsa")
    add_drug(qtbot, page, "wssc")
    page.rx.table.setFocus()
    page.rx.table.setCurrentIndex(page.rx.model.index(0, page.rx.model.QTY))
    press(Qt.Key.Key_Delete)
    assert [line.drug.generic_name for line in page.rx.model.lines] == ["维生素C片"]
    press(Qt.Key.Key_Escape)
    assert page.rx.model.rowCount() == 1 and "再按一次 Esc" in page.banner.text()
    press(Qt.Key.Key_Escape)
    assert page.rx.model.rowCount() == 0 and page.header.resident is None
    assert QApplication.focusWidget() is page.header.resident_box


def test_reprint_is_marked_and_prescription_prints(qtbot, doctor_window, clinic) -> None:
    data, seeded = clinic
    info = settle_visit(data, seeded)
    window, page = doctor_window("outpatient")
    assert page.today.current() is not None and page.today.current().id == info.id
    press(Qt.Key.Key_F6)  # 补打: the first print was never made, so this one is the original
    qtbot.waitUntil(lambda: page.prints.last is not None, timeout=UNTIL_MS)
    first = page.prints.last
    press(Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: page.prints.last is not first, timeout=UNTIL_MS)
    assert "补打" not in pdf_text(first.path) and "补打" in pdf_text(page.prints.last.path)
    assert "补打" in page.prints.last.path.name
    second = page.prints.last
    press(Qt.Key.Key_F4)
    qtbot.waitUntil(lambda: page.prints.last is not second, timeout=UNTIL_MS)
    rx = pdf_text(page.prints.last.path)
    assert "Rp." in rx and "阿莫西林胶囊" in rx and "口服 每日3次 每次1粒" in rx and info.receipt_no in rx


def test_a_doctor_cannot_reverse_an_earlier_day(qtbot, doctor_window, clinic, db) -> None:
    data, seeded = clinic
    yesterday = clock.now().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    info = settle_visit(data, seeded, at=yesterday)
    window, page = doctor_window("outpatient")
    assert page.today.model.rowCount() == 0  # not today's
    dialog = ReversalDialog(window.ctx.sv, info, page)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.reason.setText("收费有误")
    dialog.submit()
    settle()
    assert dialog.error.isVisible() and "村医只能冲正当天的结算" in dialog.error.text()
    assert dialog.confirm.isEnabled() and dialog.isVisible()
    assert db("SELECT count(*) FROM reversals") == [(0,)]


def test_unknown_id_then_ctrl_n_creates_and_picks_the_resident(qtbot, doctor_window, db) -> None:
    from op_seed import id_number

    window, page = doctor_window("outpatient")
    number = id_number("19880808", "372")
    type_text(number)  # a scanner: the number and Enter
    press(Qt.Key.Key_Return)
    settle()
    assert page.header.resident is None and "没有找到" in page.banner.text() and "Ctrl+N" in page.banner.text()
    press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.dialog
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=UNTIL_MS)
    assert dialog.id_edit.text() == number and dialog.id_info.property("ok") is True
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.name_edit, timeout=UNTIL_MS)
    type_text("孙七")
    press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.header.coverage is not None, timeout=UNTIL_MS)
    assert page.header.resident.name == "孙七" and "未参保" in page.header.warning.text()
    assert db("SELECT name FROM residents WHERE id_number = ?", (number,)) == [("孙七",)]


def test_usage_by_keyboard_general_fee_toggle_and_ctrl_enter(qtbot, doctor_window, db) -> None:
    window, page = doctor_window("outpatient")
    pick_resident(qtbot, page, "zs")
    add_drug(qtbot, page, "amxl")
    press(Qt.Key.Key_Tab)
    type_text("12粒")
    press(Qt.Key.Key_Tab)  # from 数量 on to 用法用量
    settle()
    assert page.rx.table.state() == QAbstractItemView.State.EditingState
    assert page.rx.table.currentIndex().column() == page.rx.model.USAGE
    type_text("po tid 1#")
    press(Qt.Key.Key_Return)
    settle()
    assert QApplication.focusWidget() is page.rx.drug_box
    assert (page.rx.model.lines[0].quantity_units, page.rx.model.lines[0].usage) == (12, "po tid 1#")
    with_fee = wait_preview(qtbot, page).split.total_fen
    page.general_fee.setFocus()
    press(Qt.Key.Key_Space)  # 一般诊疗费 off: the split follows
    assert wait_preview(qtbot, page).split.total_fen == with_fee - 1000
    page.rx.focus_drug_box()
    press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.prints.last is not None, timeout=UNTIL_MS)
    settle()
    assert db("SELECT total_fen, general_fee_fen FROM settlements") == [(with_fee - 1000, 0)]
    assert db("SELECT quantity_units, usage FROM prescription_lines") == [(12, "po tid 1#")]
