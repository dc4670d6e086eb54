"""报表 at 1366×768: 门诊日志's 合计 row counts the visits and sums 金额 and 统筹支付 (a reversed visit
left out), its money columns show without scrolling sideways; 收费日报 and 月度统筹汇总 totals are
the sums of their rows; the Excel file ends with the same 合计 row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt

from app.domain import clock
from app.domain.money import fen_to_yuan, round_half_up_div
from op_keys import OFFSCREEN_POPUP_NOISE, UNTIL_MS, settle
from op_seed import PASSWORD, settle_visit

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


@pytest.fixture
def visits(clinic):  # noqa: ANN001, ANN201
    """Three visits this morning; 王五's is reversed."""
    from app.bootstrap import bootstrap

    data, seeded = clinic
    start = clock.now().replace(microsecond=0) - timedelta(minutes=10)
    done = [settle_visit(data, seeded, at=start + timedelta(minutes=i), who=who, lines=lines)
            for i, (who, lines) in enumerate((("zhangsan", {"amox": 24, "amlo": 28}), ("lisi", {"vitc": 100}),
                                              ("wangwu", {"amlo": 28})))]
    sv = bootstrap(data)
    try:
        sv.identity.sign_in("doctor", PASSWORD)
        sv.settlement.reverse(done[2].id, "开错药", at=start + timedelta(minutes=5))
    finally:
        sv.close()
    return done


def _visible_without_scrolling(page, key: str) -> bool:  # noqa: ANN001
    col = [c.key for c in page.table.columns].index(key)
    header = page.view.horizontalHeader()
    right = header.sectionViewportPosition(col) + header.sectionSize(col)
    return not header.isSectionHidden(col) and 0 <= header.sectionViewportPosition(col) and \
        right <= page.view.viewport().width()


def _shown_totals(page) -> dict[str, str]:  # noqa: ANN001
    model, last = page.model, page.model.rowCount() - 1
    return {c.key: model.data(model.index(last, i)) for i, c in enumerate(page.table.columns)}


def test_daily_log_totals_and_money_columns_at_1366(qtbot, doctor_window, visits, tmp_path, artifact) -> None:
    live = visits[:2]
    window, page = doctor_window("reports")
    assert (window.width(), window.height()) == (1366, 768)
    qtbot.waitUntil(lambda: page.table is not None and page.table.title == "门诊日志", timeout=UNTIL_MS)
    settle()
    table = page.table
    assert len(table.rows) == 3 and [r["status"] for r in table.rows] == ["", "", "已冲正"]
    counted = [r for r in table.rows if not r["status"]]
    assert table.totals["amount_fen"] == sum(r["amount_fen"] for r in counted) == sum(v.split.total_fen for v in live)
    assert table.totals["fund_fen"] == sum(r["fund_fen"] for r in counted) == \
        sum(v.split.fund_fen + v.split.general_fee_fund_fen for v in live)
    shown = _shown_totals(page)
    first = table.columns[0].key
    assert shown[first] == "合计" and shown["name"] == "2 人次" and shown["status"] == "已冲正 1"
    assert shown["amount_fen"] == fen_to_yuan(table.totals["amount_fen"])
    assert shown["fund_fen"] == fen_to_yuan(table.totals["fund_fen"])
    assert [c.key for c in table.columns][-1] == "drugs" and "date" not in [c.key for c in table.columns]
    assert "金额单位：元" in page.subtitle.text()

    assert page.view.horizontalScrollBar().maximum() == 0
    for key in ("name", "amount_fen", "fund_fen", "status"):
        assert _visible_without_scrolling(page, key), key
    drugs = [c.key for c in table.columns].index("drugs")
    tip = page.model.data(page.model.index(0, drugs), Qt.ItemDataRole.ToolTipRole)  # the whole 药品 text
    assert tip == table.rows[0]["drugs"] and "阿莫西林胶囊" in tip and "苯磺酸氨氯地平片" in tip
    artifact(window, "reports-daily-log-totals")

    xlsx = tmp_path / "log.xlsx"
    page.export_to(xlsx, "xlsx")
    settle()
    last = [c.value for c in list(load_workbook(xlsx).active.iter_rows())[-1]]
    keys = [c.key for c in table.columns]
    assert last[0] == "合计" and last[keys.index("name")] == "2 人次"
    assert last[keys.index("amount_fen")] == round(table.totals["amount_fen"] / 100, 2)

    page.mode.setCurrentIndex(page.mode.findData("month"))  # the month: the date column comes back
    page.build_report()
    qtbot.waitUntil(lambda: page.table is not None and page.table.columns[0].key == "date", timeout=UNTIL_MS)
    settle()
    assert page.table.totals["amount_fen"] == table.totals["amount_fen"] and _shown_totals(page)["date"] == "合计"
    for key in ("amount_fen", "fund_fen"):
        assert _visible_without_scrolling(page, key), key


def test_settlement_reports_totals_are_the_sums_of_their_rows(qtbot, doctor_window, visits) -> None:
    window, page = doctor_window("reports")
    page.select("settlements")
    qtbot.waitUntil(lambda: page.table is not None and page.table.title == "收费日报", timeout=UNTIL_MS)
    settle()
    table = page.table
    numeric = [c.key for c in table.columns if c.kind in ("int", "fen")]
    assert {k: table.totals[k] for k in numeric} == {k: sum(r[k] for r in table.rows) for k in numeric}
    assert table.totals["net_visits"] >= 2 and table.totals["reversals"] >= 1
    shown = _shown_totals(page)
    assert shown["total_fen"] == fen_to_yuan(table.totals["total_fen"]) and shown["visits"] == str(table.totals["visits"])
    assert page.view.horizontalScrollBar().maximum() == 0  # every money column fits at 1366×768

    page.select("monthly-summary")
    qtbot.waitUntil(lambda: page.table is not None and page.table.title == "月度统筹汇总", timeout=UNTIL_MS)
    settle()
    table = page.table
    summed = [c.key for c in table.columns if c.kind in ("int", "fen") and c.key != "average_fen"]
    assert {k: table.totals[k] for k in summed} == {k: sum(r[k] for r in table.rows) for k in summed}
    month = next(r for r in table.rows if r["month"] == clock.today().strftime("%Y-%m"))
    assert month["visits"] == 2 and month["total_fen"] == sum(v.split.total_fen for v in visits[:2])  # reversed: left out
    assert table.totals["average_fen"] == round_half_up_div(table.totals["total_fen"], table.totals["visits"])
    assert _shown_totals(page)["average_fen"] == fen_to_yuan(table.totals["average_fen"])
    assert page.view.horizontalScrollBar().maximum() == 0
