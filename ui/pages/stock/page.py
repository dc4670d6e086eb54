"""药品库存: on hand, batches, stock card, receiving, stocktake, write-off and the catalog, one tab each.

Keyboard: Alt+1…7 (or Ctrl+Tab) switch tabs; in each tab Ctrl+F searches, Ctrl+E exports, Ctrl+N
starts the tab's main action and Enter opens or confirms. 工作台 tiles open their list here through
``open_target`` (``near_expiry``, ``urgent``, ``expired``, ``no_code``, ``low``; ``card:<drug id>``
opens a drug's stock card).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from ui.pages.stock.card import StockCardTab
from ui.pages.stock.catalog import CatalogTab
from ui.pages.stock.count import StocktakeTab
from ui.pages.stock.onhand import BatchesTab, OnHandTab
from ui.pages.stock.receive import ReceiveTab
from ui.pages.stock.writeoff import WriteOffTab
from ui.widgets.page import TabbedPage

#: tab key → (label, class)
TABS: dict[str, tuple[str, type]] = {
    "onhand": ("库存", OnHandTab),
    "batches": ("批次", BatchesTab),
    "card": ("库存台账", StockCardTab),
    "receive": ("入库", ReceiveTab),
    "stocktake": ("盘点", StocktakeTab),
    "writeoff": ("报损/退回", WriteOffTab),
    "catalog": ("药品目录", CatalogTab),
}

#: 工作台 tile target → (tab, filter)
TARGETS = {
    "near_expiry": ("batches", "near_expiry"),
    "urgent": ("batches", "urgent"),
    "expired": ("batches", "expired"),
    "no_code": ("batches", "no_code"),
    "low": ("onhand", "low"),
}


class StockPage(TabbedPage):
    """The 药品库存 area."""

    area = "stock"
    watches = ("stock", "catalog", "stocktake", "outpatient", "settlement", "transfers", "settings")

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.hint = self.add_header("Alt+1…7 切换分页 · Ctrl+F 搜索 · Ctrl+E 导出 · Ctrl+N 新建 · F5 刷新")
        self.add_tabs(TABS, "stock")

    def tab_label(self, key: str, label: str) -> str:
        if key == "writeoff" and not (self.can_return and self.can_write_off):
            return self.removal_label
        return label

    # -- roles ------------------------------------------------------------------------------------
    @property
    def can_edit_catalog(self) -> bool:
        """Catalog upkeep (admins and township pharmacists, per ``app.domain.permissions``)."""
        return self.ctx.allows("catalog.update")

    @property
    def can_return(self) -> bool:
        """退回乡镇: at a village clinic (the township's own store has no township above it)."""
        return self.ctx.allows("stock.return_to_township")

    @property
    def can_write_off(self) -> bool:
        """报损 (admins and township pharmacists)."""
        return self.ctx.allows("stock.write_off")

    @property
    def can_reverse_movement(self) -> bool:
        """冲正 a row of the stock card (admins and township pharmacists)."""
        return self.ctx.allows("stock.reverse_movement")

    @property
    def removal_label(self) -> str:
        """What the 报损/退回 tab is called for this user: only what they may do."""
        return "/".join(label for key, label in (("write_off", "报损"), ("return", "退回乡镇"))
                        if self.can_write_off and key == "write_off" or self.can_return and key == "return")

    @property
    def store_id(self) -> str | None:
        return self.ctx.site.store_id

    # -- tabs -------------------------------------------------------------------------------------
    def open_target(self, target: str | None) -> None:
        if not target:
            return
        if target.startswith("card:"):
            self.show_card(target.removeprefix("card:"))
            return
        if target in TARGETS:
            key, value = TARGETS[target]
            self.show_tab(key).set_alert(value)
        elif target in self.tab:
            self.show_tab(target)

    # -- jumps between tabs ---------------------------------------------------------------------
    def show_card(self, drug_id: str) -> None:
        self.show_tab("card").open_drug(drug_id)

    def show_batches(self, text: str) -> None:
        self.show_tab("batches", focus=True).set_filter_text(text)

    def show_receive(self, drug_id: str | None = None) -> None:
        tab = self.show_tab("receive")
        if drug_id:
            tab.form.preset_drug(drug_id)
        else:
            tab.focus_first()

    def show_writeoff(self, batch_id: str | None = None, kind: str = "write_off") -> None:
        tab = self.show_tab("writeoff")
        tab.preset(batch_id, kind)
