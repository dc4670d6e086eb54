"""调拨与报量: a village's 报量 and 调拨入库, and the township's side of the same documents (报量审核, 调拨出库,
在途) with its purchasing (采购入库, 采购记录, 配送企业) and the villages' returns (退货验收).

Keyboard: Alt+1… switch tabs; Ctrl+N starts the tab's main document (报量, 新建调拨, a new 采购入库, a new
配送企业); Enter opens the selected row (清点入库, 审核); Ctrl+Enter confirms (出库, 入库, a dialog's OK); Ctrl+P
prints the 配货单; Del 撤回/作废; F5 refreshes. 工作台 tiles open a tab through ``open_target`` (``incoming``,
``review``, ``drafts``, ``in_transit``, ``returns``, ``new``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from app.domain import clock
from app.domain.enums import SiteKind
from ui.pages.transfers.purchase import PurchaseTab
from ui.pages.transfers.purchase_records import DistributorsTab, PurchasesTab
from ui.pages.transfers.township import (
    InTransitTab,
    ReturnsTab,
    ReviewTab,
    ShipmentsTab,
    fill_villages,
)
from ui.pages.transfers.village import IncomingTab, RequisitionsTab
from ui.printing import open_to_print, unique_path
from ui.widgets.page import TabbedPage
from ui.workers import Op

VILLAGE_TABS: dict[str, tuple[str, type]] = {
    "requisitions": ("报量", RequisitionsTab),
    "incoming": ("调拨入库", IncomingTab),
}
TOWNSHIP_TABS: dict[str, tuple[str, type]] = {
    "review": ("报量审核", ReviewTab),
    "shipments": ("调拨出库", ShipmentsTab),
    "in_transit": ("在途", InTransitTab),
    "purchase": ("采购入库", PurchaseTab),
    "purchases": ("采购记录", PurchasesTab),
    "distributors": ("配送企业", DistributorsTab),
    "returns": ("退货验收", ReturnsTab),
}
#: 工作台 tile target → tab
TARGETS = {"new": "requisitions", "drafts": "shipments", "waiting": "review"}


class TransfersPage(TabbedPage):
    """The 调拨与报量 area, for a village clinic or for its township."""

    area = "transfers"
    watches = ("transfers", "stock", "catalog", "sync", "sites")

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.township = ctx.site_kind is SiteKind.TOWNSHIP
        tabs = TOWNSHIP_TABS if self.township else VILLAGE_TABS
        hint = ("Alt+1…7 切换 · Enter 审核/打开 · Ctrl+N 新建 · Ctrl+Enter 出库/入库 · Ctrl+P 打印配货单 · F5 刷新"
                if self.township else "Alt+1 报量 · Alt+2 调拨入库 · Ctrl+N 报量 · Enter 清点入库 · F5 刷新")
        self.hint = self.add_header(hint)
        #: where each printed 配货单 went, the latest last
        self.printed: list[Path] = []
        self.add_tabs(tabs, "transfers")

    # -- tabs -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        super().refresh()
        if self.township:
            Op(self, self.villages).success(self._villages).run()

    def _villages(self, villages: list[tuple[str, str]]) -> None:
        for widget in self.tab.values():
            box = getattr(widget, "village", None)
            if box is not None:
                fill_villages(box, villages)

    def villages(self) -> list[tuple[str, str]]:
        """(name, id) of this township's villages (runs on the database thread)."""
        here = self.ctx.site.id
        return sorted((s.name, s.id) for s in self.ctx.sv.sites.all()
                      if s.kind is SiteKind.VILLAGE and s.township_id in (here, None))

    def open_target(self, target: str | None) -> None:
        if not target:
            return
        key = TARGETS.get(target, target)
        if key in self.tab:
            widget = self.show_tab(key, focus=True)
            if target == "new" and key == "requisitions":
                widget.new_requisition()

    # -- shared actions ---------------------------------------------------------------------------
    def show_shipment(self, shipment_id: str) -> None:
        """The 调拨出库 tab with ``shipment_id`` selected (after 审核 made it)."""
        self.show_tab("shipments").select(shipment_id)
        self.tab["shipments"].view.setFocus()

    def print_pick_list(self, info: Any) -> None:
        """打印配货单: the A5 PDF saved under exports/配货单/<month>/ and opened in the system's viewer to print
        (``open_to_print``: not on the virtual printer "PDF")."""
        folder = self.ctx.sv.data.exports / "配货单" / clock.now().strftime("%Y-%m")
        path = unique_path(folder, f"配货单-{info.shipment_no or info.to_site_name}")
        sv = self.ctx.sv

        def write() -> tuple[Path, str]:
            return sv.transfers.print_pick_list(info.id, path), str(sv.settings.get("printer_name") or "")

        def done(got: tuple[Path, str]) -> None:
            saved, printer = Path(got[0]), got[1]
            self.printed.append(saved)
            self.report(open_to_print(saved, printer, "配货单"))

        Op(self, write).busy("正在生成配货单…").success(done).run()
