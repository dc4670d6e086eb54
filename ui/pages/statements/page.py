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
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QUrl
from PySide6.QtGui import QDesktopServices
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
from app.domain.errors import CunyiError, RuleViolation
from app.services.core.reports import Column, Period, Table, build, write_xlsx
from ui.pages.statements.detail import StatementDetail
from ui.pages.statements.dialogs import ConfirmDialog, SubsidyDialog
from ui.pages.statements.models import SavingsModel, StatementsModel, VillageMonth, yuan
from ui.printing import unique_path
from ui.widgets.forms import ErrorLabel
from ui.widgets.layout import ask_save_path, button, hint, row, setup_table, shortcut
from ui.widgets.page import Page
from ui.widgets.tables import fit_columns
from ui.workers import Op

#: how many months back the month picker goes
MONTHS_BACK = 36


def month_label(month: str) -> str:
    return f"{month[:4]}年{int(month[5:])}月"


def recent_months(today: date, back: int = MONTHS_BACK) -> list[str]:
    """``YYYY-MM`` from this month back ``back`` months, newest first."""
    year, month, out = today.year, today.month, []
    for _ in range(back + 1):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


def finalise_advice(error: CunyiError) -> str:
    """What to do about a refused 定稿, from what the refusal is about."""
    text = str(error)
    if any(word in text for word in ("顺序", "先生成并定稿", "之前月份", "更早")):
        return "怎么办：先在月份里选前一个月，把该村之前月份的结算单定稿，再回来定稿这个月。"
    if any(word in text for word in ("同步", "月结数据", "月结标记", "上传", "未到齐")):
        return ("怎么办：请该村卫生室联网后在“同步”页立即同步一次（同步时会先做上月月结并上传）；"
                "乡镇同步收到后，选中这一行按 Ctrl+R 重算草稿，核对后再按 Ctrl+Enter 定稿。")
    return ""


