"""工作台 stock tiles: the right counts and values, and each opens its own list on the 药品库存 page."""

from __future__ import annotations


from stock_ui import settle
from PySide6.QtCore import Qt

from app.bootstrap import bootstrap
from app.domain import clock
from app.domain.enums import Role, SiteKind
from ui.pages.stock.tiles import stock_tiles
from ui.tiles import TileScope


def _scope(areas: set[str]) -> TileScope:
    return TileScope(Role.VILLAGE_DOCTOR, SiteKind.VILLAGE, clock.today(), frozenset(areas))


def test_tiles_count_and_value(stock_site) -> None:
    data, small = stock_site()
    sv = bootstrap(data)
    try:
        tiles = {t.key: t for t in stock_tiles(sv, _scope({"dashboard", "stock"}))}
        assert stock_tiles(sv, _scope({"dashboard", "cases"})) == []  # no stock area, no stock tiles
        near = tiles["stock.near_expiry"]
        # 阿莫西林 A2401: 2 boxes of 12.00 expiring in 60 days (urgent: ≤ 90)
        assert (near.title, near.figure, near.subtitle) == ("近效期", "1 种", "¥24.00 · 90 天内 1 种")
        assert (near.severity, near.area, near.target) == ("danger", "stock", "near_expiry")
        assert (tiles["stock.expired"].figure, tiles["stock.expired"].severity) == ("0 种", "ok")
        low = tiles["stock.low"]  # 硝苯地平: 30 片 on hand, minimum 60
        assert (low.figure, low.target) == ("1 种", "low") and low.subtitle.startswith("硝苯地平缓释片 · ")
        no_code = tiles["stock.no_code"]  # 维生素B1 arrived without codes
        assert (no_code.figure, no_code.subtitle, no_code.target) == ("1 种", "1 个批次无追溯码 · 可照常销售", "no_code")
    finally:
        sv.close()


def test_dashboard_tiles_open_their_lists(qtbot, stock_site, open_window) -> None:
    data, small = stock_site()
    window = open_window("village", "doctor", data=data)
    dashboard = window.current_page()
    settle()
    shown = {w.tile.key: w for w in dashboard.grid.tiles}
    assert {"stock.near_expiry", "stock.expired", "stock.low", "stock.no_code"} <= set(shown)
    assert shown["stock.near_expiry"].figure_label.text() == "1 种"

    tile = shown["stock.near_expiry"]
    tile.setFocus()
    qtbot.keyClick(tile, Qt.Key.Key_Return)
    settle()
    page = window.current_page()
    assert page.area == "stock" and page.current_key() == "batches"
    batches = page.tab["batches"]
    assert batches.alert.currentData() == "near_expiry"
    assert [b.batch_no for b in batches.model.rows()] == ["A2401"]

    window.go("dashboard")
    settle()
    window.current_page().grid.activated.emit(shown["stock.low"].tile)
    settle()
    onhand = page.tab["onhand"]
    assert page.current_key() == "onhand" and onhand.alert.currentData() == "low"
    assert [r.generic_name for r in onhand.model.rows()] == ["硝苯地平缓释片"]

    window.go("stock", "no_code")
    settle()
    assert page.current_key() == "batches" and [b.batch_no for b in batches.model.rows()] == ["V2312"]
    window.go("stock", "expired")
    settle()
    assert batches.model.rowCount() == 0 and batches.summary.text().startswith("0 个批次")


def test_low_stock_figure_is_the_same_on_the_tile_and_the_stock_list(stock_site, open_stock) -> None:
    data, small = stock_site()
    sv = bootstrap(data)
    try:
        sv.stock.dispense(small.nife.id, 30)  # 硝苯地平 now out of stock: still 库存不足, no longer listed
        tile = {t.key: t for t in stock_tiles(sv, _scope({"dashboard", "stock"}))}["stock.low"]
    finally:
        sv.close()
    assert tile.figure == "1 种"
    _window, page = open_stock(data)
    onhand = page.tab["onhand"]
    assert "硝苯地平缓释片" not in [r.generic_name for r in onhand.model.rows()]
    assert "库存不足 1 种" in onhand.summary.text()
