"""Acceptance: a 3-drug visit settled with the keyboard only, then reversed with the keyboard only;
the SQLite file is checked for stock, settlement, reversal and outbox rows, and the receipts printed
through QPrinter (the "PDF" virtual printer) are read back with pdftotext."""

from __future__ import annotations


import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication

from op_keys import OFFSCREEN_POPUP_NOISE, UNTIL_MS, pdf_text, press, reverse_by_keys, settle, type_text, wait_preview

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def _on_hand(db, batch_id: str) -> int:  # noqa: ANN001
    return db("SELECT on_hand FROM batches WHERE id = ?", (batch_id,))[0][0]


def _outbox(db) -> dict[str, int]:  # noqa: ANN001
    return dict(db("SELECT table_name, count(*) FROM outbox GROUP BY table_name"))


def _add_drug(qtbot, page, pinyin: str, quantity: str | None) -> None:  # noqa: ANN001
    rows = page.rx.model.rowCount()
    assert QApplication.focusWidget() is page.rx.drug_box
    type_text(pinyin)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.rx.model.rowCount() == rows + 1, timeout=UNTIL_MS)
    settle()
    assert QApplication.focusWidget() is page.rx.drug_box  # the drug box adds a line and stays put
    if quantity is not None:
        press(Qt.Key.Key_Tab)  # into the new line's 数量
        type_text(quantity)
        press(Qt.Key.Key_Return)  # on to 用法用量, prefilled with the usual usage of the drug's route
        settle()
        assert page.rx.table.state() == QAbstractItemView.State.EditingState
        assert page.rx.table.currentIndex() == page.rx.model.index(rows, page.rx.model.USAGE)
        press(Qt.Key.Key_Return)  # keep it
        settle()
        assert QApplication.focusWidget() is page.rx.drug_box


def test_keyboard_only_visit_settles_prints_and_reverses(qtbot, doctor_window, clinic, db, artifact) -> None:
    data, seeded = clinic
    window, page = doctor_window("outpatient")
    before = {k: _on_hand(db, b) for k, b in seeded.batches.items()}
    outbox_before = _outbox(db)

    # 1. the resident: pinyin initials, Enter picks the only match; coverage shows, focus moves on
    assert QApplication.focusWidget() is page.header.resident_box
    type_text("zs")
    qtbot.waitUntil(lambda: page.header.resident_box.popup_visible(), timeout=UNTIL_MS)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.header.coverage is not None, timeout=UNTIL_MS)
    assert page.header.resident.name == "张三"
    assert page.header.coverage.enrolled and not page.header.warning.isVisible()
    assert "已参保" in page.header.coverage_line.text()
    assert QApplication.focusWidget() is page.header.diagnosis

    # 2. the diagnosis by pinyin: Enter takes the first match and goes on to the drugs
    type_text("gxy")
    assert page.header.diagnosis.popup_visible()
    press(Qt.Key.Key_Return)
    assert page.header.diagnosis_text() == "原发性高血压" and page.header.diagnosis_code() == "I10"
    assert page.header.code_label.text() == "I10"
    assert QApplication.focusWidget() is page.rx.drug_box

    # 3. three drugs: 2 packs, 12 loose capsules, and one bottle (the default)
    _add_drug(qtbot, page, "bhsa", "2")
    _add_drug(qtbot, page, "amxl", "12粒")
    _add_drug(qtbot, page, "wssc", None)
    lines = page.rx.model.lines
    assert [(line.drug.generic_name, line.quantity_units, line.usage) for line in lines] == [
        ("苯磺酸氨氯地平片", 56, "口服 每日3次 每次1片"), ("阿莫西林胶囊", 12, "口服 每日3次 每次1粒"),
        ("维生素C片", 100, "口服 每日3次 每次1片")]
    preview = wait_preview(qtbot, page, lambda p: len(p.lines) == 3).split
    # 16.24 + 6.25 + 3.50 + 10.00 general fee
    assert preview.total_fen == 1624 + 625 + 350 + 1000
    assert page.split.values["total"].text() == "35.99"
    assert page.split.cash.text() == f"¥{(preview.self_paid_fen + preview.self_funded_fen) / 100:.2f}"
    artifact(window, "outpatient-before-settle")

    # 4. F9: settle and print; the banner names the receipt number; focus back in the resident box
    press(Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: page.prints.last is not None, timeout=UNTIL_MS)
    settle()
    receipt_no, total, fund, cash, eligible = db(
        "SELECT receipt_no, total_fen, fund_fen + general_fee_fund_fen, self_paid_fen + self_funded_fen, eligible "
        "FROM settlements")[0]
    assert total == preview.total_fen and eligible == 1
    assert receipt_no in page.banner.text() and f"¥{cash / 100:.2f}" in page.banner.text()
    assert QApplication.focusWidget() is page.header.resident_box
    assert page.rx.model.rowCount() == 0 and page.header.resident is None
    receipt = page.prints.last
    assert not receipt.printed and receipt.path.exists() and receipt.path.suffix == ".pdf"
    text = pdf_text(receipt.path)
    assert receipt_no in text and "410***********" in text
    assert "2盒" in text and "12粒" in text and "1瓶" in text
    for label in ("统筹支付", "医疗救助", "个人自付", "自费"):
        assert label in text
    assert "补打" not in text
    artifact(window, "outpatient-settled")

    after = {k: _on_hand(db, b) for k, b in seeded.batches.items()}
    assert {k: before[k] - after[k] for k in before} == {"amlo": 56, "amox": 12, "vitc": 100}
    grew = {t: n - outbox_before.get(t, 0) for t, n in _outbox(db).items()}
    assert grew["visits"] == 1 and grew["prescription_lines"] == 3 and grew["settlements"] == 1
    assert grew["stock_movements"] == 3 and grew["receipt_prints"] == 1
    assert page.today.model.rowCount() == 1 and page.today.current().receipt_no == receipt_no

    # 5. F3 today's list, F8 冲正, type the reason, Enter: reversed, the reversal slip printed
    press(Qt.Key.Key_F3)
    assert QApplication.focusWidget() is page.today.table
    reverse_by_keys(qtbot, page, "patient returned the drugs")
    qtbot.waitUntil(lambda: page.prints.last is not receipt, timeout=UNTIL_MS)
    settle()
    reversal_no, reason = db("SELECT receipt_no, reason FROM reversals")[0]
    assert reason == "patient returned the drugs" and reversal_no.startswith("CZ")
    assert reversal_no in page.banner.text()
    assert {k: _on_hand(db, b) for k, b in seeded.batches.items()} == before  # stock back in the same batches
    assert db("SELECT count(*) FROM settlements") == [(1,)]  # nothing deleted
    slip = pdf_text(page.prints.last.path)
    assert reversal_no in slip and receipt_no in slip and "冲正" in slip
    grew = {t: n - outbox_before.get(t, 0) for t, n in _outbox(db).items()}
    assert grew["reversals"] == 1 and grew["stock_movements"] == 6
    assert page.today.current().reversed and not page.today.reverse_button.isEnabled()
    artifact(window, "outpatient-reversed")

    # 6. F8 again: refused with a message, no second reversal
    window.activateWindow()  # the window manager gives the focus back after the dialog
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.today.table, timeout=UNTIL_MS)
    press(Qt.Key.Key_F8)
    assert "已经冲正过" in page.banner.text()
    assert db("SELECT count(*) FROM reversals") == [(1,)]
