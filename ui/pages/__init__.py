"""The page registry: which areas have a real page, and which dashboard tile providers exist.

To add a page for an area of ``app.domain.roles.AREAS``:

1. write the package ``ui/pages/<area>/`` with a ``ui.widgets.page.Page`` subclass in ``page.py`` (set
   ``area``; implement ``refresh()``; optionally ``watches``, ``open_target(target)``, ``focus_first()``);
   a page imports no other page: what two pages share goes to ``ui/widgets`` or ``ui/models``;
2. add one line to ``PAGES`` below: ``"<area>": "ui.pages.<area>.page:<ClassName>",``.

The navigation then shows it to the roles of ``app.domain.roles.visible_areas`` (Ctrl+digit by
position), the smoke test renders it, and ``installer/screenshots.py`` photographs it.

To add 工作台 tiles: write ``def <area>_tiles(sv, scope) -> list[ui.tiles.Tile]`` (services only; it
runs on the database thread) and add ``"module:function"`` to ``TILE_PROVIDERS``.

Modules are imported only when a page is first opened, so start-up stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ui.widgets.page import Page

#: area → "module:Class"; the order of the navigation is AREAS', not this dict's
PAGES: dict[str, str] = {
    "dashboard": "ui.pages.dashboard.page:DashboardPage",
    "settings": "ui.pages.settings.page:SettingsPage",
    "residents": "ui.pages.residents.page:ResidentsPage",
    "outpatient": "ui.pages.outpatient.page:OutpatientPage",
    "reports": "ui.pages.reports.page:ReportsPage",
    "stock": "ui.pages.stock.page:StockPage",
    "sync": "ui.pages.sync.page:SyncPage",
    "cases": "ui.pages.cases.page:CasesPage",
    "village_stock": "ui.pages.village_stock.page:VillageStockPage",
    "transfers": "ui.pages.transfers.page:TransfersPage",
    "statements": "ui.pages.statements.page:StatementsPage",
}

#: "module:function" of every dashboard tile provider
TILE_PROVIDERS: tuple[str, ...] = (
    "ui.tiles:core_tiles",
    "ui.pages.outpatient.tiles:outpatient_tiles",
    "ui.pages.stock.tiles:stock_tiles",
    "ui.pages.cases.tiles:cases_tiles",
    "ui.pages.transfers.tiles:transfers_tiles",
    "ui.pages.village_stock.tiles:village_stock_tiles",
)


def available_areas() -> set[str]:
    """Areas that have a real page (without importing any page module)."""
    return set(PAGES)


def page_class(area: str) -> type[Page]:
    """Import and return the page class registered for ``area``."""
    module, _, name = PAGES[area].partition(":")
    cls = getattr(importlib.import_module(module), name)
    if getattr(cls, "area", None) != area:
        raise TypeError(f"{PAGES[area]} must set area = {area!r}")
    return cls
