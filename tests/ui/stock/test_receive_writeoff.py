"""入库 and 报损/退回乡镇 through their forms and confirmation dialog, by keyboard; checked in the database."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from stock_ui import activate, settle

from app.domain.dates import parse_date
from app.domain.errors import ValidationError
from ui.dialogs.stock_confirm import ConfirmDialog


def focus():  # noqa: ANN201
    return QApplication.focusWidget()


def enter(qtbot, widget=None) -> None:  # noqa: ANN001
    qtbot.keyClick(widget or focus(), Qt.Key.Key_Return)
    settle()


def query(data, sql: str, *args) -> list[tuple]:  # noqa: ANN001
    from app.paths import DataDir

    con = sqlite3.connect(f"file:{DataDir(data).database}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def pick(qtbot, box, text: str) -> None:  # noqa: ANN001
    """Type into a DrugSearchBox, wait for its list, Enter picks the highlighted drug."""
    qtbot.keyClicks(box, text)
    qtbot.waitUntil(box.popup_visible, timeout=10000)
    enter(qtbot, box)


def test_receive_by_keyboard_without_and_with_trace_codes(qtbot, stock_site, open_stock) -> None:
    data, small = stock_site()
    window, page = open_stock(data, "doctor")
    qtbot.keyClick(focus(), Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)  # 入库
    settle()
    form = page.tab["receive"].form
    assert focus() is form.drug_box
    pick(qtbot, form.drug_box, "amxl")
    assert form.drug is not None and form.drug.id == small.amox.id and focus() is form.batch_no
    assert form.cost.text() == "12.00"  # the catalog price per box
    for text in ("A2501", "2027-06-30", "2"):
        qtbot.keyClicks(focus(), text)
        enter(qtbot)
    assert focus() is form.cost
    enter(qtbot)  # keep the price
    assert focus() is form.no_codes
    enter(qtbot)
    assert focus() is form.codes
    qtbot.keyClick(form.codes, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # no code, no tick: refused
    settle()
    assert "药品追溯码" in form.error.text() and focus() is form.codes
    form.no_codes.setFocus()
    qtbot.keyClick(form.no_codes, Qt.Key.Key_Space)
    assert not form.codes.isEnabled()
    enter(qtbot)  # the codes box is off: Enter on the last field receives
    assert form.message.text().startswith("已入库：阿莫西林胶囊") and form.error.text() == ""
    assert focus() is form.drug_box and form.drug is None
    assert query(data, "SELECT on_hand, no_trace_codes, pack_cost_fen FROM batches WHERE batch_no='A2501'") == [(48, 1, 1200)]

    # with codes, one per line, a 拆零 quantity and Ctrl+Enter
    pick(qtbot, form.drug_box, "xbdp")
    assert form.drug.id == small.nife.id
    qtbot.keyClicks(form.batch_no, "N2501")
    form.expiry.setText("20280131")
    form.quantity.setText("2")
    form.codes.setFocus()
    qtbot.keyClicks(form.codes, "81000000000000000001")
    qtbot.keyClick(form.codes, Qt.Key.Key_Return)  # the scanner's Enter: a new line, not "submit"
    qtbot.keyClicks(form.codes, "81000000000000000002")
    assert form.codes_count.text() == "已扫 2 个 / 本次 2盒"
    qtbot.keyClick(form.codes, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle()
    assert form.message.text().startswith("已入库：硝苯地平缓释片")
    assert query(data, "SELECT on_hand, no_trace_codes, expiry FROM batches WHERE batch_no='N2501'") == [
        (60, 0, "2028-01-31")]
    assert len(query(data, "SELECT code FROM trace_code_events WHERE code LIKE '810000000000000000%' "
                           "AND kind = 'received'")) == 2
    recent = page.tab["receive"].model
    assert recent.rowCount() >= 2 and recent.row(0).batch_no == "N2501"

    # an expired lot is refused by the service; the message names the field and the form keeps its values
    pick(qtbot, form.drug_box, "wss")
    form.batch_no.setText("OLD1")
    form.expiry.setText("2020-01-31")
    form.quantity.setText("1")
    form.no_codes.setChecked(True)
    form.submit()
    settle()
    assert "效期" in form.error.text() and "过期" in form.error.text() and focus() is form.expiry
    assert form.batch_no.text() == "OLD1"
    assert query(data, "SELECT count(*) FROM batches WHERE batch_no='OLD1'") == [(0,)]


def test_write_off_and_return_with_confirmation(qtbot, stock_site, open_stock) -> None:
    data, small = stock_site()
    window, page = open_stock(data)
    page.show_tab("batches", focus=True)
    settle()
    batches = page.tab["batches"]
    row = batches.model.find(lambda b: b.batch_no == "A2401")
    batches.view.setCurrentIndex(batches.model.index(row, 0))
    batches.view.setFocus()
    qtbot.keyClick(batches.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # 报损 this batch
    settle()
    tab = page.tab["writeoff"]
    assert page.current_key() == "writeoff" and tab.current_batch().batch_no == "A2401"
    assert focus() is tab.quantity
    qtbot.keyClicks(tab.quantity, "3")  # 3 boxes, only 2 in the batch: refused before asking
    enter(qtbot)  # → reason
    assert focus() is tab.reason
    tab.reason.setCurrentIndex(tab.reason.findData("other"))
    enter(qtbot)  # → note
    enter(qtbot)  # submit
    assert "只有 48粒" in tab.error.text() and focus() is tab.quantity
    tab.quantity.setText("1")
    tab.submit()
    assert "其他" in tab.error.text() and focus() is tab.note  # 其他 needs a note
    qtbot.keyClicks(tab.note, "wet")
    enter(qtbot, tab.note)
    dialog = tab.confirm_dialog
    assert isinstance(dialog, ConfirmDialog) and dialog.isVisible() and focus() is dialog.ok_button
    enter(qtbot)
    assert not dialog.isVisible() and tab.message.text() == "已报损：阿莫西林胶囊 批号 A2401 1盒"
    activate(qtbot, window)

    # 退回乡镇 of the VBP drug, picked by pinyin
    tab.kind.setCurrentIndex(tab.kind.findData("return"))
    tab.drug_box.clear()
    tab.drug_box.setFocus()
    pick(qtbot, tab.drug_box, "xbdp")
    assert focus() is tab.batch and tab.current_batch().batch_no == "N2405"
    tab.quantity.setText("1")
    tab.submit()
    tab.confirm_dialog.confirm()
    settle()
    moves = query(data, "SELECT b.batch_no, m.kind, m.quantity, m.reason FROM stock_movements m "
                        "JOIN batches b ON b.id = m.batch_id WHERE m.kind IN ('write_off', 'return') ORDER BY m.seq")
    assert moves == [("A2401", "write_off", -24, "其他：wet"), ("N2405", "return", -30, "近效期退回")]
    assert query(data, "SELECT batch_no, on_hand FROM batches WHERE batch_no IN ('A2401', 'N2405') ORDER BY 1") == [
        ("A2401", 24), ("N2405", 0)]
    assert [r.kind for r in tab.model.rows()] == ["return", "write_off"]
    audit = query(data, "SELECT action FROM audit_log WHERE action IN ('stock.write_off', 'stock.return') ORDER BY 1")
    assert audit == [("stock.return",), ("stock.write_off",)]


def test_expiry_typed_full_width_is_read_and_other_scripts_are_refused() -> None:
    assert parse_date("２０２７－０６－３０") == date(2027, 6, 30) and parse_date("２０２７０６") == date(2027, 6, 30)
    for bad in ("2027-0²-30", "²⁰²⁷-06-30", "٢٠٢٧-06-30", "2027-06-" + "3" * 5000):
        with pytest.raises(ValidationError) as err:
            parse_date(bad, "效期")
        assert err.value.field == "效期" and "效期" in str(err.value)
