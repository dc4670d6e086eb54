"""The township's purchasing on the 调拨与报量 page, from the keyboard: a distributor's delivery received line by
line (scanned trace codes, a line without codes, a near-expiry line confirmed as on the stock page's 入库),
refusals that write nothing, a 配送企业 added and edited, and a 采购退货 from a receipt."""

from __future__ import annotations

import pytest
import shiboken6
from op_keys import OFFSCREEN_POPUP_NOISE, press, settle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from transfers_ui import cell_texts, type_cell

from app.bootstrap import bootstrap
from ui.workers import wait_idle

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def _type(qtbot, widget, text: str, enter: bool = True) -> None:
    widget.setFocus()
    if text.isascii():
        qtbot.keyClicks(widget, text)
    else:
        _paste(text)
    if enter:
        qtbot.keyClick(widget, Qt.Key.Key_Return)
    settle()


def _purchases(data) -> list:
    sv = bootstrap(data)
    try:
        sv.identity.sign_in("admin", "secret123")
        return sv.transfers.purchases()
    finally:
        sv.close()


def test_a_delivery_is_received_line_by_line_from_the_keyboard(township_site, open_transfers, qtbot,
                                                                artifact) -> None:
    data, seeded = township_site()
    window, page = open_transfers("township", "pharmacist", data)
    assert list(page.tab) == ["review", "shipments", "in_transit", "purchase", "purchases", "distributors", "returns"]
    press(Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    settle()
    tab = page.tab["purchase"]
    assert page.tabs.currentWidget() is tab
    assert tab.distributor.currentData() == seeded.distributor_id
    _type(qtbot, tab.note_no, "SH20260615")
    assert QApplication.focusWidget() is tab.invoice_no
    _type(qtbot, tab.invoice_no, "FP0002")
    assert QApplication.focusWidget() is tab.drug_box
    # line 1: 阿莫西林 by pinyin, 4 boxes, each box scanned, then Enter on the empty scan box
    _type(qtbot, tab.drug_box, "amxl")
    assert tab.drug is not None and tab.drug.id == seeded.amox.id
    assert QApplication.focusWidget() is tab.batch_no
    _type(qtbot, tab.batch_no, "A2412")
    _type(qtbot, tab.expiry, "2028-03-31")
    _type(qtbot, tab.quantity, "4")
    tab.price.selectAll()
    _type(qtbot, tab.price, "11.5")
    assert QApplication.focusWidget() is tab.scan
    codes = [f"8400000000000000000{i}" for i in range(4)]
    for code in codes:
        _type(qtbot, tab.scan, code)
    _type(qtbot, tab.scan, codes[0])  # a box scanned twice counts once
    assert "已经扫过" in tab.codes_said.text()
    qtbot.keyClick(tab.scan, Qt.Key.Key_Return)
    settle()
    assert tab.lines.rowCount() == 1 and QApplication.focusWidget() is tab.drug_box
    # line 2: 维生素B1 without codes: refused until 无追溯码 is ticked; then 14片 of a near-expiry batch
    _type(qtbot, tab.drug_box, "wssb1")
    assert tab.drug.id == seeded.vb1.id
    _type(qtbot, tab.batch_no, "V2606")
    _type(qtbot, tab.expiry, "2026-08-01")
    _type(qtbot, tab.quantity, "140片")
    tab.price.selectAll()
    _type(qtbot, tab.price, "3.5")
    qtbot.keyClick(tab.scan, Qt.Key.Key_Return)
    settle()
    assert tab.lines.rowCount() == 1 and "无追溯码" in tab.line_error.text()
    tab.no_codes.setChecked(True)
    tab.scan.setFocus()
    qtbot.keyClick(tab.scan, Qt.Key.Key_Return)
    settle()
    assert tab.lines.rowCount() == 2
    assert cell_texts(tab.lines, "数量") == ["4盒", "1瓶40片"] and cell_texts(tab.lines, "追溯码") == ["4", "无码"]
    assert cell_texts(tab.lines, "金额") == ["46.00", "4.90"] and "合计 ¥50.90" in tab.total.text()
    artifact(window, "transfers-township-purchase")
    before = len(_purchases(data))
    # Ctrl+Enter: the near-expiry line is asked about first, nothing written until it is confirmed
    press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle()
    dialog = tab.dialog
    assert dialog is not None and dialog.isVisible() and "近效期" in dialog.windowTitle()
    assert len(_purchases(data)) == before
    artifact(dialog, "transfers-township-purchase-near-expiry")
    dialog.confirm()
    settle(6)
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
    assert tab.lines.rowCount() == 0 and "已入库" in tab.message.text(), tab.error.text()
    after = _purchases(data)
    assert len(after) == before + 1
    new = next(p for p in after if p.delivery_note_no == "SH20260615")
    assert (new.invoice_no, new.line_count, new.total_fen) == ("FP0002", 2, 5090)

    # the same 随货单号 of the same distributor again: refused, nothing written
    _type(qtbot, tab.note_no, "SH20260615")
    _type(qtbot, tab.drug_box, "amxl")
    _type(qtbot, tab.batch_no, "A2412")
    _type(qtbot, tab.expiry, "2028-03-31")
    _type(qtbot, tab.quantity, "1")
    tab.no_codes.setChecked(True)
    tab.add_line()
    settle()
    tab.submit()
    settle()
    assert "随货单号" in tab.error.text() and tab.lines.rowCount() == 1
    assert len(_purchases(data)) == before + 1
    assert page.unsaved_work() == "未入库的采购明细"
    tab.clear_all()
    window.close()


def test_distributors_are_added_and_edited_and_a_receipt_is_partly_returned(township_site, open_transfers, qtbot,
                                                                             artifact) -> None:
    data, _seeded = township_site()
    window, page = open_transfers("township", "pharmacist", data)
    tab = page.show_tab("distributors", focus=True)
    settle()
    assert cell_texts(tab.model, "配送企业") == ["国药控股示例医药有限公司"]
    press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is tab.name
    tab.save()  # an empty name: refused in red, nothing saved
    settle()
    assert tab.error.isVisible() and tab.model.rowCount() == 1
    for text in ("九州通示例医药有限公司", "91410100MA47000002", "赵经理", "0371-65550002"):
        qtbot.keyClicks(QApplication.focusWidget(), text) if text.isascii() else _paste(text)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
        settle()
    assert "已保存" in tab.message.text(), tab.error.text()
    assert sorted(cell_texts(tab.model, "配送企业")) == ["九州通示例医药有限公司", "国药控股示例医药有限公司"]
    row = tab.model.find(lambda d: d.name == "九州通示例医药有限公司")
    tab.view.setCurrentIndex(tab.model.index(row, 0))
    tab.active.setChecked(False)
    tab.save()
    settle()
    assert cell_texts(tab.model, "状态")[tab.model.find(lambda d: d.name == "九州通示例医药有限公司")] == "停用"
    artifact(window, "transfers-township-distributors")
    # 采购入库 offers only distributors in use
    purchase = page.show_tab("purchase")
    settle()
    assert [purchase.distributor.itemText(i) for i in range(purchase.distributor.count())] == ["国药控股示例医药有限公司"]

    # 采购记录: the seeded delivery; return 2 boxes of 阿莫西林
    records = page.show_tab("purchases", focus=True)
    settle()
    assert cell_texts(records.model, "随货单号") == ["SH20260601"]
    assert cell_texts(records.lines, "数量") == ["10盒", "5盒"]
    artifact(window, "transfers-township-purchases")
    press(Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    settle()
    dialog = records.dialog
    assert dialog.isVisible() and QApplication.focusWidget() is dialog.table
    type_cell(qtbot, dialog.table, "11")  # more than received: refused in red
    dialog.submit()
    assert "最多还能退 10盒" in dialog.error.text()
    dialog.table.start(0)
    type_cell(qtbot, dialog.table, "2")
    dialog.submit()
    assert "退货原因" in dialog.error.text()
    dialog.reason.setText("包装破损")
    artifact(dialog, "transfers-township-purchase-return")
    press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle(6)
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
    assert wait_idle()
    records.month.setCurrentIndex(records.month.findData(None))
    settle()
    assert sorted(cell_texts(records.model, "类型")) == ["入库", "退货"]
    records.view.setCurrentIndex(records.model.index(records.model.find(lambda p: p.kind == "purchase"), 0))
    settle()
    assert cell_texts(records.lines, "已退货") == ["2盒", ""]
    window.close()


def _paste(text: str) -> None:
    """Type CJK text into the focused line edit (QTest cannot type it)."""
    from op_keys import type_text

    type_text(text)
