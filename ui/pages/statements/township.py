"""统一结算 at the township: ``TownshipActions``, mixed into ``StatementsPage`` (``page``), which builds the
widgets these methods use (the month picker, the statements table and its model, the error and advice labels).

- the 节约医保基金 tab (Alt+2): per drug and procurement price, the saving of the month, for one village or all;
- 生成/重算草稿 for every village (Ctrl+G) or the selected one (Ctrl+R); 定稿 (Ctrl+Enter), a refusal said with
  what to do (``finalise_advice``); 录入基药补助 (Ctrl+B);
- 导出 Excel (Ctrl+Shift+E): the month's statements of every village, or its 节约医保基金 on that tab.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QTableView, QVBoxLayout, QWidget

from app.domain import clock
from app.domain.errors import CunyiError, RuleViolation
from app.domain.statements import month_label
from app.services.core.reports import Column, Period, Table, build, write_xlsx
from app.services.statements.types import DataNotArrived, OutOfOrder
from ui.pages.statements.dialogs import ConfirmDialog, SubsidyDialog
from ui.pages.statements.models import SavingsModel, yuan
from ui.widgets.layout import ask_save_path, button, hint, row, setup_table
from ui.widgets.tables import fit_columns
from ui.workers import Op


def finalise_advice(error: CunyiError) -> str:
    """What to do about a refused 定稿, from the kind of refusal."""
    if isinstance(error, OutOfOrder):
        return "怎么办：先在月份里选前一个月，把该村之前月份的结算单定稿，再回来定稿这个月。"
    if isinstance(error, DataNotArrived):
        return ("怎么办：请该村卫生室联网后在“同步”页立即同步一次（同步时会先做上月月结并上传）；"
                "乡镇同步收到后，选中这一行按 Ctrl+R 重算草稿，核对后再按 Ctrl+Enter 定稿。")
    return ""


class TownshipActions:
    """The township's tab and actions of ``StatementsPage`` (a mixin: ``self`` is the page)."""

    # -- the 节约医保基金 tab -------------------------------------------------------------------------
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
