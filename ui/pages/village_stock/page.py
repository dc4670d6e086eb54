"""村室药品: the township's overview of its villages' drugs, and the drill-down to one village's stock.

Three levels, one above the other, keyboard-first:

1. 村室一览: one row per village (stock value, 集采 share, near-expiry, stock-outs, days of stock, last
   sync, requisitions waiting, shipments in transit); a click on a header sorts by it; the filter box (Ctrl+F) keeps the villages of one kind (the 工作台's tiles open
   it filtered); below, the selected village's and the township's monthly usage (last 12 months).
2. Enter → the village's 药品库存 (the stock page's list); below, the selected drug's monthly use there.
3. Enter → that drug's 库存台账 at the village, paged as it scrolls.

Esc goes back one level. Ctrl+E exports the overview to Excel (the ``overview`` report).
F5 refreshes. 工作台 tiles open the list through ``open_target``: ``stockouts``, ``near_expiry``,
``unsynced``, ``requisitions``, ``in_transit``; ``village:<site id>`` opens a village's stock.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QStackedWidget, QTableView, QVBoxLayout, QWidget

from app.domain import clock
from app.services.core.reports import build, parse_period, write_xlsx
from app.services.stock.queries import OnHandRow
from app.services.transfers.overview_types import UsagePoint, VillageFigures
from ui.models.stock import OnHandModel, count, money
from ui.models.stock_card import PAGE_SIZE, StockCardModel
from ui.pages.village_stock.models import FILTERS, WIDTHS, VillagesModel, VillagesProxy, is_unsynced
from ui.widgets.layout import ask_save_path, button, combo, hint, row, setup_table, shortcut, size_columns
from ui.widgets.month_bars import MonthBars
from ui.widgets.months import recent_months
from ui.widgets.page import Page
from ui.widgets.tables import fit_columns
from ui.workers import Op

MONTHS = 12


def month_labels(today: date, months: int = MONTHS) -> list[str]:
    """The last ``months`` months up to today's, oldest first, as 'YYYY-MM'."""
    return recent_months(today, months)[::-1]


def money_bars(points: list[UsagePoint], months: list[str]) -> list[tuple[str, int, str]]:
    by_month: dict[str, int] = {}
    for p in points:
        by_month[p.month] = by_month.get(p.month, 0) + p.value_fen
    return [(f"{m[5:]}月", by_month.get(m, 0), _short_yuan(by_month.get(m, 0))) for m in months]


def _short_yuan(fen: int) -> str:
    """¥12,345 (whole yuan on a chart), ¥1.2万 from ten thousand yuan up."""
    yuan = fen / 100
    if yuan >= 10000:
        return f"¥{yuan / 10000:.1f}万"
    return f"¥{yuan:,.0f}"


