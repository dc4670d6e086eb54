"""帮办代办: a village's cases (受理 Ctrl+N, print the 受理回执 and 一次性告知单, 补齐材料重新报送) and the
township's inbox of its villages' cases (报送, 退回补件, 办结, 不予办理), with the monthly counts per type
and village. Both sides add 附件 to the case shown (Ctrl+U) and open them (Enter or a double-click; at the
township a file only its row has reached yet is fetched from the hub first).

Keyboard: Alt+1 事项, Alt+2 月度统计; Ctrl+F searches by resident; Ctrl+N 受理 (village); Ctrl+U 添加附件;
F5 refreshes.
工作台 tiles open the list through ``open_target``: ``overdue`` (已超期) and ``due_soon`` (3 个工作日内到期).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QSpinBox,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain import clock
from app.domain.enums import CaseStatus, CaseType, SiteKind
from app.printing.case_docs import doc_data
from app.services.cases.types import CaseFilter
from ui.pages.cases.attachments import FILE_FILTER, FOLDER_SETTING
from ui.pages.cases.detail import CaseDetail
from ui.pages.cases.dialogs import OpenCaseDialog, StepDialog, saved_phone
from ui.pages.cases.models import CasesModel
from ui.printing import PrintOutcome, print_case_doc, receipts_folder
from ui.widgets.file_copies import named_copy
from ui.widgets.layout import button, hint, row, setup_table, shortcut
from ui.widgets.page import Page
from ui.widgets.tables import fit_columns
from ui.workers import Op

SEARCH_DEBOUNCE_MS = 250
#: the 时限 filter: label → key
DUE_FILTERS = (("全部时限", ""), ("已超期", "overdue"), ("3 个工作日内到期", "due_soon"), ("未超期", "not_overdue"))


class CasesPage(Page):
    """The 帮办代办 area."""

    area = "cases"
    watches = ("cases", "residents", "users")

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.village = ctx.allows("cases.open")
        self.township = ctx.allows("cases.submit") or ctx.site_kind is SiteKind.TOWNSHIP
        self.types: Any = None
        self.cases: list[Any] = []
        #: where each paper of this page went, the latest last
        self.printed: list[PrintOutcome] = []
        self.dialog: Any = None
        self._select_id: str | None = None
        self._generation = 0
        self.new_button = button("受理 (Ctrl+N)", self.new_case, primary=True)
        hint_text = ("Ctrl+N 受理 · Ctrl+F 按居民查找 · Alt+1 事项 · Alt+2 月度统计 · F5 刷新" if self.village else
                     "各村报来的事项：报送、退回补件、办结、不予办理 · Ctrl+F 按居民查找 · Alt+2 月度统计 · F5 刷新")
        self.add_header(hint_text, self.new_button)
        self.new_button.setVisible(self.village)  # once it has a parent (a parentless widget shown is a window)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("casesTabs")
        self.tabs.addTab(self._build_list(), "事项")
        self.tabs.addTab(self._build_counts(), "月度统计")
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        self.body().addWidget(self.tabs, 1)
        shortcut(self, "Alt+1", lambda: self.tabs.setCurrentIndex(0))
        shortcut(self, "Alt+2", lambda: self.tabs.setCurrentIndex(1))
        shortcut(self, "F5", self.refresh)
        shortcut(self, "Ctrl+F", self.focus_first)
        if self.village:
            shortcut(self, "Ctrl+N", self.new_case)
        shortcut(self, "Ctrl+U", self.ask_attachment)

    # -- building ---------------------------------------------------------------------------------
    def _build_list(self) -> QWidget:
        widget = QWidget()
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(0, 10, 0, 0)
        self.search = QLineEdit()
        self.search.setObjectName("caseSearch")
        self.search.setPlaceholderText("居民姓名 / 拼音首字母 / 身份证号")
        self.search.setClearButtonEnabled(True)
        self.type_filter = QComboBox()
        self.type_filter.addItem("全部类型", "")
        for case_type in CaseType:
            self.type_filter.addItem(case_type.label, case_type.value)
        self.status_filter = QComboBox()
        self.status_filter.addItem("全部状态", "")
        self.status_filter.addItem("未办结", "open")
        for status in CaseStatus:
            self.status_filter.addItem(status.label, status.value)
        self.due_filter = QComboBox()
        for label, key in DUE_FILTERS:
            self.due_filter.addItem(label, key)
        self.person_filter = QComboBox()
        self.person_filter.addItem("全部负责人", "")
        self.village_filter = QComboBox()
        self.village_filter.addItem("全部村卫生室", "")
        self.count_label = hint("正在读取…")
        self.search.setMinimumWidth(200)
        for box in (self.type_filter, self.status_filter, self.due_filter, self.person_filter, self.village_filter):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(7)
        self.village_filter.setMinimumContentsLength(11)  # 全部村卫生室 and a village's name, whole
        filters = row(self.search, self.village_filter, self.type_filter, self.status_filter, self.due_filter,
                      self.person_filter, spacing=8)
        filters.setStretch(0, 1)
        layout.addLayout(filters)
        self.village_filter.setVisible(self.township)  # once it has a parent (a parentless widget shown is a window)
        for box in (self.type_filter, self.status_filter, self.due_filter, self.person_filter, self.village_filter):
            box.currentIndexChanged.connect(lambda _i: self.load_list())
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._timer.timeout.connect(self.load_list)
        self.search.textEdited.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self.load_list)

        self.model = CasesModel(self, with_village=self.township)
        self.table = QTableView()
        self.table.setObjectName("caseTable")
        self.table.setModel(self.model)
        setup_table(self.table)
        elide = ("负责人", "事项类型", "村卫生室", "居民") if self.township else ("负责人", "事项类型", "居民")
        fit_columns(self.table, fit=[self.model.column_of(c) for c in ("事项编号", "受理日期", "办结时限", "办理状态")],
                    elide_order=[self.model.column_of(c) for c in elide], min_text=64)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show_row(cur.row()))
        if self.village:
            actions = [("ack", "打印受理回执"), ("notice", "打印告知单"), ("resubmit", "补齐材料重新报送")]
        else:
            actions = [("submit", "报送"), ("return", "退回补件"), ("approve", "办结"), ("reject", "不予办理")]
        self.detail = CaseDetail(actions)
        self.detail.setMinimumWidth(360)
        slots = {"ack": lambda: self.print_doc("acknowledgment"), "notice": lambda: self.print_doc("notice"),
                 "resubmit": self.resubmit, "submit": self.submit, "return": self.return_for_material,
                 "approve": self.approve, "reject": self.reject_case}
        for key, b in self.detail.buttons.items():
            b.clicked.connect(lambda _=False, k=key: slots[k]())
        panel = self.detail.attachments
        panel.add_button.clicked.connect(lambda _=False: self.ask_attachment())
        panel.open_button.clicked.connect(lambda _=False: self.open_attachment())
        panel.table.activated.connect(lambda _index: self.open_attachment())  # Enter, double-click
        if self.township:
            self.detail.buttons["submit"].setProperty("kind", "primary")
            self.detail.buttons["approve"].setProperty("kind", "primary")
        else:
            self.detail.buttons["resubmit"].setProperty("kind", "primary")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 360])
        layout.addWidget(splitter, 1)
        layout.addLayout(row(self.count_label, None))
        return widget

    def _build_counts(self) -> QWidget:
        widget = QWidget()
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(0, 10, 0, 0)
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(clock.today().year)
        self.year.setSuffix(" 年")
        self.year.valueChanged.connect(lambda _v: self.load_counts())
        self.counts_label = hint()
        layout.addLayout(row(QLabel("受理年份"), self.year, None, self.counts_label, spacing=8))
        self.counts = QTableWidget()
        self.counts.setObjectName("caseCounts")
        setup_table(self.counts)
        self.counts.horizontalHeader().setStretchLastSection(False)
        layout.addWidget(self.counts, 1)
        return widget

    # -- loading ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.tabs.currentIndex() == 1:
            self.load_counts()
            return
        self._load_choices()  # a new responsible person or village shows up in the filters
        self.load_list()

    def _load_choices(self) -> None:
        sv = self.ctx.sv

        def fetch() -> tuple[Any, list[tuple[str, str]], list[tuple[str, str]]]:
            people = {c.responsible_user_id: c.responsible_name for c in sv.cases.list(CaseFilter(limit=5000))
                      if c.responsible_user_id}
            villages = [(s.name, s.id) for s in sv.sites.all() if s.kind is SiteKind.VILLAGE] if self.township else []
            return sv.cases.case_types(), sorted((n, i) for i, n in people.items()), villages

        Op(self, fetch).success(self._choices).run()

    def _choices(self, got: tuple[Any, list[tuple[str, str]], list[tuple[str, str]]]) -> None:
        self.types, people, villages = got
        for box, items in ((self.person_filter, people), (self.village_filter, villages)):
            keep = box.currentData()
            box.blockSignals(True)
            while box.count() > 1:
                box.removeItem(1)
            for name, value in items:
                box.addItem(name, value)
            box.setCurrentIndex(max(0, box.findData(keep)))
            box.blockSignals(False)

    def current_filter(self) -> tuple[CaseFilter, str, bool]:
        """The service's filter, the 时限 key, and whether only open cases are wanted."""
        status = self.status_filter.currentData() or None
        due = self.due_filter.currentData() or ""
        where = CaseFilter(case_type=self.type_filter.currentData() or None,
                           status=None if status == "open" else status,
                           overdue=True if due == "overdue" else False if due in ("not_overdue", "due_soon") else None,
                           responsible_user_id=self.person_filter.currentData() or None,
                           site_id=self.village_filter.currentData() or None, resident=self.search.text().strip())
        return where, due, status == "open"

    def load_list(self) -> None:
        self._timer.stop()
        where, due, only_open = self.current_filter()
        cases = self.ctx.sv.cases
        self._generation += 1
        generation = self._generation

        def fetch() -> list[Any]:
            found = cases.list(where)
            if due == "due_soon":
                soon = {c.id for c in cases.attention().due_soon}
                found = [c for c in found if c.id in soon]
            if only_open:
                found = [c for c in found if not c.status.closed]
            return found

        Op(self, fetch).success(lambda got: self._listed(generation, got)).run()

    def _listed(self, generation: int, found: list[Any]) -> None:
        if generation != self._generation:
            return
        keep = self._select_id or (self.detail.case.id if self.detail.case else None)
        self._select_id = None
        self.cases = found
        self.model.set_rows(found)
        overdue = sum(1 for c in found if c.overdue)
        self.count_label.setText(f"共 {len(found)} 件" + (f" · 超期 {overdue} 件" if overdue else "") if found else
                                 ("没有符合条件的事项" + ("，Ctrl+N 受理" if self.village else "")))
        row_ = self.model.find(lambda c: c.id == keep) if keep else -1
        if found:
            self.select_row(max(row_, 0))
        else:
            self.detail.show_case(None)

    def select_row(self, row_: int) -> None:
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row_, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._show_row(row_)

    def _show_row(self, row_: int) -> None:
        if not 0 <= row_ < self.model.rowCount():
            return
        case_id = self.model.row(row_).id
        cases = self.ctx.sv.cases
        Op(self, lambda: cases.get(case_id)).success(self.show_case).run()

    def show_case(self, case: Any) -> None:
        status, here = case.status, case.owned_here
        enabled = {
            "ack": here, "notice": here,
            "resubmit": here and status is CaseStatus.RETURNED and self.ctx.allows("cases.resubmit"),
            "submit": status is CaseStatus.ACCEPTED and self.ctx.allows("cases.submit"),
            "return": status is CaseStatus.SUBMITTED and self.ctx.allows("cases.return_for_material"),
            "approve": status is CaseStatus.SUBMITTED and self.ctx.allows("cases.approve"),
            "reject": status is CaseStatus.SUBMITTED and self.ctx.allows("cases.reject"),
        }
        shown = self.detail.case
        self.detail.show_case(case, enabled)
        panel = self.detail.attachments
        if shown is None or shown.id != case.id:
            panel.error.clear_error()
            panel.set_rows([])
        panel.add_button.setEnabled(self.ctx.allows("cases.attach"))
        self.load_attachments()

    # -- 附件 -------------------------------------------------------------------------------------
    def load_attachments(self, select_id: str | None = None) -> None:
        case = self.detail.case
        if case is None:
            return
        cases, case_id = self.ctx.sv.cases, case.id

        def listed(found: list[Any]) -> None:
            if self.detail.case is not None and self.detail.case.id == case_id:
                self.detail.attachments.set_rows(found)
                if select_id:
                    self.detail.attachments.select(select_id)

        Op(self, lambda: cases.attachments(case_id)).success(listed).run()

    def ask_attachment(self) -> None:
        """添加附件 (Ctrl+U): pick a scan or photo for the case shown."""
        if self.detail.case is None or not self.ctx.allows("cases.attach") or self.tabs.currentIndex() != 0:
            return
        settings = QSettings()
        folder = str(settings.value(FOLDER_SETTING, str(Path.home())))
        chosen, _ = QFileDialog.getOpenFileName(self, "添加附件", folder, FILE_FILTER)
        if chosen:
            settings.setValue(FOLDER_SETTING, str(Path(chosen).parent))
            self.add_attachment(Path(chosen))

    def add_attachment(self, path: Path) -> None:
        """Attach the file at ``path`` to the case shown; a refusal is said in red under the 附件 list."""
        case = self.detail.case
        if case is None:
            return
        cases, panel = self.ctx.sv.cases, self.detail.attachments
        panel.error.clear_error()

        def added(info: Any) -> None:
            self.report(f"{case.case_no} 已添加附件：{info.file_name}")
            self.load_attachments(info.attachment_id)

        Op(self, lambda: cases.add_attachment(case.id, path)).busy("正在压缩并保存附件…").success(added) \
            .failure(self._attachment_refused).changes("cases").run()

    def open_attachment(self) -> None:
        """打开 (Enter, double-click): the selected attachment in the system's viewer, fetched first when
        only its row is here."""
        chosen = self.detail.attachments.current()
        if chosen is None:
            return
        cases, panel = self.ctx.sv.cases, self.detail.attachments
        panel.error.clear_error()

        def fetch() -> Path:
            return named_copy(cases.open_attachment(chosen.attachment_id), chosen.file_name, chosen.sha256)

        def opened(path: Path) -> None:
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
                self._attachment_refused(f"附件“{chosen.file_name}”没有能打开的程序，文件在：{path}")
                return
            self.report(f"已打开附件：{chosen.file_name}")
            if not chosen.present:
                self.load_attachments(chosen.attachment_id)

        busy = "" if chosen.present else "正在从乡镇同步服务取回附件…"
        Op(self, fetch).busy(busy).success(opened).failure(self._attachment_refused).run()

    def _attachment_refused(self, error: Any) -> None:
        panel = self.detail.attachments
        panel.error.show_error(str(error))
        QTimer.singleShot(0, lambda: self.detail.ensureWidgetVisible(panel.error))  # after the label's layout

    def load_counts(self) -> None:
        year = self.year.value()
        cases = self.ctx.sv.cases
        Op(self, lambda: cases.monthly_counts(date(year, 1, 1), date(year, 12, 31))).success(self._counted).run()

    def _counted(self, counts: list[Any]) -> None:
        year, today = self.year.value(), clock.today()
        last = today.month if year == today.year else 0 if year > today.year else 12
        months = sorted({c.month for c in counts} | {f"{year}-{m:02d}" for m in range(1, last + 1)})
        keys = sorted({(c.site_name, c.case_type) for c in counts}, key=lambda k: (k[0], list(CaseType).index(k[1])))
        cells = {(c.site_name, c.case_type, c.month): c.count for c in counts}
        headers = ["村卫生室", "事项类型", *[f"{int(m[5:])}月" for m in months], "合计"]
        table = self.counts
        table.clear()
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setRowCount(len(keys) + (1 if keys else 0))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

        def put(r: int, c: int, text: str, number: bool = False) -> None:
            item = QTableWidgetItem(text)
            if number:
                item.setTextAlignment(right)
            table.setItem(r, c, item)

        for r, (site, kind) in enumerate(keys):
            put(r, 0, site)
            put(r, 1, kind.label)
            values = [cells.get((site, kind, m), 0) for m in months]
            for i, v in enumerate(values):
                put(r, 2 + i, str(v) if v else "", True)
            put(r, 2 + len(months), str(sum(values)), True)
        if keys:
            last = len(keys)
            put(last, 0, "合计")
            for i, m in enumerate(months):
                put(last, 2 + i, str(sum(v for (s, k, mm), v in cells.items() if mm == m)), True)
            put(last, 2 + len(months), str(sum(cells.values())), True)
            font = table.item(last, 0).font()
            font.setBold(True)
            for c in range(len(headers)):
                if table.item(last, c):
                    table.item(last, c).setFont(font)
        table.resizeColumnsToContents()
        total = sum(cells.values())
        self.counts_label.setText(f"{self.year.value()} 年共受理 {total} 件" if total else "这一年还没有受理事项")

    # -- village actions --------------------------------------------------------------------------
    def new_case(self) -> OpenCaseDialog | None:
        if not self.village:
            return None
        if self.types is None:
            cases = self.ctx.sv.cases
            Op(self, cases.case_types).success(lambda t: (setattr(self, "types", t), self.new_case())).run()
            return None
        dialog = OpenCaseDialog(self.ctx.sv, self.types, self, site_phone=self.ctx.site.phone)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.opened.connect(self._opened)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _opened(self, opened: Any, _phone: str) -> None:
        print_after = self.dialog is not None and self.dialog.print_after.isChecked()
        self._select_id = opened.case_id
        warning = f"（{opened.warning}）" if opened.warning else ""
        self.report(f"已受理 {opened.case_no} · 办结时限 {opened.due_on:%Y-%m-%d}{warning}")
        self.tabs.setCurrentIndex(0)
        self.load_list()
        if print_after:
            self.print_doc("acknowledgment", opened.case_id)
            self.print_doc("notice", opened.case_id)

    def print_doc(self, kind: str, case_id: str | None = None) -> None:
        """Print the 受理回执 (``acknowledgment``) or 一次性告知单 (``notice``) of a case (default: the one shown)."""
        case_id = case_id or (self.detail.case.id if self.detail.case else None)
        if not case_id:
            return
        sv, clinic, phone = self.ctx.sv, self.ctx.site.name, saved_phone(self.ctx.site.phone)

        def fetch() -> tuple[str, Any]:
            return str(sv.settings.get("printer_name")), doc_data(sv.cases.get(case_id), clinic, phone)

        Op(self, fetch).success(lambda got: self._print(kind, *got)).run()

    def _print(self, kind: str, printer: str, data: Any) -> None:
        outcome = print_case_doc(data, kind, printer, receipts_folder(self.ctx.sv.data.exports))
        self.printed.append(outcome)
        self.report(outcome.message)

    def resubmit(self) -> None:
        case = self.detail.case
        if case is None:
            return
        cases = self.ctx.sv.cases
        asked = next((e.missing for e in reversed(case.events) if e.status is CaseStatus.RETURNED), ())
        prompt = "乡镇退回补件，缺少：" + "、".join(asked) + "。勾选现在已收到的材料后重新报送。" if asked else \
            "勾选现在已收到的材料后重新报送。"
        self._step(StepDialog(self, "补齐材料重新报送", "重新报送", prompt=prompt, items=case.checklist,
                              ticked=tuple(case.collected) + tuple(asked), items_title="已收材料",
                              run=lambda items, note: cases.resubmit(case.id, items, note), field="已收材料"),
                   "已重新报送")

    # -- township actions -------------------------------------------------------------------------
    def submit(self) -> None:
        case = self.detail.case
        if case is None:
            return
        cases = self.ctx.sv.cases
        self._step(StepDialog(self, "报送", "报送", prompt=f"把 {case.resident_name} 的{case.type_label}报送上级经办机构。",
                              run=lambda _i, note: cases.submit(case.id, note)), "已报送")

    def return_for_material(self) -> None:
        case = self.detail.case
        if case is None:
            return
        cases = self.ctx.sv.cases
        self._step(StepDialog(self, "退回补件", "退回补件", prompt="勾选缺少的材料，村卫生室补齐后重新报送。",
                              items=case.checklist, ticked=case.missing, items_title="缺少材料",
                              run=lambda items, note: cases.return_for_material(case.id, items, note),
                              field="缺少材料"), "已退回补件")

    def approve(self) -> None:
        case = self.detail.case
        if case is None:
            return
        cases = self.ctx.sv.cases
        self._step(StepDialog(self, "办结", "办结", prompt=f"{case.resident_name} 的{case.type_label}已办结。",
                              note_label="办理结果", run=lambda _i, note: cases.approve(case.id, note)), "已办结")

    def reject_case(self) -> None:
        case = self.detail.case
        if case is None:
            return
        cases = self.ctx.sv.cases
        self._step(StepDialog(self, "不予办理", "不予办理", prompt=f"{case.resident_name} 的{case.type_label}不予办理。",
                              note_label="不予办理原因", note_required=True,
                              run=lambda _i, note: cases.reject(case.id, note)), "不予办理")

    def _step(self, dialog: StepDialog, said: str) -> StepDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.stepped.connect(lambda case: self._stepped(case, said))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _stepped(self, case: Any, said: str) -> None:
        self._select_id = case.id
        self.report(f"{case.case_no} {case.resident_name} {case.type_label}：{said}")
        self.show_case(case)
        self.load_list()

    # -- navigation -------------------------------------------------------------------------------
    def open_target(self, target: str | None) -> None:
        if target == "new":
            self.new_case()
            return
        if target in ("overdue", "due_soon"):
            self.tabs.setCurrentIndex(0)
            for box in (self.type_filter, self.status_filter, self.person_filter, self.village_filter):
                box.blockSignals(True)
                box.setCurrentIndex(0)
                box.blockSignals(False)
            self.search.clear()
            self.due_filter.setCurrentIndex(self.due_filter.findData(target))
            self.load_list()

    def focus_first(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
