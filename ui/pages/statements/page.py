"""统一结算: the monthly unified statement 统一结算单 of each village (DESIGN §1, §9).

Township (药管员, admin): a month (default: last month) and its villages, one row each with every figure;
生成/重算草稿 for all villages (Ctrl+G) or the selected one (Ctrl+R), 定稿 (Ctrl+Enter; a refusal, such as the
village's data not synced yet, is said with what to do), 录入基药补助 (Ctrl+B), 打印 (Ctrl+P), 导出 Excel
(Ctrl+Shift+E), and the month's 节约医保基金 (Alt+2). Under the table, the selected statement's deduction
worked out with its numbers.

Village (村医, admin): its statements by month, the deduction of the selected one, 打印 (Ctrl+P) and 确认
(Ctrl+Enter, a final statement only, once).

F5 refreshes; the page refreshes itself on ``data_changed("statements")`` (a sync that brings statements,
subsidies, month-end marks or acknowledgments announces it too).

The township's own parts (the 节约医保基金 tab, 生成/重算草稿, 定稿, 基药补助, 导出 Excel) are ``TownshipActions``
(module ``township``), mixed in here; this module builds the page, lists and shows the statements, and holds
the village's 确认 and what both sides do (打印, the messages, navigation).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain import clock
from app.domain.enums import SiteKind
from app.domain.statements import month_label
from ui.pages.statements.detail import StatementDetail
from ui.pages.statements.dialogs import ConfirmDialog
from ui.pages.statements.models import StatementsModel, VillageMonth, yuan
from ui.pages.statements.township import TownshipActions, finalise_advice  # noqa: F401  (importable here too)
from ui.printing import open_to_print, unique_path
from ui.widgets import months as month_lists
from ui.widgets.forms import ErrorLabel
from ui.widgets.layout import button, hint, row, setup_table, shortcut
from ui.widgets.page import Page
from ui.widgets.tables import fit_columns
from ui.workers import Op

#: how many months back the month picker goes
MONTHS_BACK = 36


def recent_months(today: date, back: int = MONTHS_BACK) -> list[str]:
    """``YYYY-MM`` from this month back ``back`` months, newest first."""
    return month_lists.recent_months(today, back + 1)


class StatementsPage(TownshipActions, Page):
    """The 统一结算 area."""

    area = "statements"
    watches = ("statements", "settings")  # settings: a village that joined (its site row) is listed

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.township = ctx.site_kind is SiteKind.TOWNSHIP
        self.can_draft = ctx.allows("statements.draft")
        self.can_finalise = ctx.allows("statements.finalise")
        self.can_subsidy = ctx.allows("statements.set_subsidy")
        self.can_ack = ctx.allows("statements.acknowledge")
        self.dialog: Any = None
        #: the PDFs this page printed, the latest last
        self.printed: list[Path] = []
        self.villages: list[tuple[str, str]] = []
        self._select_site: str | None = None
        self._generation = 0
        if self.township:
            hint_text = "代扣代结：药款先扣统筹应付，再扣基药补助 · Alt+1 结算单 · Alt+2 节约医保基金 · Ctrl+M 月份 · F5 刷新"
        else:
            hint_text = "乡镇每月从统筹应付和基药补助中代扣药款 · Ctrl+Enter 确认 · Ctrl+P 打印 · F5 刷新"
        self.month = QComboBox()
        self.month.setObjectName("statementMonth")
        months = recent_months(clock.today())
        for m in months:
            self.month.addItem(month_label(m), m)
        self.month.setCurrentIndex(1)  # last month: the one to settle
        self.month.setToolTip("结算月份（Ctrl+M）")
        self.month.currentIndexChanged.connect(lambda _i: self.refresh())
        self.picker = QWidget()  # kept: at a village it has no parent and is never shown
        self.picker.setLayout(row(QLabel("结算月份"), self.month, spacing=8))
        self.picker.layout().setContentsMargins(0, 0, 0, 0)
        self.add_header(hint_text, self.picker if self.township else None)
        self.error = ErrorLabel()
        self.advice = hint()
        self.advice.setWordWrap(True)
        self.advice.hide()
        self.count_label = hint("正在读取…")
        self._build_buttons()
        self.model = StatementsModel(self, township=self.township)
        self.table = QTableView()
        self.table.setObjectName("statementTable")
        self.table.setModel(self.model)
        setup_table(self.table)
        numeric = sorted(self.model.NUMERIC)
        lead = ["村卫生室"] if self.township else ["月份", "结算单号"]
        fit_columns(self.table, fit=[*numeric, self.model.column_of("状态"),
                                     *([] if self.township else [self.model.column_of("月份")])],
                    elide_order=[self.model.column_of(c) for c in lead], min_text=90)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show_row(cur.row()))
        self.table.activated.connect(lambda _i: self.detail.setFocus())
        self.detail = StatementDetail()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([300, 210])
        splitter.setChildrenCollapsible(False)
        statements = QWidget()
        layout = QVBoxLayout(statements)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(self._toolbar)
        layout.addWidget(self.error)
        layout.addWidget(self.advice)
        layout.addWidget(splitter, 1)
        layout.addLayout(row(self.count_label, None))
        if self.township:
            self.tabs = QTabWidget()
            self.tabs.setObjectName("statementTabs")
            self.tabs.addTab(statements, "结算单")
            self.tabs.addTab(self._build_savings(), "节约医保基金")
            self.tabs.setTabToolTip(0, "结算单（Alt+1）")
            self.tabs.setTabToolTip(1, "节约医保基金（Alt+2）")
            self.tabs.currentChanged.connect(lambda _i: self.refresh())
            self.body().addWidget(self.tabs, 1)
            shortcut(self, "Alt+1", lambda: self.tabs.setCurrentIndex(0))
            shortcut(self, "Alt+2", lambda: self.tabs.setCurrentIndex(1))
            shortcut(self, "Ctrl+M", lambda: self.month.setFocus(Qt.FocusReason.ShortcutFocusReason))
        else:
            self.tabs = None
            self.body().addWidget(statements, 1)
        self._shortcuts()

    # -- building ---------------------------------------------------------------------------------
    def _build_buttons(self) -> None:
        self.draft_all_button = button("生成草稿 (Ctrl+G)", self.draft_all,
                                       tip="为本月每个村卫生室生成或重算结算单草稿（已定稿的不变）")
        self.draft_one_button = button("重算本村 (Ctrl+R)", self.draft_selected, tip="只生成或重算选中村卫生室的草稿")
        self.finalise_button = button("定稿 (Ctrl+Enter)", self.finalise, primary=True,
                                      tip="定稿后结算单不能再修改，村卫生室确认")
        self.subsidy_button = button("基药补助 (Ctrl+B)", self.enter_subsidy, tip="录入村卫生室某月的基药补助")
        self.ack_button = button("确认 (Ctrl+Enter)", self.acknowledge, primary=True,
                                 tip="确认乡镇已定稿的结算单（每张只确认一次）")
        self.print_button = button("打印 (Ctrl+P)", self.print_selected, tip="输出选中结算单的 PDF 并打开以便打印")
        self.export_button = button("导出 Excel (Ctrl+Shift+E)", self.ask_export)
        if self.township:
            widgets: list[Any] = []
            if self.can_draft:
                widgets += [self.draft_all_button, self.draft_one_button]
            if self.can_finalise:
                widgets.append(self.finalise_button)
            if self.can_subsidy:
                widgets.append(self.subsidy_button)
            widgets += [None, self.print_button, self.export_button]
        else:
            widgets = [hint("选中一张结算单查看扣款明细"), None]
            if self.can_ack:
                widgets.append(self.ack_button)
            widgets.append(self.print_button)
        self._toolbar = row(*widgets, spacing=8)

    def _shortcuts(self) -> None:
        shortcut(self, "F5", self.refresh)
        shortcut(self, "Ctrl+P", self.print_selected)
        if self.township:
            shortcut(self, "Ctrl+Shift+E", self.ask_export)
            if self.can_draft:
                shortcut(self, "Ctrl+G", self.draft_all)
                shortcut(self, "Ctrl+R", self.draft_selected)
            if self.can_finalise:
                for keys in ("Ctrl+Return", "Ctrl+Enter"):
                    shortcut(self, keys, self.finalise)
            if self.can_subsidy:
                shortcut(self, "Ctrl+B", self.enter_subsidy)
        elif self.can_ack:
            for keys in ("Ctrl+Return", "Ctrl+Enter"):
                shortcut(self, keys, self.acknowledge)

    # -- loading ----------------------------------------------------------------------------------
    def current_month(self) -> str:
        return str(self.month.currentData())

    def set_month(self, month: str) -> None:
        index = self.month.findData(month)
        if index >= 0:
            self.month.setCurrentIndex(index)

    def refresh(self) -> None:
        if self.tabs is not None and self.tabs.currentIndex() == 1:
            self.load_savings()
        else:
            self.load_statements()

    def load_statements(self) -> None:
        self._generation += 1
        generation, sv, month = self._generation, self.ctx.sv, self.current_month()
        if self.township:
            def fetch() -> list[Any]:
                villages = [(v.site_name, v.site_id) for v in sv.statements.subsidies(month)]
                got = {st.site_id: st for st in sv.statements.statements(month=month)}
                return [villages, [VillageMonth(i, n, month, got.get(i)) for n, i in villages]]
        else:
            site_id = self.ctx.site.id

            def fetch() -> list[Any]:
                found = sv.statements.statements(site_id=site_id)
                return [[], sorted(found, key=lambda st: st.month, reverse=True)]

        Op(self, fetch).success(lambda got: self._listed(generation, *got)).run()

    def _listed(self, generation: int, villages: list[tuple[str, str]], rows: list[Any]) -> None:
        if generation != self._generation:
            return
        shown = self.detail.statement
        keep = self._select_site or (shown.site_id if self.township and shown else shown.id if shown else None)
        self._select_site = None
        self.villages = villages
        self.model.set_rows(rows)
        self._count(rows)
        if self.township:
            found = self.model.find(lambda r: r.site_id == keep) if keep else -1
        else:
            found = self.model.find(lambda r: r.id == keep) if keep else -1
        if rows:
            self.select_row(max(found, 0))
        else:
            self.detail.show_statement(None, "还没有村卫生室加入本乡镇" if self.township else
                                       "还没有统一结算单：乡镇每月定稿后会同步到这里")
        self._set_buttons()

    def _count(self, rows: list[Any]) -> None:
        if not self.township:
            waiting = sum(1 for st in rows if st.status == "final")
            self.count_label.setText(f"共 {len(rows)} 张结算单" + (f" · 待确认 {waiting} 张" if waiting else "")
                                     if rows else "还没有统一结算单")
            return
        states = [r.statement.status if r.statement else "" for r in rows]
        parts = [f"{len(rows)} 个村卫生室", f"未生成 {states.count('')}", f"草稿 {states.count('draft')}",
                 f"已定稿 {states.count('final')}", f"村已确认 {states.count('acknowledged')}"]
        sts = [r.statement for r in rows if r.statement is not None]
        if sts:
            parts.append(f"统筹扣款合计 {yuan(sum(s.from_fund_fen for s in sts))}")
            parts.append(f"补助扣款合计 {yuan(sum(s.from_subsidy_fen for s in sts))}")
            parts.append(f"结转下月合计 {yuan(sum(s.carried_out_fen for s in sts))}")
        self.count_label.setText(" · ".join(parts))

    def select_row(self, index: int) -> None:
        self.table.selectionModel().setCurrentIndex(
            self.model.index(index, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._show_row(index)

    def _show_row(self, index: int) -> None:
        if not 0 <= index < self.model.rowCount():
            return
        st = self.model.statement_at(index)
        if st is None:
            village = self.model.row(index)
            self.detail.show_statement(None, f"{village.site_name} {month_label(village.month)}还没有结算单："
                                             "Ctrl+R 生成草稿（Ctrl+G 为全部村卫生室生成）")
        else:
            self.detail.show_statement(st)
        self._set_buttons()

    def selected(self) -> Any:
        """The row selected: a ``VillageMonth`` (township) or a ``StatementInfo`` (village), or None."""
        index = self.table.currentIndex()
        return self.model.row(index.row()) if index.isValid() else None

    def selected_statement(self) -> Any:
        index = self.table.currentIndex()
        return self.model.statement_at(index.row()) if index.isValid() else None

    def _set_buttons(self) -> None:
        st = self.selected_statement()
        self.print_button.setEnabled(st is not None)
        self.finalise_button.setEnabled(st is not None and st.status == "draft")
        self.draft_one_button.setEnabled(self.selected() is not None and (st is None or st.status == "draft"))
        self.ack_button.setEnabled(st is not None and st.status == "final")

    # -- both sides -------------------------------------------------------------------------------
    def _say(self, message: str, advice: str = "") -> None:
        """A refusal or a reason nothing happened, in red above the table, with what to do under it."""
        self.error.show_error(message)
        self.advice.setText(advice)
        self.advice.setVisible(bool(advice))

    def _clear(self) -> None:
        self._say("")

    def acknowledge(self) -> ConfirmDialog | None:
        """确认 (Ctrl+Enter): the village acknowledges a final statement, once."""
        if self.township or not self.can_ack:
            return None
        st = self.selected_statement()
        if st is None:
            return None
        self._clear()
        if st.status == "draft":
            self._say(f"{month_label(st.month)}的结算单还是草稿：乡镇定稿后才能确认")
            return None
        if st.status == "acknowledged":
            when = f"（{st.acknowledged_at:%Y-%m-%d %H:%M}）" if st.acknowledged_at else ""
            self._say(f"{month_label(st.month)}的结算单已经确认过了{when}")
            return None
        statements, statement_id = self.ctx.sv.statements, st.id
        prompt = (f"确认 <b>{month_label(st.month)}</b> 统一结算单 {st.statement_no}：本月供药 {yuan(st.supplied_fen)}，"
                  f"应扣合计 {yuan(st.due_fen)}，统筹扣款 {yuan(st.from_fund_fen)}，补助扣款 {yuan(st.from_subsidy_fen)}，"
                  f"结转下月 {yuan(st.carried_out_fen)}（元）。<br>每张结算单只确认一次，确认后同步给乡镇。")
        dialog = ConfirmDialog(self, "确认统一结算单", "确认", prompt, lambda note: statements.acknowledge(statement_id, note),
                               note=True)
        dialog.completed.connect(lambda _r: self.report(f"已确认 {month_label(st.month)}统一结算单 {st.statement_no}"))
        return self._open(dialog)

    def _open(self, dialog: Any) -> Any:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def print_selected(self) -> None:
        """打印 (Ctrl+P): the selected statement's PDF, saved under exports and opened for printing."""
        st = self.selected_statement()
        if st is None:
            if self.selected() is not None:
                self._say("这个村卫生室本月还没有结算单，先生成草稿（Ctrl+R）再打印")
            return
        sv = self.ctx.sv
        path = unique_path(sv.data.exports / "statements" / st.month, f"统一结算单-{st.statement_no}")

        def write() -> tuple[Path, str]:
            return sv.statements.print_statement(st.id, path), str(sv.settings.get("printer_name") or "")

        Op(self, write).busy("正在生成结算单 PDF…").success(self._printed).failure(
            lambda e: self._say(str(e))).run()

    def _printed(self, got: tuple[Path, str]) -> None:
        path, printer = got
        self.printed.append(Path(path))
        self.report(open_to_print(path, printer, "统一结算单"))

    # -- navigation -------------------------------------------------------------------------------
    def open_target(self, target: str | None) -> None:
        if target and len(target) == 7 and target[4] == "-":
            self.set_month(target)

    def focus_first(self) -> None:
        if self.tabs is not None:
            self.tabs.setCurrentIndex(0)
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
