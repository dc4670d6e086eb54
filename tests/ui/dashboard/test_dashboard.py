"""工作台: tiles from the registered providers, coloured by severity, opening their lists."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.domain.errors import RuleViolation
from ui.tiles import Tile
from ui.workers import wait_idle


def extra_tiles(sv, scope):  # noqa: ANN001, ANN201 - a provider as another area would write it
    return [Tile("stock.near_expiry", "近效期", "12 种", "¥356.20", "warn", "stock", "near_expiry", 20),
            Tile("cases.due", "帮办到期", "3 件", "", "danger", "cases", None, 30)]


def broken_tiles(sv, scope):  # noqa: ANN001, ANN201
    raise RuleViolation("库存数据正在重建，请稍后再看")


def _tiles(window) -> dict[str, object]:  # noqa: ANN001
    return {w.tile.key: w for w in window.pages["dashboard"].grid.tiles}


@pytest.fixture
def core_only(monkeypatch):  # noqa: ANN001, ANN201
    """Only the core tile provider (other areas' providers are tested with their pages)."""
    import ui.pages.dashboard.page as dashboard

    monkeypatch.setattr(dashboard, "TILE_PROVIDERS", ("ui.tiles:core_tiles",))
    return dashboard


def test_village_doctor_sees_today_and_sync_tiles(open_window, core_only) -> None:
    window = open_window("village", "doctor")
    tiles = _tiles(window)
    assert set(tiles) == {"outpatient.today", "sync.pending"}
    today = tiles["outpatient.today"]
    assert today.figure_label.text() == "0 人次" and today.subtitle_label.text() == "今天还没有结算"
    pending = window.ctx.sv.status.sync_state().pending
    assert tiles["sync.pending"].figure_label.text() == f"{pending} 条"
    # a tile opens its area only when that area has a page
    assert today.clickable is ("outpatient" in window.areas)
    assert today.focusPolicy() == (Qt.FocusPolicy.StrongFocus if today.clickable else Qt.FocusPolicy.NoFocus)


def test_admin_backup_tile_turns_green_after_a_backup_and_opens_the_backup_tab(open_window, qtbot, core_only) -> None:
    window = open_window("village", "admin")
    backup = _tiles(window)["settings.backup"]
    assert backup.tile.severity == "danger" and backup.figure_label.text() == "从未备份"
    assert backup.clickable
    backup.setFocus()
    qtbot.keyClick(backup, Qt.Key.Key_Return)
    assert wait_idle()
    assert window.current_area() == "settings"
    page = window.pages["settings"]
    assert page.tabs.currentWidget() is page.backup_tab
    page.backup_tab.backup_now()
    assert wait_idle()
    window.open_area("dashboard")
    qtbot.waitUntil(lambda: _tiles(window)["settings.backup"].tile.severity == "ok", timeout=10000)
    assert _tiles(window)["settings.backup"].figure_label.text().endswith("分钟前")


def test_township_has_no_outpatient_tile(open_window, core_only) -> None:
    window = open_window("township", "pharmacist")
    assert set(_tiles(window)) == {"sync.pending"}


def test_registered_providers_add_tiles_in_order_and_failures_become_red_tiles(open_window, core_only, monkeypatch) -> None:
    monkeypatch.setattr(core_only, "TILE_PROVIDERS", ("ui.tiles:core_tiles", f"{__name__}:extra_tiles",
                                                      f"{__name__}:broken_tiles"))
    window = open_window("township", "caseworker")
    keys = [w.tile.key for w in window.pages["dashboard"].grid.tiles]
    # a case worker has no 药品库存 area: the stock tile is hidden; order follows Tile.order
    assert keys == ["cases.due", "sync.pending", f"error.{__name__}:broken_tiles"]
    error = _tiles(window)[f"error.{__name__}:broken_tiles"]
    assert error.tile.severity == "danger" and error.subtitle_label.text() == "库存数据正在重建，请稍后再看"
    assert error.property("severity") == "danger"


def test_arrow_keys_move_between_clickable_tiles(open_window, qtbot, monkeypatch) -> None:
    import ui.pages.dashboard.page as dashboard

    def clickable(sv, scope):  # noqa: ANN001, ANN202
        return [Tile(f"settings.t{i}", f"磁贴{i}", str(i), area="settings", order=i) for i in range(6)]

    monkeypatch.setattr(dashboard, "TILE_PROVIDERS", (f"{__name__}:extra_tiles",))
    monkeypatch.setattr(dashboard, "collect_tiles", lambda sv, scope, providers: clickable(sv, scope))
    window = open_window("village", "admin")
    grid = window.pages["dashboard"].grid
    window.pages["dashboard"].focus_first()
    assert grid.tiles[0].hasFocus() or window.focusWidget() is grid.tiles[0]
    qtbot.keyClick(grid.tiles[0], Qt.Key.Key_Right)
    assert window.focusWidget() is grid.tiles[1]
    qtbot.keyClick(grid.tiles[1], Qt.Key.Key_Down)
    assert window.focusWidget() is grid.tiles[5]
