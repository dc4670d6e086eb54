"""村室药品 at a township (the small demo opened as its township): the overview table with each village's
figures, sorting and the tiles' filters, Enter down to a village's stock and a drug's paged stock card,
Esc back up, the monthly-usage charts, the Excel export, and the 工作台 tiles opening their lists.
Screenshots at 1366×768 go to tests/artifacts/."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete
from demo_cli import demo_data
from op_keys import OFFSCREEN_POPUP_NOISE, settle
from PySide6.QtCore import Qt

from app.bootstrap import bootstrap
from app.db.models import PeerSyncStatus
from app.domain import clock
from app.domain.enums import Role, SiteKind
from app.domain.money import fen_to_yuan
from ui.pages.village_stock.models import VillagesModel, VillagesProxy, money
from ui.pages.village_stock.tiles import village_stock_tiles
from ui.tiles import TileScope
from ui.workers import wait_idle

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)
PASSWORD = "demo1234"


@pytest.fixture(scope="module")
def township_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_data(tmp_path_factory.mktemp("demo-township-ui"))


@pytest.fixture
def township(township_build: Path, tmp_path: Path) -> Path:
    """A copy of the demo township where one village synced an hour ago and the others never did."""
    data = tmp_path / "township"
    shutil.copytree(township_build, data)
    sv = bootstrap(data, backup_before_migrate=False)
    try:
        first = sorted(sv.sites.all(), key=lambda s: s.name)
        village = next(s for s in first if s.kind == "village")
        now = clock.now().replace(tzinfo=None)
        with sv.db.unit_of_work() as uow:
            uow.session.execute(delete(PeerSyncStatus))  # the demo's picture of the last syncs, replaced
            uow.session.add(PeerSyncStatus(site_id=village.id, last_sync_at=now - timedelta(hours=1),
                                           last_local_seq=10, fetched_at=now))
    finally:
        sv.close()
    return data


def _window(qtbot, data: Path):
    from ui.app import create_main_window

    window = create_main_window(data, "pharmacist", PASSWORD)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    assert wait_idle()
    return window


def _open(qtbot, data: Path):
    window = _window(qtbot, data)
    window.activateWindow()
    window.go("village_stock")
    settle()
    assert wait_idle()
    settle()
    return window, window.pages["village_stock"]


def test_the_overview_shows_every_village_and_drills_down_by_keyboard(qtbot, township: Path, artifact) -> None:
    window, page = _open(qtbot, township)
    sv = window.ctx.sv
    figures = sv.overview.villages()
    assert page.proxy.rowCount() == len(figures) == 3
    names = [page.proxy.index(i, 0).data() for i in range(3)]
    assert sorted(names) == sorted(f.name for f in figures)
    first = page.proxy.figures(0)
    assert page.proxy.index(0, 1).data() == money(first.stock_value_fen)
    assert page.proxy.index(0, 4).data() == f"{first.vbp_share_bp // 100}.{first.vbp_share_bp % 100:02d}%"
    synced = [page.proxy.figures(i) for i in range(3) if page.proxy.figures(i).last_sync_at is not None]
    assert len(synced) == 1
    assert "3 个村卫生室" in page.summary.text() and "未同步 2 个村" in page.summary.text()
    assert page.village_chart.bars and page.township_chart.bars
    assert len(page.township_chart.bars) == 12
    artifact(window, "village-stock-overview")

    # sort by stock value, largest first (a click on the header does the same)
    page.view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    values = [page.proxy.figures(i).stock_value_fen for i in range(3)]
    assert values == sorted(values, reverse=True)

    # Enter on the selected village → its stock list
    page.view.setFocus()
    page.view.selectRow(0)
    village = page.selected_village()
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert wait_idle()
    settle()
    assert page.stack.currentIndex() == 1
    assert page.stock_title.text() == f"{village.name} · 药品库存"
    assert page.stock_model.rowCount() == village.kinds_stocked
    assert sum(r.value_fen for r in page.stock_model.rows()) == village.stock_value_fen
    assert wait_idle()
    settle()
    assert page.drug_chart.title.startswith(page.selected_drug().generic_name)
    artifact(window, "village-stock-village")

    # search narrows the list
    page.search.setText(page.stock_model.row(0).generic_name)
    assert wait_idle()
    assert 1 <= page.stock_model.rowCount() < village.kinds_stocked

    # Enter on a drug → its stock card, newest first, paged
    page.stock_view.setFocus()
    page.stock_view.selectRow(0)
    drug = page.selected_drug()
    qtbot.keyClick(page.stock_view, Qt.Key.Key_Return)
    assert wait_idle()
    settle()
    assert page.stack.currentIndex() == 2
    assert page.card_title.text() == f"{village.name} · {drug.generic_name} {drug.strength} · 库存台账"
    rows = page.card_model.rows()
    assert rows and [r.seq for r in rows] == sorted((r.seq for r in rows), reverse=True)
    assert rows[0].balance_units == drug.on_hand_units
    artifact(window, "village-stock-card")

    # Esc twice: back to the stock list, then to the overview
    qtbot.keyClick(page.card_view, Qt.Key.Key_Escape)
    assert page.stack.currentIndex() == 1
    qtbot.keyClick(page.stock_view, Qt.Key.Key_Escape)
    assert page.stack.currentIndex() == 0


def test_the_card_pages_as_it_scrolls(qtbot, township: Path) -> None:
    window, page = _open(qtbot, township)
    page.open_selected()
    assert wait_idle()
    sv = window.ctx.sv
    village = page.village
    busiest = max(page.stock_model.rows(),
                  key=lambda r: sv.stock.stock_card_count(village.store_id, r.drug_id))
    total = sv.stock.stock_card_count(village.store_id, busiest.drug_id)
    page.card_model.page_size = 5
    page.stock_view.selectRow(page.stock_model.find(lambda r: r.drug_id == busiest.drug_id))
    page.open_card()
    assert wait_idle()
    # the first page is the service's (200 rows or fewer): shrink it to see fetchMore at work
    first = page.card_model.rowCount()
    assert first == min(total, 200)
    while page.card_model.canFetchMore():
        page.card_model.fetchMore()
    assert page.card_model.rowCount() == total
    assert "已显示" in page.card_status.text() and "加载更多" not in page.card_status.text()


def test_filters_tiles_and_the_excel_export(qtbot, township: Path, tmp_path: Path, artifact) -> None:
    window, page = _open(qtbot, township)
    sv = window.ctx.sv
    scope = TileScope(Role.TOWNSHIP_PHARMACIST, SiteKind.TOWNSHIP, clock.today(),
                      frozenset({"dashboard", "village_stock"}))
    tiles = {t.key: t for t in village_stock_tiles(sv, scope)}
    assert set(tiles) == {"village_stock.stockouts", "village_stock.near_expiry", "village_stock.unsynced",
                          "village_stock.requisitions"}
    assert village_stock_tiles(sv, TileScope(Role.TOWNSHIP_PHARMACIST, SiteKind.TOWNSHIP, clock.today(),
                                             frozenset({"dashboard"}))) == []
    figures = sv.overview.villages()
    assert tiles["village_stock.unsynced"].figure == "2 个村"
    assert tiles["village_stock.stockouts"].figure == f"{sum(1 for f in figures if f.stockouts)} 个村"
    near = sum(f.near_expiry_value_fen for f in figures)
    assert tiles["village_stock.near_expiry"].figure == f"¥{fen_to_yuan(near)}"

    # the 工作台 shows them; Enter on 村室未同步 opens the overview filtered to those villages
    window.go("dashboard")
    dashboard = window.current_page()
    dashboard.refresh()
    assert wait_idle()
    settle()
    shown = {w.tile.key: w for w in dashboard.grid.tiles}
    assert "village_stock.unsynced" in shown
    artifact(window, "village-stock-dashboard")
    tile = shown["village_stock.unsynced"]
    tile.setFocus()
    qtbot.keyClick(tile, Qt.Key.Key_Return)
    assert wait_idle()
    settle()
    assert window.current_page() is page
    assert page.filter.currentData() == "unsynced"
    assert page.proxy.rowCount() == 2
    assert all(page.proxy.figures(i).last_sync_at is None for i in range(2))
    assert "显示 2 个" in page.summary.text()

    page.open_target("requisitions")
    waiting = sum(1 for f in figures if f.requisitions_waiting)
    assert page.proxy.rowCount() == waiting

    page.open_target("")
    page.filter.setCurrentIndex(0)
    assert page.proxy.rowCount() == 3

    path = tmp_path / "overview.xlsx"
    page.export_to(path)
    assert wait_idle()
    from openpyxl import load_workbook

    sheet = load_workbook(path).active
    assert sheet["A1"].value == "村室药品一览"
    assert sorted(sheet.cell(row=4 + i, column=2).value for i in range(3)) == sorted(f.name for f in figures)


def test_models_pass_the_model_tester(qtmodeltester, township: Path) -> None:
    sv = bootstrap(township, backup_before_migrate=False)
    try:
        sv.identity.sign_in("pharmacist", PASSWORD)
        figures = sv.overview.villages()
    finally:
        sv.close()
    model = VillagesModel()
    model.set_figures(figures, datetime(2026, 6, 15, 12, 0))
    qtmodeltester.check(model)
    proxy = VillagesProxy(model)
    proxy.sort(1, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy)
    proxy.set_filter("unsynced")
    qtmodeltester.check(proxy)
