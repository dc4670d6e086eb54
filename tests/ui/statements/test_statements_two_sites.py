"""统一结算 across a township and its village with a REAL hub on loopback (tests/support/statements_ui.py): the
township enters a 基药补助 (bad amounts refused, naming the field, nothing written), drafts May with Ctrl+G
and sees every figure (recomputed here from the village's own rows), is refused 定稿 while the village's
month-end mark has not arrived (the reason and what to do shown), finalises after the village synced, prints
the PDF (read back), exports Excel (read back) and sees 节约医保基金; the village then sees the final statement
and acknowledges it once."""

from __future__ import annotations

import pytest
import shiboken6
from op_keys import OFFSCREEN_POPUP_NOISE, pdf_text, press, settle
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from statements_ui import SAVINGS_FEN, SUPPLIED_FEN, build_world
from stock_ui import activate
from ui_hub import hub_window, sync_window

from app.domain.money import fen_to_yuan
from app.domain.statements import deduct

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)

CTRL = Qt.KeyboardModifier.ControlModifier


def _window(qtbot, data, username):
    return hub_window(qtbot, data, username, "statements")


def _focus(qtbot, window, page) -> None:
    """The keyboard back on the page's table, as the window manager gives it back after a dialog."""
    activate(qtbot, window)
    page.table.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.table, timeout=10000)


def _closed(dialog) -> bool:
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def _cells(page, index: int = 0) -> dict[str, str]:
    model = page.model
    return {model.COLUMNS[c]: model.index(index, c).data() for c in range(model.columnCount())}


