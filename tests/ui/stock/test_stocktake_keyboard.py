"""A whole stocktake driven with the keyboard only: start, count (scanner and grid), finalise, confirm.

The database is then checked directly: one ADJUSTMENT movement per difference with its reason,
the batches' on-hand, and a dispense made during the count that is not mistaken for a loss.
"""

from __future__ import annotations

import sqlite3

from stock_ui import activate, settle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from ui.dialogs.stock_count import FinaliseDialog, StartStocktakeDialog
from ui.workers import runner

ALT, CTRL = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ControlModifier


def focus():  # noqa: ANN201
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(qtbot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:  # noqa: ANN001
    qtbot.keyClick(focus(), key, modifier)
    settle()


def type_text(qtbot, text: str) -> None:  # noqa: ANN001
    qtbot.keyClicks(focus(), text)


def test_whole_stocktake_by_keyboard(qtbot, stock_site, open_stock) -> None:
    data, small = stock_site()
    window, page = open_stock(data, "doctor")
    tab = page.tab["stocktake"]
    activate(qtbot, window)

    press(qtbot, Qt.Key.Key_5, ALT)  # 盘点 tab
    assert page.current_key() == "stocktake" and focus() is tab.start_button

    press(qtbot, Qt.Key.Key_N, CTRL)  # 开始盘点…
    dialog = tab.start_dialog
    assert isinstance(dialog, StartStocktakeDialog) and dialog.isVisible()
    assert focus() is dialog.scope and dialog.scope.currentData() == "all"
    press(qtbot, Qt.Key.Key_Return)  # scope → (value is off for 全部) → note
    assert focus() is dialog.note
    press(qtbot, Qt.Key.Key_Return)  # the last field: start
    assert not dialog.isVisible() and dialog.started is not None
    activate(qtbot, window)
    assert tab.info is not None and tab.model.rowCount() == 4
    assert focus() is tab.scan
    rows = [line.batch_no for line in tab.model.rows()]
    assert rows == ["V2312", "A2401", "A2409", "N2405"]  # shelf A1 (by name, amox by expiry), then B2

    # scanner: the batch no + Enter opens its count cell; 1 box found (booked 2) → 盘亏 24 粒
    type_text(qtbot, "A2401")
    press(qtbot, Qt.Key.Key_Return)
    editor = focus()
    assert isinstance(editor, QLineEdit) and tab.view.isAncestorOf(editor)
    type_text(qtbot, "1")
    press(qtbot, Qt.Key.Key_Return)
    assert focus() is tab.scan  # back to the scan box for the next item
    assert tab.model.row(1).counted_qty == 24 and tab.model.row(1).variance_qty == -24

    # the grid: ↓ from the scan box to the first uncounted row; typing starts the count, Enter moves down
    press(qtbot, Qt.Key.Key_Down)
    assert focus() is tab.view and tab.view.currentIndex().row() == 0
    type_text(qtbot, "2")  # V2312: 2 bottles, as booked
    press(qtbot, Qt.Key.Key_Return)
    assert tab.view.currentIndex().row() == 1
    press(qtbot, Qt.Key.Key_Down)  # A2401 is done: skip it
    type_text(qtbot, "4")  # A2409: 4 boxes where 3 are booked → 盘盈 24 粒
    press(qtbot, Qt.Key.Key_Return)
    assert tab.view.currentIndex().row() == 3

    # the shelf keeps moving: a box of 硝苯地平 is dispensed before it is counted, so the shelf holds 0
    sv = window.ctx.sv
    runner().call(lambda: sv.stock.dispense(small.nife.id, "1"))
    type_text(qtbot, "0")
    press(qtbot, Qt.Key.Key_Return)
    nife = tab.model.row(3)
    assert (nife.counted_qty, nife.moved_during, nife.variance_qty) == (0, -30, 0)
    assert tab.progress.text() == "已盘 4 / 4 个批次"

    press(qtbot, Qt.Key.Key_Return, CTRL)  # 完成盘点…
    final = tab.finalise_dialog
    assert isinstance(final, FinaliseDialog) and final.isVisible()
    assert final.table.rowCount() == 2 and focus() is final.ok_button
    texts = {final.table.item(r, 2).text(): final.table.item(r, 7).text() for r in range(2)}
    assert texts == {"A2401": "盘点盘亏", "A2409": "盘点盘盈"}
    press(qtbot, Qt.Key.Key_Return)  # 确认完成盘点
    assert not final.isVisible() and final.finalised is not None and final.finalised.status == "finalised"
    assert tab.info is None and tab.stack.currentIndex() == 0
    activate(qtbot, window)
    assert focus() is tab.start_button

    con = sqlite3.connect(f"file:{sv.data.database}?mode=ro", uri=True)
    try:
        adjustments = con.execute(
            "SELECT b.batch_no, m.quantity, m.reason FROM stock_movements m JOIN batches b ON b.id = m.batch_id "
            "WHERE m.kind = 'adjustment' AND m.doc_type = 'stocktake' ORDER BY b.batch_no").fetchall()
        on_hand = dict(con.execute("SELECT batch_no, on_hand FROM batches").fetchall())
        ledger = dict(con.execute(
            "SELECT b.batch_no, sum(m.quantity) FROM stock_movements m JOIN batches b ON b.id = m.batch_id "
            "GROUP BY b.batch_no").fetchall())
        status = con.execute("SELECT status FROM stocktakes").fetchall()
    finally:
        con.close()
    assert adjustments == [("A2401", -24, "盘点盘亏"), ("A2409", 24, "盘点盘盈")]
    assert on_hand == {"A2401": 24, "A2409": 96, "V2312": 200, "N2405": 0}
    assert ledger == on_hand  # 账实相符: the cached figure equals the ledger
    assert status == [("finalised",)]


def test_quitting_with_a_typed_count_asks_first(qtbot, stock_site, open_stock) -> None:
    data, _small = stock_site()
    window, page = open_stock(data, "doctor")
    tab = page.tab["stocktake"]
    activate(qtbot, window)
    press(qtbot, Qt.Key.Key_5, ALT)
    press(qtbot, Qt.Key.Key_N, CTRL)
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Return)  # counting, every batch still uncounted
    activate(qtbot, window)
    assert tab.info is not None and window.unsaved_work() == []  # an open count itself is kept in the file

    type_text(qtbot, "A2401")
    press(qtbot, Qt.Key.Key_Return)
    type_text(qtbot, "1")  # typed into the 实盘 cell, Enter not pressed yet
    assert window.unsaved_work() == ["库存盘点：已输入但尚未记录的实盘数"]
    press(qtbot, Qt.Key.Key_Q, CTRL)
    qtbot.waitUntil(lambda: window._quit_box is not None and window._quit_box.isVisible(), timeout=10000)
    assert "实盘数" in window._quit_box.informativeText() and window.isVisible()
    window._quit_box.reject()
    qtbot.waitUntil(lambda: window._quit_box is None, timeout=10000)
    assert window.isVisible()
