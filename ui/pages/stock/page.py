"""药品库存: on hand, batches, stock card, receiving, stocktake, write-off and the catalog, one tab each.

Keyboard: Alt+1…7 (or Ctrl+Tab) switch tabs; in each tab Ctrl+F searches, Ctrl+E exports, Ctrl+N
starts the tab's main action and Enter opens or confirms. 工作台 tiles open their list here through
``open_target`` (``near_expiry``, ``urgent``, ``expired``, ``no_code``, ``low``; ``card:<drug id>``
opens a drug's stock card).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTabWidget, QWidget

from ui.pages.stock.card import StockCardTab
from ui.pages.stock.catalog import CatalogTab
from ui.pages.stock.count import StocktakeTab
from ui.pages.stock.onhand import BatchesTab, OnHandTab
from ui.pages.stock.receive import ReceiveTab
from ui.pages.stock.writeoff import WriteOffTab
from ui.widgets.layout import shortcut
from ui.widgets.page import Page

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


class StockPage(Page):
    """The 药品库存 area."""

    area = "stock"
    watches = ("stock", "catalog", "stocktake", "outpatient", "settlement", "transfers", "settings")

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.hint = self.add_header("Alt+1…7 切换分页 · Ctrl+F 搜索 · Ctrl+E 导出 · Ctrl+N 新建 · F5 刷新")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("stockTabs")
        self.tabs.setDocumentMode(False)
        self.tab: dict[str, Any] = {}
        self._stale_tabs: set[str] = set()
        for i, (key, (label, cls)) in enumerate(TABS.items(), start=1):
            widget = cls(self)
            widget.setObjectName(f"stock_{key}")
            self.tab[key] = widget
            if key == "writeoff" and not (self.can_return and self.can_write_off):
                label = self.removal_label
            self.tabs.addTab(widget, label)
            self.tabs.setTabToolTip(i - 1, f"{label}（Alt+{i}）")
            shortcut(self, f"Alt+{i}", lambda k=key: self.show_tab(k, focus=True))
        shortcut(self, "F5", self.refresh)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.body().addWidget(self.tabs, 1)

    def unsaved_work(self) -> str | None:
        """The first tab with typed input that is not saved (a tab may define ``unsaved_work``)."""
        for widget in self.tab.values():
            found = getattr(widget, "unsaved_work", None)
            text = found() if callable(found) else None
            if text:
                return text
        return None

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
    def current_key(self) -> str:
        widget = self.tabs.currentWidget()
        return next(k for k, w in self.tab.items() if w is widget)

    def show_tab(self, key: str, *, focus: bool = False) -> Any:
        widget = self.tab[key]
        self.tabs.setCurrentWidget(widget)
        if focus:
            widget.focus_first()
        return widget

    def _tab_changed(self, _index: int) -> None:
        key = self.current_key()
        if key in self._stale_tabs:
            self._stale_tabs.discard(key)
            self.tab[key].refresh()

    def refresh(self) -> None:
        current = self.current_key()
        self._stale_tabs = set(self.tab) - {current}
        self.tab[current].refresh()

    def focus_first(self) -> None:
        self.tab[self.current_key()].focus_first()

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