def test_the_township_settles_may_and_the_village_acknowledges(join_site, today_is, qtbot, qtmodeltester,
                                                              artifact, tmp_path) -> None:
    w = build_world(join_site)
    window, page = _window(qtbot, w.town.data, "pharmacist")
    village_name = w.town.sql("SELECT name FROM sites WHERE id = ?", w.village.site_id)[0][0]

    # the month is last month; the village is listed, nothing drafted yet
    assert page.current_month() == "2026-05" and page.month.currentText() == "2026年5月"
    assert page.model.rowCount() == 1
    assert _cells(page)["村卫生室"] == village_name and _cells(page)["状态"] == "未生成"
    assert "还没有结算单" in page.detail.status.text()

    # 录入基药补助 (Ctrl+B): a negative amount and a non-number are refused naming the field; nothing written
    _focus(qtbot, window, page)
    press(Qt.Key.Key_B, CTRL)
    settle()
    dialog = page.dialog
    assert dialog is not None and dialog.isVisible() and dialog.village.currentData() == w.village.site_id
    assert dialog.month.currentData() == "2026-05" and dialog.current.text() == "这个月还没有录入"
    for typed, said in (("-5", "基药补助金额不能为负数"), ("五十元", "基药补助金额"), ("12.345", "基药补助金额"),
                        ("", "基药补助金额不能为空")):
        dialog.amount.setText(typed)
        dialog.submit()
        settle()
        assert dialog.isVisible() and said in dialog.error.text(), (typed, dialog.error.text())
        assert dialog.amount.hasFocus()
        assert w.town.sql("SELECT count(*) FROM essential_drug_subsidies") == [(0,)]
    dialog.amount.setText("-5")
    dialog.submit()
    settle()
    artifact(dialog, "statements-subsidy-refused")
    dialog.amount.setText("50")
    dialog.note.setText("2026年5月基药补助")
    press(Qt.Key.Key_Return, CTRL)
    settle()
    assert _closed(dialog)
    assert w.town.sql("SELECT site_id, month, amount_fen FROM essential_drug_subsidies") == [
        (w.village.site_id, "2026-05", 5000)]

    # 生成草稿 (Ctrl+G): every figure, recomputed here from the village's own rows
    _focus(qtbot, window, page)
    press(Qt.Key.Key_G, CTRL)
    settle()
    fund = w.fund_receivable_fen()
    assert fund > 0
    d = deduct(SUPPLIED_FEN, fund, 5000)
    assert d.from_fund_fen == fund and d.from_subsidy_fen == 5000 and d.carried_out_fen > 0  # all three steps
    expected = {"村卫生室": village_name, "本月供药": fen_to_yuan(SUPPLIED_FEN), "退回": "0.00", "上月结转": "0.00",
                "应扣合计": fen_to_yuan(SUPPLIED_FEN), "统筹应付": fen_to_yuan(fund), "基药补助": "50.00",
                "统筹扣款": fen_to_yuan(d.from_fund_fen), "补助扣款": fen_to_yuan(d.from_subsidy_fen),
                "结转下月": fen_to_yuan(d.carried_out_fen), "节约医保基金": fen_to_yuan(SAVINGS_FEN), "状态": "草稿",
                "覆盖至序号": "—"}
    assert _cells(page) == expected
    shown = page.detail.body.text()
    assert f"本月供药 {fen_to_yuan(SUPPLIED_FEN)} − 退回 0.00 + 上月结转 0.00" in shown
    assert f"= <b>{fen_to_yuan(d.carried_out_fen)}</b>" in shown
    assert "村卫生室本月数据尚未到齐" in page.detail.status.text()
    artifact(window, "statements-township-draft")

    # 定稿 (Ctrl+Enter) before the village's month-end mark arrived: refused, the reason and what to do shown
    press(Qt.Key.Key_Return, CTRL)
    settle()
    confirm = page.dialog
    assert confirm is not None and confirm.isVisible() and "定稿后不能再修改" in confirm.prompt.text()
    press(Qt.Key.Key_Return, CTRL)
    settle()
    assert confirm.isVisible()
    assert "月结数据还没有同步到本站" in confirm.error.text() and confirm.error.isVisible()
    assert "立即同步" in confirm.advice.text() and confirm.advice.isVisible()
    assert w.town.sql("SELECT status, covers_local_seq FROM statements") == [("draft", None)]
    artifact(confirm, "statements-finalise-refused")
    confirm.reject()
    settle()

    # the village syncs after May (its mark goes up), the township syncs: now 定稿 goes through
    w.village_closes_may()
    sync_window(window)
    (mark,) = w.town.sql("SELECT last_local_seq FROM month_closes WHERE site_id = ? AND month = '2026-05'",
                         w.village.site_id)[0]
    _focus(qtbot, window, page)
    press(Qt.Key.Key_Return, CTRL)
    settle()
    confirm = page.dialog
    press(Qt.Key.Key_Return, CTRL)
    settle()
    assert _closed(confirm)
    assert _cells(page) == {**expected, "状态": "已定稿", "覆盖至序号": str(mark)}
    assert w.town.sql("SELECT status, covers_local_seq FROM statements") == [("final", mark)]
    assert f"覆盖村卫生室上传数据至第 {mark} 条" in page.detail.status.text()
    statement_no = page.selected_statement().statement_no
    # a second 定稿 is not offered: the page says so
    _focus(qtbot, window, page)
    press(Qt.Key.Key_Return, CTRL)
    settle()
    assert "已定稿" in page.error.text()
    artifact(window, "statements-township-final")
    # the subsidy of a final month can no longer change: refused in the dialog, nothing written
    press(Qt.Key.Key_B, CTRL)
    settle()
    dialog = page.dialog
    assert "已定稿，不能再修改" in dialog.current.text()
    dialog.amount.setText("60")
    dialog.submit()
    settle()
    assert dialog.isVisible() and "已定稿，基药补助不能再修改" in dialog.error.text()
    assert w.town.sql("SELECT amount_fen FROM essential_drug_subsidies") == [(5000,)]
    dialog.reject()
    settle()
    _focus(qtbot, window, page)

    # 打印 (Ctrl+P): the PDF, read back
    press(Qt.Key.Key_P, CTRL)
    settle()
    assert page.printed and page.printed[-1].exists()
    text = " ".join(pdf_text(page.printed[-1]).split())
    for words in (statement_no, village_name, fen_to_yuan(SUPPLIED_FEN), fen_to_yuan(d.carried_out_fen)):
        assert words in text, words

    # 导出 Excel: the month's statement report of every village, read back
    path = tmp_path / "统一结算单.xlsx"
    page.export_to(path)
    settle()
    sheet = load_workbook(path).active
    values = [[c for c in r] for r in sheet.iter_rows(values_only=True)]
    header = next(r for r in values if r and r[0] == "村卫生室")
    line = dict(zip(header, values[values.index(header) + 1], strict=True))
    assert line["村卫生室"] == village_name
    assert round(float(line["本月供药金额"]) * 100) == SUPPLIED_FEN
    assert round(float(line["结转下月"]) * 100) == d.carried_out_fen

    # 节约医保基金 (Alt+2)
    press(Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    settle()
    assert page.tabs.currentIndex() == 1 and page.savings_model.rowCount() == 2
    assert f"节约医保基金合计 {fen_to_yuan(SAVINGS_FEN)} 元" in page.savings_total.text()
    assert page.savings_model.index(0, 0).data() == "阿莫西林胶囊"  # the larger saving first
    assert page.savings_model.index(0, 2).data() == "10盒"
    artifact(window, "statements-savings")
    savings_path = tmp_path / "节约医保基金.xlsx"
    page.export_to(savings_path, savings=True)
    settle()
    saved = [r for r in load_workbook(savings_path).active.iter_rows(values_only=True)]
    assert any(r and r[0] == "阿莫西林胶囊" for r in saved)
    qtmodeltester.check(page.model)
    qtmodeltester.check(page.savings_model)

    # the village: its final statement, the detail, 确认 once
    sync_window(window)  # the final statement goes up
    vwin, vpage = _window(qtbot, w.village.data, "doctor")
    sync_window(vwin)
    vpage.refresh()
    settle()
    assert vpage.model.rowCount() == 1
    cells = _cells(vpage)
    assert cells["月份"] == "2026年5月" and cells["结算单号"] == statement_no and cells["状态"] == "已定稿"
    assert cells["结转下月"] == fen_to_yuan(d.carried_out_fen)
    assert fen_to_yuan(d.from_subsidy_fen) in vpage.detail.body.text()
    assert vpage.ack_button.isEnabled()
    artifact(vwin, "statements-village-final")
    _focus(qtbot, vwin, vpage)
    press(Qt.Key.Key_Return, CTRL)
    settle()
    ack = vpage.dialog
    assert ack is not None and ack.isVisible() and ack.note is not None and ack.note.hasFocus()
    artifact(ack, "statements-village-acknowledge")
    ack.note.setPlainText("已核对")
    press(Qt.Key.Key_Return, CTRL)
    settle()
    assert _closed(ack)
    assert _cells(vpage)["状态"] == "村已确认" and not vpage.ack_button.isEnabled()
    assert w.village.sql("SELECT note FROM statement_acknowledgments") == [("已核对",)]
    _focus(qtbot, vwin, vpage)
    press(Qt.Key.Key_Return, CTRL)  # once only
    settle()
    assert "已经确认过了" in vpage.error.text()
    assert w.village.sql("SELECT count(*) FROM statement_acknowledgments") == [(1,)]
    artifact(vwin, "statements-village-acknowledged")
    press(Qt.Key.Key_P, CTRL)  # the village prints its copy
    settle()
    assert vpage.printed and statement_no in " ".join(pdf_text(vpage.printed[-1]).split())
    qtmodeltester.check(vpage.model)
    # the township sees it acknowledged after both sync
    sync_window(vwin)
    sync_window(window)
    page.tabs.setCurrentIndex(0)
    settle()
    assert _cells(page)["状态"] == "村已确认"
