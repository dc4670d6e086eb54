"""今日结算 → an earlier day: listed with Alt+← or ‹, reprinted (补打), and reversed (冲正) by an admin;
a village doctor sees why 冲正 is off for it ("仅管理员可冲正以前日期的结算") and F8 does nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from op_keys import OFFSCREEN_POPUP_NOISE, UNTIL_MS, pdf_text, press, reverse_by_keys, settle
from op_seed import settle_visit

from app.domain import clock

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def _yesterday_at_ten() -> datetime:
    yesterday = clock.now().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    return yesterday


def _on_hand(db, batch_id: str) -> int:  # noqa: ANN001
    return db("SELECT on_hand FROM batches WHERE id = ?", (batch_id,))[0][0]


def test_admin_lists_reprints_and_reverses_yesterdays_settlement(qtbot, doctor_window, clinic, db) -> None:
    data, seeded = clinic
    yesterday = _yesterday_at_ten()
    before = _on_hand(db, seeded.batches["amox"])
    old = settle_visit(data, seeded, at=yesterday)  # the doctor's, yesterday
    window, page = doctor_window("outpatient", "admin")
    today = page.today
    assert today.day() == clock.today() and today.model.rowCount() == 0 and today.title.text() == "今日结算"
    assert not today.next_button.isEnabled()  # no settlements in the future

    press(Qt.Key.Key_F3)
    assert QApplication.focusWidget() is today.table
    press(Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)  # the day before
    settle()
    assert today.day() == yesterday.date() and today.date_edit.date().toPython() == yesterday.date()
    assert today.title.text() == "往日结算" and today.summary.text().startswith(f"{yesterday:%m-%d} 1 人次")
    assert today.model.rowCount() == 1 and today.current().id == old.id
    assert today.reverse_button.isEnabled() and not today.reverse_note.isVisible()  # an admin may

    press(Qt.Key.Key_F6)  # 补打 an earlier day's receipt
    qtbot.waitUntil(lambda: page.prints.last is not None, timeout=UNTIL_MS)
    assert old.receipt_no in pdf_text(page.prints.last.path)
    receipt = page.prints.last

    reverse_by_keys(qtbot, page, "charged twice")
    qtbot.waitUntil(lambda: page.prints.last is not receipt, timeout=UNTIL_MS)
    settle()
    rows = db("SELECT r.receipt_no, r.reason, r.reversed_at, u.username FROM reversals r JOIN users u ON u.id = r.user_id")
    assert len(rows) == 1
    reversal_no, reason, reversed_at, username = rows[0]
    assert reason == "charged twice" and username == "admin" and reversed_at.startswith(clock.today().isoformat())
    assert _on_hand(db, seeded.batches["amox"]) == before  # back in the same batch
    assert db("SELECT count(*) FROM audit_log WHERE action = 'settlement.reverse'") == [(1,)]
    assert reversal_no in page.banner.text() and reversal_no in pdf_text(page.prints.last.path)
    # the list stays on yesterday, the row now marked
    assert today.day() == yesterday.date() and today.current().id == old.id and today.current().reversed
    assert not today.reverse_button.isEnabled() and today.reverse_button.text() == "已冲正"
    assert today.summary.text().startswith(f"{yesterday:%m-%d} 0 人次")

    today.today_button.click()
    settle()
    assert today.day() == clock.today() and today.model.rowCount() == 0 and today.title.text() == "今日结算"


def test_doctor_sees_why_an_earlier_day_cannot_be_reversed(qtbot, doctor_window, clinic, db) -> None:
    data, seeded = clinic
    yesterday = _yesterday_at_ten()
    old = settle_visit(data, seeded, at=yesterday)
    new = settle_visit(data, seeded, who="wangwu", lines={"amlo": 28})  # today's
    window, page = doctor_window("outpatient")
    today = page.today
    assert today.current().id == new.id and today.reverse_button.isEnabled()
    assert not today.reverse_note.isVisible()

    today.previous_button.click()
    settle()
    assert today.day() == yesterday.date() and today.current().id == old.id
    assert not today.reverse_button.isEnabled()
    assert today.reverse_note.isVisible() and today.reverse_note.text() == "仅管理员可冲正以前日期的结算"
    assert today.reverse_button.toolTip() == "仅管理员可冲正以前日期的结算"
    assert today.reprint_button.isEnabled() and today.prescription_button.isEnabled()  # 补打 is still fine

    press(Qt.Key.Key_F3)
    press(Qt.Key.Key_F8)  # the key does not get round the disabled button
    settle()
    assert page.dialog is None
    assert "仅管理员可冲正以前日期的结算" in page.banner.text() and old.receipt_no in page.banner.text()
    assert db("SELECT count(*) FROM reversals") == [(0,)]

    press(Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)  # back to today: the doctor may reverse there
    settle()
    assert today.day() == clock.today() and today.current().id == new.id
    assert today.reverse_button.isEnabled() and not today.reverse_note.isVisible()

    # a date typed far back lists that (empty) day; a settlement afterwards brings today's list back
    today.date_edit.setDate(today.date_edit.date().addDays(-30))
    settle()
    assert today.model.rowCount() == 0 and today.day() == clock.today() - timedelta(days=30)
    press(Qt.Key.Key_F6)
    assert "没有结算记录" in page.banner.text()
    today.show_day(None, select_id=new.id)
    settle()
    assert today.day() == clock.today() and today.current().id == new.id


def test_todays_list_shows_names_and_sums_whole_at_1366x768(qtbot, doctor_window, clinic) -> None:
    from dataclasses import replace

    data, seeded = clinic
    info = settle_visit(data, seeded, who="lisi")
    window, page = doctor_window("outpatient")
    table, model = page.today.table, page.today.model
    # a three-character name with its ·自付 mark and three-digit sums, as in the demo (147.28)
    model.set_settlements([replace(info, resident_name="张红艳", split=replace(
        info.split, total_fen=14728, self_paid_fen=0, self_funded_fen=14728)), info])
    QApplication.processEvents()
    assert model.data(model.index(0, 1)) == "张红艳·自付"
    metrics, header = table.fontMetrics(), table.horizontalHeader()
    assert header.sectionViewportPosition(3) + header.sectionSize(3) <= table.viewport().width()
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            text = model.data(model.index(row, col))
            assert metrics.horizontalAdvance(text) + 6 <= header.sectionSize(col), (text, header.sectionSize(col))