class StatementsPage(Page):
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

    def _build_savings(self) -> QWidget:
        widget = QWidget()
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(0, 10, 0, 0)
        self.savings_label = hint("集采药品按集采前参考价与采购价之差 × 数量，计算为村卫生室节约的医保基金")
        self.savings_export = button("导出 Excel (Ctrl+Shift+E)", self.ask_export)
        self.savings_village = QComboBox()
        self.savings_village.setObjectName("savingsVillage")
        self.savings_village.addItem("全部村卫生室", "")
        self.savings_village.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.savings_village.setMinimumContentsLength(11)
        self.savings_village.currentIndexChanged.connect(lambda _i: self.load_savings())
        layout.addLayout(row(self.savings_village, self.savings_label, None, self.savings_export))
        self.savings_model = SavingsModel(self)
        self.savings_table = QTableView()
        self.savings_table.setObjectName("savingsTable")
        self.savings_table.setModel(self.savings_model)
        setup_table(self.savings_table)
        fit_columns(self.savings_table, fit=sorted(self.savings_model.NUMERIC), elide_order=[1, 0], min_text=90)
        layout.addWidget(self.savings_table, 1)
        self.savings_total = hint()
        layout.addLayout(row(self.savings_total, None))
        return widget

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

    def load_savings(self) -> None:
        sv, month = self.ctx.sv, self.current_month()
        site_id = self.savings_village.currentData() or None
        self._generation += 1
        generation = self._generation

        def fetch() -> tuple[list[tuple[str, str]], list[Any]]:
            villages = [(v.site_name, v.site_id) for v in sv.statements.subsidies(month)]
            return villages, sv.statements.savings(month, site_id=site_id)

        def shown(got: tuple[list[tuple[str, str]], list[Any]]) -> None:
            if generation != self._generation:
                return
            villages, rows = got
            box = self.savings_village
            box.blockSignals(True)
            while box.count() > 1:
                box.removeItem(1)
            for name, value in villages:
                box.addItem(name, value)
            box.setCurrentIndex(max(0, box.findData(site_id or "")))
            box.blockSignals(False)
            self.savings_model.set_rows(rows)
            where = box.currentText()
            self.savings_total.setText(
                f"{where} {month_label(month)} 节约医保基金合计 {yuan(self.savings_model.total_fen())} 元"
                f"（{len(rows)} 种药品·价格）" if rows else f"{where} {month_label(month)}没有供药记录")

        Op(self, fetch).success(shown).run()

    # -- township actions -------------------------------------------------------------------------
    def _say(self, message: str, advice: str = "") -> None:
        """A refusal or a reason nothing happened, in red above the table, with what to do under it."""
        self.error.show_error(message)
        self.advice.setText(advice)
        self.advice.setVisible(bool(advice))

    def _clear(self) -> None:
        self._say("")

    def draft_all(self) -> None:
        """生成/重算全部草稿: every village of the month not final yet; one village's refusal stops no other."""
        if not (self.township and self.can_draft):
            return
        self._clear()
        month, statements = self.current_month(), self.ctx.sv.statements
        rows = [r for r in self.model.rows() if r.statement is None or r.statement.status == "draft"]
        if month >= f"{clock.today():%Y-%m}":
            self._say(f"{month_label(month)}还没有结束，月末之后才能生成该月的统一结算单")
            return
        if not rows:
            self._say("这个月没有需要生成的草稿：各村结算单都已定稿" if self.model.rowCount() else "还没有村卫生室")
            return

        def run() -> tuple[int, list[str]]:
            done, refused = 0, []
            for r in rows:
                try:
                    statements.draft(r.site_id, month)
                    done += 1
                except CunyiError as error:
                    refused.append(f"{r.site_name}：{error}")
            return done, refused

        def finished(got: tuple[int, list[str]]) -> None:
            done, refused = got
            self.report(f"{month_label(month)}：已生成/重算 {done} 个村卫生室的结算单草稿"
                        + (f"，{len(refused)} 个未能生成" if refused else ""))
            if refused:
                self._say("；".join(refused))

        Op(self, run).busy("正在生成结算单草稿…").success(finished).changes("statements").run()

    def draft_selected(self) -> None:
        """重算本村: the selected village's draft (a first one, or recomputed)."""
        chosen = self.selected()
        if not (self.township and self.can_draft) or chosen is None:
            return
        self._clear()
        if chosen.statement is not None and chosen.statement.status != "draft":
            self._say(f"{chosen.site_name} {month_label(chosen.month)}的结算单已定稿，不能重算")
            return
        statements, site_id, month = self.ctx.sv.statements, chosen.site_id, chosen.month
        self._select_site = site_id

        def drafted(st: Any) -> None:
            self.report(f"{chosen.site_name} {month_label(month)}结算单草稿 {st.statement_no}：应扣合计 "
                        f"{yuan(st.due_fen)}，统筹扣款 {yuan(st.from_fund_fen)}，补助扣款 {yuan(st.from_subsidy_fen)}，"
                        f"结转下月 {yuan(st.carried_out_fen)}")

        Op(self, lambda: statements.draft(site_id, month)).busy().success(drafted) \
            .failure(lambda e: self._say(f"{chosen.site_name}：{e}")).changes("statements").run()

    def finalise(self) -> ConfirmDialog | None:
        """定稿 (Ctrl+Enter) the selected village's draft, after saying what it means."""
        if not (self.township and self.can_finalise) or (self.tabs is not None and self.tabs.currentIndex() != 0):
            return None
        chosen = self.selected()
        if chosen is None:
            return None
        self._clear()
        st = chosen.statement
        if st is None:
            self._say(f"{chosen.site_name} {month_label(chosen.month)}还没有结算单草稿", "怎么办：先按 Ctrl+R 生成草稿，核对后再定稿。")
            return None
        if st.status != "draft":
            self._say(f"{chosen.site_name} {month_label(chosen.month)}的结算单已定稿（{st.statement_no}）")
            return None
        statements, statement_id = self.ctx.sv.statements, st.id
        prompt = (f"把 <b>{chosen.site_name} {month_label(st.month)}</b> 的结算单 {st.statement_no} 定稿。"
                  f"<br>应扣合计 <b>{yuan(st.due_fen)}</b>：统筹扣款 {yuan(st.from_fund_fen)}，"
                  f"补助扣款 {yuan(st.from_subsidy_fen)}，结转下月 {yuan(st.carried_out_fen)}（元）。"
                  "<br>定稿后不能再修改或重算；同步后村卫生室可以查看并确认。")
        dialog = ConfirmDialog(self, "统一结算单定稿", "定稿", prompt, lambda _note: statements.finalise(statement_id),
                               advice=finalise_advice)
        self._select_site = chosen.site_id
        dialog.completed.connect(lambda done: self.report(f"{chosen.site_name} {month_label(done.month)}结算单 "
                                                          f"{done.statement_no} 已定稿"))
        return self._open(dialog)

    def enter_subsidy(self) -> SubsidyDialog | None:
        """录入基药补助 (Ctrl+B) for the selected village and the month shown."""
        if not (self.township and self.can_subsidy):
            return None
        if not self.villages:
            self._say("还没有村卫生室，无法录入基药补助")
            return None
        chosen = self.selected()
        months = [(self.month.itemText(i), str(self.month.itemData(i))) for i in range(self.month.count())]
        dialog = SubsidyDialog(self.ctx.sv, self.villages, months, self,
                               site_id=chosen.site_id if chosen is not None else None, month=self.current_month())
        dialog.saved.connect(self._subsidy_saved)
        return self._open(dialog)

    def _subsidy_saved(self, site_id: str, month: str, fen: int) -> None:
        name = next((n for n, i in self.villages if i == site_id), "")
        self._select_site = site_id
        drafted = any(r.site_id == site_id and r.statement is not None for r in self.model.rows())
        self.report(f"已录入 {name} {month_label(month)}基药补助 {yuan(fen)} 元"
                    + ("，草稿已按新补助重算" if drafted and month == self.current_month() else ""))
        if month != self.current_month():
            self.set_month(month)

    # -- both sides -------------------------------------------------------------------------------
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
        if printer.strip().upper() != "PDF" and QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.report(f"统一结算单已保存并打开，在阅读器中打印：{path}")
        else:
            self.report(f"统一结算单已输出为 PDF：{path}")

    def ask_export(self) -> None:
        """导出 Excel (Ctrl+Shift+E): the month's statements, or its 节约医保基金 on that tab."""
        if not self.township:
            return
        savings = self.tabs is not None and self.tabs.currentIndex() == 1
        name = f"{'节约医保基金' if savings else '统一结算单'}-{self.current_month()}"
        path = ask_save_path(self, "导出 Excel", "xlsx", name)
        if path is not None:
            self.export_to(path, savings=savings)

    def export_to(self, path: Path, *, savings: bool = False) -> None:
        """Write the month's ``statement`` report of every village (or its ``savings`` report) to ``path``."""
        sv, month, site_id = self.ctx.sv, self.current_month(), self.ctx.site.id
        villages = [(r.site_id, r.site_name) for r in self.model.rows()]
        village = self.savings_village.currentData() or None if self.township else None

        def write() -> Path:
            if savings:
                table = build(sv, "savings", Period(village or site_id, month, None))
            else:
                if not villages:
                    raise RuleViolation("还没有村卫生室，没有结算单可导出")
                rows = []
                for vid, name in villages:
                    one = build(sv, "statement", Period(vid, month, None))
                    rows += [{"site_name": name, **r} for r in one.rows]
                table = Table(f"统一结算单 {month_label(month)}", (Column("site_name", "村卫生室"), *one.columns), rows,
                              "应扣 = 供药 − 退回 + 上月结转，先从统筹基金扣，再从基药补助扣，余额结转下月（金额单位：元）")
            write_xlsx(table, path)
            return path

        Op(self, write).busy("正在导出…").success(lambda p: self.report(f"已导出：{p}")) \
            .failure(lambda e: self._say(str(e))).run()

    # -- navigation -------------------------------------------------------------------------------
    def open_target(self, target: str | None) -> None:
        if target and len(target) == 7 and target[4] == "-":
            self.set_month(target)

    def focus_first(self) -> None:
        if self.tabs is not None:
            self.tabs.setCurrentIndex(0)
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
