"""今日结算 with a reversed settlement, driven by the keyboard: the row is marked ·冲正, 冲正 reads 已冲正
and is off (F8 opens nothing), the note names the reversal, and F6 reprints a receipt marked 已冲正 with
the reversal's number and time (read back from the PDF). The status bar reports each action's result,
and 一般诊疗费 is ticked again when the form is cleared."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from op_keys import OFFSCREEN_POPUP_NOISE, UNTIL_MS, pdf_text, press, reverse_by_keys, settle, type_text, wait_preview
from op_seed import PASSWORD, settle_visit
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.domain import clock
from app.domain.money import fen_to_yuan
from app.services.settlement.types import ReversalInfo

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def _earlier_today(minutes: int) -> datetime:
    """``minutes`` after a start half an hour ago (never before today's 00:01)."""
    start = max(clock.now() - timedelta(minutes=30), datetime.combine(clock.today(), time(0, 1)))
    return start + timedelta(minutes=minutes)


def _reverse(data, settlement_id: str, at: datetime) -> ReversalInfo:  # noqa: ANN001
    """Reverse a settlement through the service as the doctor (before the window opens)."""
    from app.bootstrap import bootstrap

    sv = bootstrap(data)
    try:
        sv.identity.sign_in("doctor", PASSWORD)
        return sv.settlement.reverse(settlement_id, "收费有误", at=at)
    finally:
        sv.close()


def test_reversed_settlement_is_marked_f8_is_off_and_its_reprint_says_reversed(qtbot, doctor_window, clinic, db):
    data, seeded = clinic
    first = settle_visit(data, seeded, at=_earlier_today(0))
    second = settle_visit(data, seeded, who="wangwu", at=_earlier_today(5))
    reversal = _reverse(data, first.id, _earlier_today(10))
    window, page = doctor_window()
    today = page.today

    press(Qt.Key.Key_F3)
    assert QApplication.focusWidget() is today.table
    assert today.current().id == second.id and today.reverse_button.isEnabled()
    assert not today.reverse_note.isVisible()

    press(Qt.Key.Key_Down)  # the older, reversed settlement
    assert today.current().id == first.id and today.current().reversed
    row = today.table.currentIndex().row()
    assert today.model.index(row, 1).data().endswith("·冲正")
    assert not today.reverse_button.isEnabled() and today.reverse_button.text() == "已冲正"
    note = today.reverse_note.text()
    assert today.reverse_note.isVisible() and "已冲正" in note and reversal.receipt_no in note
    assert f"{reversal.reversed_at:%m-%d %H:%M}" in note
    assert today.summary.text().startswith("1 人次")  # the reversed one is not counted

    press(Qt.Key.Key_F8)  # off on this row: no dialog, a message why, no second reversal
    settle()
    assert page.dialog is None and "已经冲正过" in page.banner.text()
    assert db("SELECT count(*) FROM reversals") == [(1,)]

    press(Qt.Key.Key_F6)  # 补打: a receipt that cannot pass for a valid one
    qtbot.waitUntil(lambda: page.prints.last is not None, timeout=UNTIL_MS)
    settle()
    assert page.prints.last.path.name == f"收据-{first.receipt_no}-已冲正.pdf"
    text = pdf_text(page.prints.last.path)
    assert first.receipt_no in text and "已冲正" in text and "本票据已作废" in text
    assert f"冲正凭证号：{reversal.receipt_no}" in text and f"冲正时间：{reversal.reversed_at:%Y-%m-%d %H:%M}" in text
    assert window.last_action.text().endswith(f"已补打 {first.receipt_no}（已冲正） · 已存为 PDF")

    press(Qt.Key.Key_Up)  # back on the live settlement: 冲正 on again, no note
    assert today.current().id == second.id and today.reverse_button.isEnabled()
    assert today.reverse_button.text() == "冲正 F8" and not today.reverse_note.isVisible()


def test_status_bar_reports_settle_and_reversal_and_the_fee_box_resets(qtbot, doctor_window, clinic, db):
    window, page = doctor_window()
    assert window.last_action.text() == ""
    assert QApplication.focusWidget() is page.header.resident_box
    type_text("zs")
    qtbot.waitUntil(lambda: page.header.resident_box.popup_visible(), timeout=UNTIL_MS)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.header.coverage is not None, timeout=UNTIL_MS)
    press(Qt.Key.Key_Return)  # no diagnosis typed: on to the drugs
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.rx.drug_box, timeout=UNTIL_MS)
    type_text("wssc")
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.rx.model.rowCount() == 1, timeout=UNTIL_MS)

    # 一般诊疗费 off for this visit, with the keyboard; Esc twice clears the form and ticks it again
    page.general_fee.setFocus(Qt.FocusReason.TabFocusReason)
    press(Qt.Key.Key_Space)
    assert not page.general_fee.isChecked()
    wait_preview(qtbot, page, lambda p: p.general_fee_fen == 0)
    press(Qt.Key.Key_Escape)
    press(Qt.Key.Key_Escape)
    settle()
    assert page.rx.model.rowCount() == 0 and page.header.resident is None
    assert page.general_fee.isChecked() and page.general_fee.text() == "一般诊疗费"

    # again, fee off, settled with F9: the status bar names the receipt and the cash; the box is ticked again
    type_text("zs")
    qtbot.waitUntil(lambda: page.header.resident_box.popup_visible(), timeout=UNTIL_MS)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.header.coverage is not None, timeout=UNTIL_MS)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.rx.drug_box, timeout=UNTIL_MS)
    type_text("wssc")
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.rx.model.rowCount() == 1, timeout=UNTIL_MS)
    page.general_fee.setFocus(Qt.FocusReason.TabFocusReason)
    press(Qt.Key.Key_Space)
    wait_preview(qtbot, page, lambda p: p.general_fee_fen == 0 and len(p.lines) == 1)
    press(Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: page.prints.last is not None, timeout=UNTIL_MS)
    settle()
    receipt_no, cash, general_fee = db(
        "SELECT receipt_no, self_paid_fen + self_funded_fen, general_fee_fen FROM settlements")[0]
    assert general_fee == 0  # the visit was settled without the fee
    assert window.last_action.text().endswith(f"已结算 {receipt_no} · 现金 ¥{fen_to_yuan(cash)}")
    assert page.general_fee.isChecked()  # the next patient starts with the fee on

    # F3, F8, a reason, Enter: the status bar names both numbers and the cash returned
    press(Qt.Key.Key_F3)
    reverse_by_keys(qtbot, page, "wrong patient")
    qtbot.waitUntil(lambda: db("SELECT count(*) FROM reversals") == [(1,)], timeout=UNTIL_MS)
    settle()
    reversal_no = db("SELECT receipt_no FROM reversals")[0][0]
    assert window.last_action.text().endswith(f"已冲正 {receipt_no} · 冲正凭证 {reversal_no} · 退现金 ¥{fen_to_yuan(cash)}")
    qtbot.waitUntil(lambda: page.today.current() is not None and page.today.current().reversed, timeout=UNTIL_MS)
    assert not page.today.reverse_button.isEnabled() and reversal_no in page.today.reverse_note.text()
