"""The 库存 (on hand per drug) and 批次 (batches) tabs of the 药品库存 page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QTableView, QVBoxLayout

from app.services.stock.queries import BatchInfo, OnHandRow
from ui import errors
from ui.models.stock import BatchModel, OnHandModel, yuan
from ui.pages.stock.tabs import StockListTab
from ui.widgets.layout import ask_save_path, button, combo, hint, row, setup_table, shortcut, size_columns
from ui.workers import Op

ALERT_CHOICES = (("全部提示", None), ("近效期", "near_expiry"), ("效期紧急(≤90天)", "urgent"), ("已过期", "expired"),
                 ("库存不足", "low"), ("无码库存", "no_code"))
BATCH_CHOICES = (("全部批次", None), ("近效期", "near_expiry"), ("效期紧急(≤90天)", "urgent"), ("已过期", "expired"),
                 ("无码库存", "no_code"))


class OnHandTab(StockListTab):
    """库存: per drug packs + units, value, nearest expiry; filters; export PDF/XLSX."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.search = self._search_box("拼音码 / 药名 / 条码（Ctrl+F）", 210)
        self.vbp = combo((("集采与非集采", None), ("仅集采", True), ("非集采", False)), "集采药品筛选")
        self.klass = combo((("全部类别", None), ("甲类", "A"), ("乙类", "B"), ("丙类(自费)", "C")), "医保类别")
        self.alert = combo(ALERT_CHOICES, "按提示筛选")
        self.include_zero = QCheckBox("含零库存")
        self.include_zero.setToolTip("也列出目录中当前没有库存的药品")
        self.model = OnHandModel(self)
        self.view = setup_table(QTableView())
        self.view.setModel(self.model)
        size_columns(self.view, (190, 130, 48, 52, 100, 96, 96, 104, 64, 120), stretch=9)
        self.view.activated.connect(lambda _i: self.open_card())
        self.summary = hint()
        self.receive_button = button("入库 (Ctrl+N)", self.receive, tip="给选中的药品入库")
        self.card_button = button("台账 (Enter)", self.open_card, tip="查看选中药品的库存台账；Ctrl+B 查看其批次")
        self.pdf_button = button("导出 PDF (Ctrl+E)", lambda: self.ask_export("pdf"))
        self.xlsx_button = button("导出 Excel (Ctrl+Shift+E)", lambda: self.ask_export("xlsx"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.setSpacing(10)
        self.summary.setToolTip("Enter 查看选中药品的台账 · Ctrl+B 查看它的批次")
        layout.addLayout(row(self.search, self.vbp, self.klass, self.alert, self.include_zero, None))
        layout.addWidget(self.view, 1)
        layout.addLayout(row(self.summary, None, self.card_button, self.receive_button, self.pdf_button, self.xlsx_button))
        self._search_as_typed()
        for box in (self.vbp, self.klass, self.alert):
            box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.include_zero.toggled.connect(lambda _on: self.refresh())
        shortcut(self, "Ctrl+F", self.focus_first)
        shortcut(self, "Ctrl+N", self.receive)
        shortcut(self, "Ctrl+E", lambda: self.ask_export("pdf"))
        shortcut(self, "Ctrl+Shift+E", lambda: self.ask_export("xlsx"))
        shortcut(self, "Ctrl+B", self.open_batches)

    def filters(self) -> dict[str, Any]:
        return {"search": self.search.text().strip(), "vbp": self.vbp.currentData(),
                "coverage_class": self.klass.currentData(), "alert": self.alert.currentData(),
                "include_zero": self.include_zero.isChecked()}

    def refresh(self) -> None:
        self._debounce.stop()
        token, filters, stock = self._next_token(), self.filters(), self.sv.stock
        # 库存不足 counts drugs already out of stock too, as the 工作台 tile does
        Op(self, lambda: (stock.on_hand(**filters), stock.windows(), len(stock.on_hand(alert="low")))).success(
            lambda result: self._loaded(token, *result)).run()

    def _loaded(self, token: int, rows: list[OnHandRow], windows: Any, low_all: int) -> None:
        if token != self._token:
            return
        self.model.near_days, self.model.urgent_days = windows.near_days, windows.urgent_days
        self._show_rows(rows, lambda r: r.drug_id)
        total = sum(r.value_fen for r in rows)
        counts = {k: sum(1 for r in rows if k in r.alerts) for k in ("expired", "near_expiry")}
        counts["low"] = low_all
        parts = [f"共 {len(rows)} 种", f"库存金额 ¥{yuan(total)}"]
        parts += [f"{label} {counts[k]} 种" for k, label in (("expired", "有过期"), ("near_expiry", "近效期"),
                                                              ("low", "库存不足")) if counts[k]]
        self.summary.setText(" · ".join(parts))

    def set_alert(self, alert: str | None) -> None:
        """Show one alert's list (工作台 tiles); 库存不足 includes drugs with no stock at all."""
        self.search.clear()
        if alert == "low":
            self.include_zero.setChecked(True)
        index = self.alert.findData(alert)
        self.alert.setCurrentIndex(max(0, index))
        self.view.setFocus()

    # -- actions ----------------------------------------------------------------------------------
    def open_card(self) -> None:
        r = self.current()
        if r is not None:
            self.page.show_card(r.drug_id)

    def open_batches(self) -> None:
        r = self.current()
        self.page.show_batches(r.generic_name if r else "")

    def receive(self) -> None:
        r = self.current()
        self.page.show_receive(r.drug_id if r else None)

    def ask_export(self, kind: str) -> None:
        path = ask_save_path(self, "导出药品库存", kind, "药品库存")
        if path is not None:
            self.export_to(path)

    def export_to(self, path: Path) -> None:
        """Write the list as shown (same filters) to ``path`` (.pdf or .xlsx)."""
        filters, stock = self.filters(), self.sv.stock
        Op(self, lambda: stock.export_stock_list(path, **filters)).busy("正在导出…").success(
            lambda n: errors.show_info(self, f"已导出 {n} 种药品到：\n{path}", "导出完成")).run()


class BatchesTab(StockListTab):
    """批次: batch no, expiry (coloured), on hand, cost, no-code flag; 报损 / 退回乡镇 from here."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.filter_text = self._search_box("药名 / 批号（Ctrl+F）", 230)
        self.alert = combo(BATCH_CHOICES, "按效期或追溯码筛选")
        self.include_empty = QCheckBox("含已用完批次")
        self.model = BatchModel(self)
        self.view = setup_table(QTableView())
        self.view.setModel(self.model)
        size_columns(self.view, (180, 120, 100, 96, 72, 90, 104, 86, 96))
        self.summary = hint()
        self.write_off_button = button("报损 (Ctrl+D)", lambda: self.remove("write_off"), tip="选中批次报损")
        self.return_button = button("退回乡镇 (Ctrl+R)", lambda: self.remove("return"), tip="选中批次退回乡镇")
        self.card_button = button("台账 (Enter)", self.open_card)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.setSpacing(10)
        layout.addLayout(row(self.filter_text, self.alert, self.include_empty, None, self.card_button,
                             self.write_off_button, self.return_button))
        self.return_button.setHidden(not page.can_return)
        self.write_off_button.setHidden(not page.can_write_off)
        layout.addWidget(self.view, 1)
        layout.addLayout(row(self.summary, None, hint("红色：已过期或 90 天内到期 · 橙色：近效期")))
        self._all: list[BatchInfo] = []
        self._near, self._urgent = 180, 90
        self.filter_text.textChanged.connect(lambda _t: self._apply())
        self.filter_text.returnPressed.connect(self.view.setFocus)
        self.alert.currentIndexChanged.connect(lambda _i: self._apply())
        self.include_empty.toggled.connect(lambda _on: self.refresh())
        self.view.activated.connect(lambda _i: self.open_card())
        shortcut(self, "Ctrl+F", self.focus_first)
        if page.can_write_off:
            shortcut(self, "Ctrl+D", lambda: self.remove("write_off"))
        if page.can_return:
            shortcut(self, "Ctrl+R", lambda: self.remove("return"))

    def refresh(self) -> None:
        token, stock, empty = self._next_token(), self.sv.stock, self.include_empty.isChecked()
        Op(self, lambda: (stock.batches(include_empty=empty), stock.windows())).success(
            lambda result: self._loaded(token, *result)).run()

    def _loaded(self, token: int, batches: list[BatchInfo], windows: Any) -> None:
        if token != self._token:
            return
        self._all = batches
        self._near, self._urgent = windows.near_days, windows.urgent_days
        self.model.near_days, self.model.urgent_days = self._near, self._urgent
        self._apply()

    def _keep(self, b: BatchInfo, alert: str | None, text: str) -> bool:
        if text and text not in b.generic_name and text.lower() not in b.batch_no.lower():
            return False
        if alert == "expired":
            return b.expired and b.on_hand_units > 0
        if alert == "near_expiry":
            return not b.expired and b.days_left <= self._near and b.on_hand_units > 0
        if alert == "urgent":
            return not b.expired and b.days_left <= self._urgent and b.on_hand_units > 0
        if alert == "no_code":
            return b.no_trace_codes and not b.expired and b.on_hand_units > 0
        return True

    def _apply(self) -> None:
        alert, text = self.alert.currentData(), self.filter_text.text().strip()
        rows = [b for b in self._all if self._keep(b, alert, text)]
        self._show_rows(rows, lambda b: b.batch_id)
        value = sum(b.value_fen for b in rows)
        self.summary.setText(f"{len(rows)} 个批次 · {len({b.drug_id for b in rows})} 种药品 · 金额 ¥{yuan(value)}")

    def set_alert(self, alert: str | None) -> None:
        self.filter_text.clear()
        self.alert.setCurrentIndex(max(0, self.alert.findData(alert)))
        self.view.setFocus()

    def set_filter_text(self, text: str) -> None:
        self.alert.setCurrentIndex(0)
        self.filter_text.setText(text)
        self.view.setFocus()

    def focus_first(self) -> None:
        self.filter_text.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_text.selectAll()

    def open_card(self) -> None:
        b = self.current()
        if b is not None:
            self.page.show_card(b.drug_id)

    def remove(self, kind: str) -> None:
        b = self.current()
        self.page.show_writeoff(b.batch_id if b else None, kind)
