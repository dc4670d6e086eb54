"""门诊收费 by the keyboard: 用法用量 after 数量 (prefilled by route, never empty on a 处方笺), quantity
messages that say what is wrong and what is accepted, stock said in packs, and Tab/F9 on the page."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication

from op_keys import OFFSCREEN_POPUP_NOISE, UNTIL_MS, add_drug, pick_resident, press, settle, type_text, wait_preview
from op_seed import settle_visit
from ui import errors

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def _error_box():  # noqa: ANN202
    boxes = [b for b in errors.open_boxes() if b.objectName() == "errorBox"]
    return boxes[-1] if boxes else None


def _enter_in_usage() -> None:
    """Enter in the 用法用量 editor; while its completions list is open, the list has the keyboard."""
    editor = QApplication.focusWidget()
    popup = editor.completer().popup() if editor.completer() is not None else None
    QTest.keyClick(popup if popup is not None and popup.isVisible() else editor, Qt.Key.Key_Return)


def _editing(page, column: int) -> bool:  # noqa: ANN001
    table = page.rx.table
    return table.state() == QAbstractItemView.State.EditingState and table.currentIndex().column() == column


def test_usage_follows_the_quantity_and_an_empty_one_is_refused(qtbot, doctor_window, db) -> None:
    window, page = doctor_window("outpatient")
    model = page.rx.model
    pick_resident(qtbot, page, "zs")
    add_drug(qtbot, page, "amxl")
    press(Qt.Key.Key_Tab)
    type_text("12粒")
    press(Qt.Key.Key_Return)  # Enter after 数量 goes on to 用法用量, prefilled with the capsule's usual usage
    settle()
    assert _editing(page, model.USAGE)
    editor = QApplication.focusWidget()
    assert editor.text() == "口服 每日3次 每次1粒"
    press(Qt.Key.Key_Backspace)  # the text is selected: one key empties it, and the usual usages drop down
    popup = editor.completer().popup()
    assert popup.isVisible()
    QTest.keyClick(popup, Qt.Key.Key_Return)  # the open list has the keyboard: Enter still ends the line
    settle()
    assert QApplication.focusWidget() is page.rx.drug_box
    assert model.lines[0].usage == "" and model.data(model.index(0, model.USAGE)) == "（请填写用法用量）"
    assert model.data(model.index(0, model.USAGE), Qt.ItemDataRole.ForegroundRole).name() == "#b3261e"

    press(Qt.Key.Key_F9)  # refused: the line and the field are named, nothing is written
    settle()
    box = _error_box()
    assert box is not None and "第1行“阿莫西林胶囊”用法用量为空：请写明用法、次数和每次用量" in box.text()
    assert db("SELECT count(*) FROM visits") == [(0,)] and db("SELECT count(*) FROM settlements") == [(0,)]
    assert page.rx.table.currentIndex() == model.index(0, model.USAGE)
    press(Qt.Key.Key_Return)  # closes the message
    settle()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.rx.table, timeout=UNTIL_MS)

    press(Qt.Key.Key_Return)  # edit the named cell, write the usage, settle
    settle()
    assert _editing(page, model.USAGE)
    type_text("口服 每日3次 每次2粒")
    _enter_in_usage()
    settle()
    assert QApplication.focusWidget() is page.rx.drug_box
    press(Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: page.prints.last is not None, timeout=UNTIL_MS)
    settle()
    assert db("SELECT usage FROM prescription_lines") == [("口服 每日3次 每次2粒",)]
    receipt = page.prints.last
    window.activateWindow()  # as the window manager does after the busy dialog of a slow settle
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.header.resident_box, timeout=UNTIL_MS)
    press(Qt.Key.Key_F4)  # the 处方笺 of the settlement just made
    qtbot.waitUntil(lambda: page.prints.last is not receipt, timeout=UNTIL_MS)
    text = subprocess.run(["pdftotext", "-layout", str(page.prints.last.path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "用法用量：口服 每日3次 每次2粒" in text and "遵医嘱" not in text


def test_a_prescription_with_an_empty_usage_is_not_printed(qtbot, doctor_window, clinic) -> None:
    data, seeded = clinic
    info = settle_visit(data, seeded)
    con = sqlite3.connect(data / "cunyi.db")  # a visit saved before a usage was required
    with con:  # lines are final: their guard is lifted for this change (start-up puts it back)
        con.execute("DROP TRIGGER append_only_update_prescription_lines")
        con.execute("UPDATE prescription_lines SET usage = ''")
    con.close()
    window, page = doctor_window("outpatient")
    assert page.today.current() is not None and page.today.current().id == info.id
    press(Qt.Key.Key_F4)
    qtbot.waitUntil(lambda: _error_box() is not None, timeout=UNTIL_MS)
    text = _error_box().text()
    assert "处方笺不能打印" in text and "第1行“阿莫西林胶囊”用法用量为空" in text
    assert page.prints.last is None


def test_bad_quantities_say_what_is_wrong_and_what_is_accepted(qtbot, doctor_window) -> None:
    window, page = doctor_window("outpatient")
    model = page.rx.model
    pick_resident(qtbot, page, "zs")
    add_drug(qtbot, page, "amxl")
    press(Qt.Key.Key_Tab)
    accepted = "请输入整数，如 2 或 14粒（2 即 2盒）"
    messages = []
    for typed, problem in (("1.5", "“1.5”是小数"), ("-2", "“-2”是负数"), ("abc", "“abc”里没有数字")):
        type_text(typed)  # the cell reopens with its text selected: typing replaces it
        press(Qt.Key.Key_Return)
        settle()
        message = page.rx.message.text()
        messages.append(message)
        assert page.rx.message.isVisible() and f"第1行“阿莫西林胶囊”数量{problem}：{accepted}" in message, message
        assert "看不懂" not in message and "单位“.”" not in message
        assert _editing(page, model.QTY) and model.lines[0].quantity_units == 24
    assert messages[0].endswith("；1.5盒 即 36粒")  # what was probably meant, in capsules
    type_text("14粒")
    press(Qt.Key.Key_Return)
    settle()
    assert model.lines[0].quantity_units == 14 and _editing(page, model.USAGE)
    assert not page.rx.message.isVisible()


def test_a_line_over_stock_is_said_in_packs_and_the_split_shows_no_cash(qtbot, doctor_window, db) -> None:
    window, page = doctor_window("outpatient")
    model = page.rx.model
    pick_resident(qtbot, page, "zs")
    add_drug(qtbot, page, "bhsa")  # 84 tablets on the shelf: 3 boxes of 28
    for typed, need in (("999", "999盒"), ("100片", "3盒16片")):
        page.rx.table.setFocus()
        page.rx.table.setCurrentIndex(model.index(0, model.QTY))
        type_text(typed)
        press(Qt.Key.Key_Return)
        settle()
        press(Qt.Key.Key_Return)  # keep the usage
        settle()
        shortage = f"库存不足，需要 {need}，可用（未过期）只有 3盒"
        assert shortage in page.rx.message.text() and "84" not in page.rx.message.text()
        wait_preview(qtbot, page, lambda p, n=model.lines[0].quantity_units: p.lines[0].quantity_units == n)
        assert page.split.cash.text() == "不能结算" and page.split.cash_fen() is None
        assert shortage in page.split.note.text() and page.split.note.property("problem") is True
    press(Qt.Key.Key_F9)
    settle()
    assert "需要 3盒16片" in _error_box().text()
    assert db("SELECT count(*) FROM settlements") == [(0,)]
    _error_box().accept()
    settle()
    window.activateWindow()  # the offscreen platform gives the focus back after the message only so
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=UNTIL_MS)

    page.rx.table.setFocus()  # back within stock: the cash to collect is shown again
    page.rx.table.setCurrentIndex(model.index(0, model.QTY))
    type_text("2")
    press(Qt.Key.Key_Return)
    settle()
    preview = wait_preview(qtbot, page, lambda p: p.lines[0].quantity_units == 56)
    assert page.split.cash.text() == f"¥{(preview.split.self_paid_fen + preview.split.self_funded_fen) / 100:.2f}"
    assert page.split.cash_fen() is not None and "库存" not in page.split.note.text()


def test_tab_follows_the_screen_and_f9_works_anywhere_on_the_page(qtbot, doctor_window, clinic) -> None:
    data, seeded = clinic
    settle_visit(data, seeded)  # a row in 今日结算: its buttons are enabled
    window, page = doctor_window("outpatient")
    h, t = page.header, page.today
    page.focus_first()
    order = []
    for _ in range(30):
        order.append(QApplication.focusWidget())
        press(Qt.Key.Key_Tab)
        if QApplication.focusWidget() is h.resident_box:
            break
    on_page = [w for w in order if page.isAncestorOf(w)]
    assert on_page[:7] == [h.resident_box, h.diagnosis, page.rx.drug_box, page.rx.table, page.general_fee,
                           page.settle_button, page.clear_button]
    assert t.table in on_page and on_page.index(t.table) > on_page.index(h.agent_check)
    for widget in (t.date_edit, t.previous_button, t.next_button, t.today_button):
        assert widget not in order and not widget.isAncestorOf(order[-1])
    press(Qt.Key.Key_Backtab)  # and back
    assert QApplication.focusWidget() is order[-1]

    for widget in (h.diagnosis, page.rx.table, page.general_fee, t.table, t.date_edit, window.nav):
        page.banner.hide()
        widget.setFocus()
        settle()
        assert QApplication.focusWidget() is widget
        press(Qt.Key.Key_F9)  # no resident yet: settling asks for one, whatever had the focus
        settle()
        assert page.banner.isVisible() and "请先查找并选择参保人" in page.banner.text(), widget
        assert QApplication.focusWidget() is h.resident_box
