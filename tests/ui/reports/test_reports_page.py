"""报表 page: 门诊日志 of today shows a settled visit, 收费日报 and 月度统筹汇总 build for the month,
exports as PDF and XLSX; and the 工作台 tiles of the outpatient area."""

from __future__ import annotations

import subprocess

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt

from op_keys import OFFSCREEN_POPUP_NOISE, UNTIL_MS, press, settle
from op_seed import settle_visit
from ui.pages.outpatient.tiles import outpatient_tiles
from ui.tiles import TileScope

from app.domain import clock

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def test_reports_build_for_the_day_and_month_and_export(qtbot, doctor_window, clinic, tmp_path, artifact) -> None:
    data, seeded = clinic
    info = settle_visit(data, seeded, lines={"amox": 24, "vitc": 100})
    window, page = doctor_window("reports")
    assert page.current_name() == "daily-log"
    qtbot.waitUntil(lambda: page.table is not None, timeout=UNTIL_MS)
    table = page.table
    assert table.title == "门诊日志" and len(table.rows) == 1
    row = table.rows[0]
    assert row["name"] == "张三" and row["receipt_no"] == info.receipt_no and row["amount_fen"] == info.split.total_fen
    assert "阿莫西林胶囊 1盒" in row["drugs"] and "维生素C片 1瓶" in row["drugs"]
    model = page.model
    assert model.rowCount() == 2  # the visit and the totals row
    amount_col = [c.key for c in table.columns].index("amount_fen")
    assert model.data(model.index(1, 0)) == "合计"
    assert model.data(model.index(1, amount_col)) == f"{info.split.total_fen / 100:.2f}"
    artifact(window, "reports-daily-log")

    page.list.setFocus()
    press(Qt.Key.Key_Down)  # 收费日报, for this month
    qtbot.waitUntil(lambda: page.table is not None and page.table.title == "收费日报", timeout=UNTIL_MS)
    settle()
    today = clock.today().isoformat()
    day = next(r for r in page.table.rows if r["date"] == today)
    assert day["visits"] == 1 and day["total_fen"] == info.split.total_fen
    assert day["cash_fen"] == info.split.patient_pays_fen

    press(Qt.Key.Key_Down)  # 月度统筹汇总
    qtbot.waitUntil(lambda: page.table is not None and page.table.title == "月度统筹汇总", timeout=UNTIL_MS)
    settle()
    month = next(r for r in page.table.rows if r["month"] == today[:7])
    assert month["visits"] == 1 and month["fund_fen"] == info.split.fund_fen + info.split.general_fee_fund_fen

    pdf, xlsx = tmp_path / "summary.pdf", tmp_path / "summary.xlsx"
    page.export_to(pdf, "pdf")
    page.export_to(xlsx, "xlsx")
    settle()
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "月度统筹汇总" in text and "次均费用" in text
    sheet = load_workbook(xlsx).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][0] == "月度统筹汇总" and any(r[0] == today[:7] and r[1] == 1 for r in values)
    assert "已导出" in page.subtitle.text()


def test_stock_report_needs_no_period(qtbot, doctor_window) -> None:
    window, page = doctor_window("reports")
    page.select("stock")
    qtbot.waitUntil(lambda: page.table is not None and page.table.title == "库存报表", timeout=UNTIL_MS)
    assert not page.mode.isVisible() and not page.day.isVisible() and not page.month.isVisible()
    names = {r.get("generic_name") or r.get("name") for r in page.table.rows}
    assert {"苯磺酸氨氯地平片", "阿莫西林胶囊", "维生素C片"} <= names


def test_outpatient_tiles_show_the_month_fund_and_uncovered_visits(clinic) -> None:
    from app.bootstrap import bootstrap
    from app.domain.enums import Role, SiteKind

    data, seeded = clinic
    covered = settle_visit(data, seeded)
    settle_visit(data, seeded, who="lisi", lines={"vitc": 100})
    sv = bootstrap(data)
    try:
        scope = TileScope(Role.VILLAGE_DOCTOR, SiteKind.VILLAGE, clock.today(), frozenset({"outpatient", "reports"}))
        tiles = {t.key: t for t in outpatient_tiles(sv, scope)}
    finally:
        sv.close()
    fund = covered.split.fund_fen + covered.split.general_fee_fund_fen
    assert tiles["outpatient.month_fund"].figure == f"¥{fund / 100:.2f}"
    assert "2 人次" in tiles["outpatient.month_fund"].subtitle
    uncovered = tiles["outpatient.uncovered"]
    assert uncovered.figure == "1 人次" and "李四" in uncovered.subtitle and "未参保 1" in uncovered.subtitle
    assert uncovered.area == "outpatient" and uncovered.target == "today" and uncovered.severity == "warn"


def test_township_picks_the_site_to_report_on(qtbot, open_window) -> None:
    window = open_window("township", "pharmacist")
    window.go("reports")
    settle()
    page = window.pages["reports"]
    assert page.site.isVisible() and page.site.count() >= 1
    assert page.site.currentData() == window.ctx.site.id
    page.select("monthly-summary")
    qtbot.waitUntil(lambda: page.table is not None and page.table.title == "月度统筹汇总", timeout=UNTIL_MS)
    assert page.period().site_id == window.ctx.site.id


def test_the_list_holds_only_reports_this_user_may_see(qtbot, open_window) -> None:
    """帮办代办事项 (ids, for cunyi report cases) is never on the page; 待乡镇加入目录的药品 needs sync.read,
    which a township pharmacist has; a report the user may not read is not offered at all."""
    from app.services.core.reports import load_reports, page_reports

    assert "cases" in load_reports() and "cases" not in page_reports(lambda _use_case: True)
    assert "unmapped-drugs" not in page_reports(lambda use_case: use_case != "sync.read")
    window = open_window("township", "pharmacist")
    window.go("reports")
    settle()
    page = window.pages["reports"]
    shown = [page.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(page.list.count())]
    assert shown[:4] == ["daily-log", "settlements", "monthly-summary", "stock"]
    assert "cases" not in shown and "unmapped-drugs" in shown
    assert page.list.count() == len(page_reports(window.ctx.allows))