class VillageStockPage(Page):
    """The 村室药品 area (township)."""

    area = "village_stock"
    watches = ("stock", "transfers", "sync", "settings", "catalog")

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.sv = ctx.sv
        self.hint = self.add_header("Enter 查看 · Esc 返回上一级 · Ctrl+F 筛选 · Ctrl+E 导出 Excel · F5 刷新")
        self.stack = QStackedWidget()
        self.stack.setObjectName("villageStockLevels")
        self.body().addWidget(self.stack, 1)
        #: answers older than the latest request are dropped: the overview's, and the drill-down's
        self._overview_token = self._token = 0
        self.village: VillageFigures | None = None
        self.drug: OnHandRow | None = None
        self.usage: list[UsagePoint] = []
        self.months = month_labels(clock.today())
        #: a tile's target that arrived before the villages did
        self._pending: str | None = None
        self._build_overview()
        self._build_stock()
        self._build_card()
        shortcut(self, "F5", self.refresh)
        shortcut(self, "Esc", self.back)
        shortcut(self, "Ctrl+E", self.ask_export)
        shortcut(self, "Ctrl+F", self._focus_filter)

    # -- level 1: the villages ------------------------------------------------------------------
    def _build_overview(self) -> None:
        box = QWidget()
        self.filter = combo([(label, key) for key, (label, _fn) in FILTERS.items()], "只看某一类村卫生室（Ctrl+F）")
        self.filter.setObjectName("villageFilter")
        self.filter.currentIndexChanged.connect(lambda _i: self._filter_changed())
        self.summary = hint()
        self.summary.setObjectName("villageSummary")
        self.open_button = button("查看库存 (Enter)", self.open_selected, tip="查看选中村卫生室的药品库存")
        self.export_button = button("导出 Excel (Ctrl+E)", self.ask_export, tip="导出村室药品一览（报表 overview）")
        self.model = VillagesModel(self)
        self.proxy = VillagesProxy(self.model, self)
        self.view = setup_table(QTableView())
        self.view.setObjectName("villagesTable")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.horizontalHeader().setSortIndicatorShown(True)
        self.view.activated.connect(lambda _i: self.open_selected())
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_village_chart())
        size_columns(self.view, WIDTHS, stretch=0)
        self.village_chart = MonthBars(empty_text="选中的村卫生室近 12 个月没有用药")
        self.village_chart.setObjectName("villageChart")
        self.township_chart = MonthBars(empty_text="各村近 12 个月没有用药")
        self.township_chart.setObjectName("townshipChart")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(row(self.filter, self.summary, None, self.open_button, self.export_button))
        layout.addWidget(self.view, 3)
        charts = row(self.village_chart, self.township_chart, spacing=24)
        layout.addLayout(charts, 2)
        self.stack.addWidget(box)

    def refresh(self) -> None:
        self._overview_token += 1
        token, overview = self._overview_token, self.sv.overview
        today = clock.today()
        # the figures first; the charts' twelve months of every village follow in an op of their own
        Op(self, overview.villages).success(lambda rows: self._loaded(token, today, rows)).run()
        Op(self, lambda: overview.monthly_usage(months=MONTHS, per="site")).success(
            lambda usage: self._usage_loaded(token, today, usage)).run()
        if self.stack.currentIndex() == 1 and self.village is not None:
            self._load_stock()
        elif self.stack.currentIndex() == 2:
            self._load_card()

    def _loaded(self, token: int, today: date, rows: list[VillageFigures]) -> None:
        if token != self._overview_token:
            return
        keep = self.village.site_id if self.village else None
        self.months = month_labels(today)
        self.model.set_figures(rows, clock.now().replace(tzinfo=None))
        self._select_village(keep)
        self._show_summary()
        if self._pending:
            target, self._pending = self._pending, None
            self.open_target(target)

    def _usage_loaded(self, token: int, today: date, usage: list[UsagePoint]) -> None:
        if token != self._overview_token:
            return
        self.usage, self.months = usage, month_labels(today)
        self.township_chart.set_bars(f"全乡镇 · 近 {MONTHS} 个月用药金额", money_bars(usage, self.months))
        self._show_village_chart()

    def _show_summary(self) -> None:
        rows = self.model.rows()
        shown = self.proxy.rowCount()
        now = self.model.now
        text = (f"{len(rows)} 个村卫生室 · 库存 ¥{money(sum(r.stock_value_fen for r in rows))} · "
                f"断货 {sum(1 for r in rows if r.stockouts)} 个村 · 近效期 "
                f"¥{money(sum(r.near_expiry_value_fen for r in rows))} · "
                f"未同步 {sum(1 for r in rows if is_unsynced(r, now))} 个村")
        if shown != len(rows):
            text = f"显示 {shown} 个 · " + text
        self.summary.setText(text)

    def _select_village(self, site_id: str | None) -> None:
        target = 0
        for i in range(self.proxy.rowCount()):
            if self.proxy.figures(i).site_id == site_id:
                target = i
                break
        if self.proxy.rowCount():
            self.view.selectionModel().setCurrentIndex(
                self.proxy.index(target, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._show_village_chart()

    def selected_village(self) -> VillageFigures | None:
        index = self.view.currentIndex()
        return self.proxy.figures(index.row()) if index.isValid() else None

    def _show_village_chart(self) -> None:
        f = self.selected_village()
        if f is None:
            self.village_chart.set_bars("近 12 个月用药金额", [])
            return
        points = [p for p in self.usage if p.site_id == f.site_id]
        self.village_chart.set_bars(f"{f.name} · 近 {MONTHS} 个月用药金额", money_bars(points, self.months))

    def _filter_changed(self) -> None:
        self.proxy.set_filter(self.filter.currentData() or "")
        self._select_village(self.village.site_id if self.village else None)
        self._show_summary()

    def _focus_filter(self) -> None:
        if self.stack.currentIndex() == 0:
            self.filter.setFocus()
            self.filter.showPopup()
        elif self.stack.currentIndex() == 1:
            self.search.setFocus()
            self.search.selectAll()

    def open_selected(self) -> None:
        f = self.selected_village()
        if f is not None:
            self.open_village(f)

    def ask_export(self) -> None:
        if self.stack.currentIndex() != 0:
            return
        path = ask_save_path(self, "导出村室药品一览", "xlsx", f"村室药品一览-{clock.today():%Y%m%d}.xlsx")
        if path is not None:
            self.export_to(path)

    def export_to(self, path: Path) -> None:
        """Write the ``overview`` report to ``path`` as Excel (database thread)."""
        sv, site_id = self.sv, self.ctx.site.id

        def write() -> Path:
            write_xlsx(build(sv, "overview", parse_period(site_id, None, None)), path)
            return path

        Op(self, write).success(lambda p: self.report(f"已导出村室药品一览：{p}")).busy("正在导出…").run()

    # -- level 2: one village's stock ----------------------------------------------------------------
    def _build_stock(self) -> None:
        box = QWidget()
        self.stock_title = QLabel()
        self.stock_title.setProperty("role", "section")
        self.stock_title.setObjectName("stockTitle")
        self.search = QLineEdit()
        self.search.setPlaceholderText("拼音码 / 药名（Ctrl+F）")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(220)
        self.search.setMaximumWidth(260)
        self.search.textChanged.connect(lambda _t: self._load_stock())
        self.search.returnPressed.connect(lambda: self.stock_view.setFocus())
        self.stock_summary = hint()
        self.back_button = button("返回一览 (Esc)", self.back)
        self.card_button = button("台账 (Enter)", self.open_card, tip="查看选中药品在该村的库存台账")
        self.stock_model = OnHandModel(self)
        self.stock_view = setup_table(QTableView())
        self.stock_view.setObjectName("villageStockTable")
        self.stock_view.setModel(self.stock_model)
        size_columns(self.stock_view, (190, 130, 48, 52, 100, 96, 96, 104, 64, 120), stretch=9)
        self.stock_view.activated.connect(lambda _i: self.open_card())
        self.stock_view.selectionModel().currentRowChanged.connect(lambda *_: self._load_drug_chart())
        self.drug_chart = MonthBars(empty_text="选中的药品近 12 个月在该村没有用量")
        self.drug_chart.setObjectName("drugChart")
        self.drug_chart.setMaximumHeight(210)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(row(self.back_button, self.stock_title, self.search, self.stock_summary, None,
                             self.card_button))
        layout.addWidget(self.stock_view, 3)
        layout.addWidget(self.drug_chart, 1)
        self.stack.addWidget(box)

    def open_village(self, f: VillageFigures) -> None:
        self.village = f
        self.stock_title.setText(f"{f.name} · 药品库存")
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.stack.setCurrentIndex(1)
        self.stock_view.setFocus()
        self._load_stock()

    def _load_stock(self) -> None:
        if self.village is None:
            return
        self._token += 1
        token, site_id, search = self._token, self.village.site_id, self.search.text().strip()
        overview, stock = self.sv.overview, self.sv.stock
        Op(self, lambda: (overview.village_stock(site_id, search=search), stock.windows())).success(
            lambda result: self._stock_loaded(token, *result)).run()

    def _stock_loaded(self, token: int, rows: list[OnHandRow], windows: Any) -> None:
        if token != self._token:
            return
        keep = self.drug.drug_id if self.drug else None
        self.stock_model.near_days, self.stock_model.urgent_days = windows.near_days, windows.urgent_days
        self.stock_model.set_rows(rows)
        at = max(0, self.stock_model.find(lambda r: r.drug_id == keep))
        if rows:
            self.stock_view.selectionModel().setCurrentIndex(
                self.stock_model.index(at, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        value = sum(r.value_fen for r in rows)
        self.stock_summary.setText(f"{count(len(rows))} 种 · ¥{money(value)}")
        self._load_drug_chart()

    def selected_drug(self) -> OnHandRow | None:
        index = self.stock_view.currentIndex()
        return self.stock_model.row(index.row()) if index.isValid() else None

    def _load_drug_chart(self) -> None:
        r, village = self.selected_drug(), self.village
        if r is None or village is None:
            self.drug_chart.set_bars("近 12 个月用量", [])
            return
        overview, today = self.sv.overview, clock.today()
        token = self._token

        def loaded(points: list[UsagePoint]) -> None:
            if token != self._token or self.selected_drug() is not r:
                return
            by_month = {p.month: p.units for p in points}
            bars = [(f"{m[5:]}月", by_month.get(m, 0), f"{by_month.get(m, 0):,}{r.base_unit}")
                    for m in month_labels(today)]
            self.drug_chart.set_bars(f"{r.generic_name} {r.strength} · {village.name} · 近 {MONTHS} 个月用量", bars)

        Op(self, lambda: overview.monthly_usage(months=MONTHS, site_id=village.site_id, drug_id=r.drug_id)) \
            .success(loaded).run()

    # -- level 3: a drug's stock card at the village -------------------------------------------------
    def _build_card(self) -> None:
        box = QWidget()
        self.card_title = QLabel()
        self.card_title.setProperty("role", "section")
        self.card_title.setObjectName("cardTitle")
        self.card_status = hint()
        self.card_back = button("返回库存 (Esc)", self.back)
        self.card_model = StockCardModel(self)
        self.card_view = setup_table(QTableView())
        self.card_view.setObjectName("villageCardTable")
        self.card_view.setModel(self.card_model)
        fit_columns(self.card_view, (0, 4, 5, 6, 7, 8), (9, 2, 3, 1))
        self.card_model.rowsInserted.connect(lambda *_: self._card_status())
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(row(self.card_back, self.card_title, self.card_status, None))
        layout.addWidget(self.card_view, 1)
        self.stack.addWidget(box)

    def open_card(self) -> None:
        r = self.selected_drug()
        if r is None or self.village is None:
            return
        self.drug = r
        self.card_title.setText(f"{self.village.name} · {r.generic_name} {r.strength} · 库存台账")
        self.stack.setCurrentIndex(2)
        self.card_view.setFocus()
        self._load_card()

    def _load_card(self) -> None:
        if self.village is None or self.drug is None:
            return
        self._token += 1
        token, site_id, r = self._token, self.village.site_id, self.drug
        overview = self.sv.overview

        def page(after: int | None, limit: int) -> Any:
            return overview.village_card_page(site_id, r.drug_id, after, limit)

        units = (r.pack_unit, r.base_unit, r.units_per_pack)
        Op(self, lambda: page(None, PAGE_SIZE)).success(
            lambda first: self._card_loaded(token, page, first, units)).run()

    def _card_loaded(self, token: int, page: Any, first: Any, units: tuple[str, str, int]) -> None:
        if token != self._token:
            return
        self.card_model.reset_with(page, first, units)
        if self.card_model.rowCount():
            self.card_view.selectRow(0)
        self._card_status()

    def _card_status(self) -> None:
        loaded = self.card_model.rowCount()
        more = "" if self.card_model.exhausted() else "，向下滚动加载更多"
        self.card_status.setText(f"最新在前 · 已显示 {count(loaded)} 条{more}")

    # -- navigation ----------------------------------------------------------------------------
    def back(self) -> None:
        level = self.stack.currentIndex()
        if level == 2:
            self.stack.setCurrentIndex(1)
            self.stock_view.setFocus()
        elif level == 1:
            self.stack.setCurrentIndex(0)
            self.view.setFocus()

    def focus_first(self) -> None:
        {0: self.view, 1: self.stock_view, 2: self.card_view}[self.stack.currentIndex()].setFocus()

    def open_target(self, target: str | None) -> None:
        if not target:
            return
        if target.startswith("village:"):
            site_id = target.removeprefix("village:")
            found = self.model.find(lambda f: f.site_id == site_id)
            if found >= 0:
                self.open_village(self.model.row(found))
            else:
                self._pending = target
            return
        if target in FILTERS:
            self.stack.setCurrentIndex(0)
            self.filter.setCurrentIndex(max(0, self.filter.findData(target)))
            self.view.setFocus()
