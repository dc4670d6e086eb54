"""报表: the reports this user may see (``app.services.core.reports.page_reports``) for a day or a month,
shown in a table and exported as PDF or Excel — the same ``Table`` that ``cunyi report`` prints.

门诊日志 takes a day (or a whole month), 收费日报 and 月度统筹汇总 a month, 库存报表 the stock now.
A township user picks which site's data to see.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain import clock
from app.domain.enums import SiteKind
from app.domain.money import fen_to_yuan
from app.domain.statements import month_label
from app.paths import resource
from app.services.core.reports import Period, Table, build, load_reports, page_reports, write_xlsx
from ui.models.residents import short_address
from ui.models.sorting import pinyin_key
from ui.widgets.months import recent_months
from ui.widgets.page import Page
from ui.workers import Op

#: reports first in the list, in this order; any other registered report follows
PREFERRED = ("daily-log", "settlements", "monthly-summary", "stock")
#: report → the periods it takes ("day", "month"); absent = month; () = no period (a snapshot)
PERIODS: dict[str, tuple[str, ...]] = {"daily-log": ("day", "month"), "stock": ()}
LIST_STYLE = """
QListWidget#reportList { font-size: 15px; padding: 4px; }
QListWidget#reportList::item { padding: 10px 12px; border-radius: 6px; }
QListWidget#reportList::item:selected { background: #d2e3fc; color: #102a43; font-weight: bold; }
"""
DATE_STYLE = """
QDateEdit { padding-right: 28px; }
QDateEdit::drop-down { subcontrol-origin: padding; subcontrol-position: center right; width: 26px; border: none; }
QDateEdit::down-arrow { image: url(@ICONS@/chevron-down.svg); width: 12px; height: 12px; }
"""
#: widest a column starts (long 药品/诊断 text is elided; the tooltip shows all of it)
MAX_COLUMN = 190
#: narrower starts for long text columns, so the money columns after them show at 1366×768
MAX_BY_KEY = {"address": 120, "diagnosis": 160}
#: a long text column at the end starts this narrow and stretches into the room left
LAST_TEXT = 60
#: shortest text a tooltip repeats (shorter text is never elided)
TIP_FROM = 7
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_VOID = QColor("#7b8794")
Index = QModelIndex | QPersistentModelIndex


def cell_text(kind: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if kind == "fen" and isinstance(value, int):
        return fen_to_yuan(value)
    return str(value)


class ReportModel(QAbstractTableModel):
    """A report ``Table``: its rows, then the totals row (bold) when there is one."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.table: Table | None = None

    def set_table(self, table: Table | None) -> None:
        self.beginResetModel()
        self.table = table
        self.endResetModel()

    def _has_totals(self) -> bool:
        return bool(self.table and self.table.totals and self.table.rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        if parent.isValid() or self.table is None:
            return 0
        return len(self.table.rows) + int(self._has_totals())

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() or self.table is None else len(self.table.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if self.table is None or orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.table.columns):
            return None
        column = self.table.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.label  # the unit (元) is in the subtitle: narrower money columns
        if role == Qt.ItemDataRole.TextAlignmentRole and column.kind in ("fen", "int"):
            return _RIGHT
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.table is None or not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        if not 0 <= index.column() < len(self.table.columns):
            return None
        column = self.table.columns[index.column()]
        totals = index.row() == len(self.table.rows)
        if role == Qt.ItemDataRole.DisplayRole:
            if totals:
                return "合计" if index.column() == 0 else cell_text(column.kind, self.table.totals.get(column.key))
            text = cell_text(column.kind, self.table.rows[index.row()].get(column.key))
            return short_address(text) if column.key == "address" else text
        if role == Qt.ItemDataRole.TextAlignmentRole and column.kind in ("fen", "int"):
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and not totals and self.table.rows[index.row()].get("status") == "已冲正":
            return _VOID  # a reversed visit is listed but not counted
        if role == Qt.ItemDataRole.FontRole and totals:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and not totals and column.kind == "text":
            text = cell_text(column.kind, self.table.rows[index.row()].get(column.key))
            return text if len(text) >= TIP_FROM or text != self.data(index) else None
        return None


class ReportsPage(Page):
    area = "reports"
    watches = ("outpatient", "stock")

    def __init__(self, ctx, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(ctx, parent)
        self.hint = self.add_header("选择报表和日期或月份，F5 生成；可导出 PDF 或 Excel")
        self.reports = load_reports()
        listed = page_reports(ctx.allows)
        self.names = [n for n in PREFERRED if n in listed] + sorted(n for n in listed if n not in PREFERRED)

        self.list = QListWidget()
        self.list.setObjectName("reportList")
        self.list.setFixedWidth(148)
        self.list.setStyleSheet(LIST_STYLE)
        for name in self.names:
            item = QListWidgetItem(self.reports[name][0])
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
        self.list.currentRowChanged.connect(self._report_changed)

        self.site = QComboBox()
        self.site.setMinimumWidth(180)
        self.site_label = QLabel("机构")
        self.mode = QComboBox()
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.day = QDateEdit(QDate(clock.today()))
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setStyleSheet(DATE_STYLE.replace("@ICONS@", resource("icons").as_posix()))
        self.day.setMaximumDate(QDate(clock.today()))
        self.day.setFixedWidth(150)
        self.day.dateChanged.connect(lambda _d: self.build_report() if self.isVisible() else None)
        self.month = QComboBox()
        self.month.setObjectName("reportMonth")
        for month in recent_months(clock.today(), 36):
            self.month.addItem(month_label(month), month)
        self.month.currentIndexChanged.connect(lambda _i: self.build_report() if self.isVisible() else None)
        self.build_button = QPushButton("生成 F5")
        self.build_button.setProperty("kind", "primary")
        self.build_button.clicked.connect(self.build_report)
        self.pdf_button = QPushButton("导出 PDF (Ctrl+E)")
        self.pdf_button.clicked.connect(lambda: self._export_dialog("pdf"))
        self.xlsx_button = QPushButton("导出 Excel (Ctrl+Shift+E)")
        self.xlsx_button.clicked.connect(lambda: self._export_dialog("xlsx"))
        controls = QHBoxLayout()
        controls.setSpacing(8)
        township = ctx.site_kind is SiteKind.TOWNSHIP
        for widget in ((self.site_label, self.site) if township else ()) + (self.mode, self.day, self.month):
            controls.addWidget(widget)
        controls.addWidget(self.build_button)
        controls.addStretch(1)

        self.report_title = QLabel()
        self.report_title.setProperty("role", "section")
        self.subtitle = QLabel()
        self.subtitle.setProperty("role", "hint")
        self.subtitle.setMinimumWidth(80)
        self.model = ReportModel(self)
        self.view = QTableView()
        self.view.setObjectName("reportTable")
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(28)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setWordWrap(False)

        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addLayout(controls)
        heading = QHBoxLayout()
        heading.addWidget(self.report_title)
        heading.addWidget(self.subtitle, 1)
        heading.addWidget(self.pdf_button)
        heading.addWidget(self.xlsx_button)
        column.addLayout(heading)
        column.addWidget(self.view, 1)
        row = QHBoxLayout()
        row.setSpacing(16)
        row.addWidget(self.list)
        row.addWidget(right, 1)
        self.body().addLayout(row, 1)

        # the same keys as 药品库存: F5 builds, Ctrl+E exports PDF, Ctrl+Shift+E Excel
        for keys, slot in (("F5", self.build_report), ("Ctrl+E", lambda: self._export_dialog("pdf")),
                           ("Ctrl+Shift+E", lambda: self._export_dialog("xlsx"))):
            shortcut = QShortcut(QKeySequence(keys), self, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.table: Table | None = None
        self._generation = 0
        self._sites_loaded = False
        self.site.addItem(ctx.site.name, ctx.site.id)
        if not township:
            self.site.hide()
            self.site_label.hide()
        self._set_buttons()
        self.list.setCurrentRow(0)

    # -- choosing -------------------------------------------------------------------------------
    def current_name(self) -> str:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else self.names[0]

    def select(self, name: str) -> None:
        if name in self.names:
            self.list.setCurrentRow(self.names.index(name))

    def _report_changed(self, _row: int) -> None:
        periods = PERIODS.get(self.current_name(), ("month",))
        self.mode.blockSignals(True)
        self.mode.clear()
        for p in periods:
            self.mode.addItem({"day": "按日", "month": "按月"}[p], p)
        self.mode.blockSignals(False)
        self.mode.setVisible(len(periods) > 1)
        self._mode_changed()
        self.model.set_table(None)
        self.table = None
        self.report_title.setText(self.reports[self.current_name()][0])
        self.subtitle.setText("按 F5 生成")
        self._set_buttons()
        if self.isVisible():
            self.build_report()

    def _mode_changed(self) -> None:
        mode = self.mode.currentData()
        self.day.setVisible(mode == "day")
        self.month.setVisible(mode == "month")

    def period(self) -> Period:
        mode = self.mode.currentData()
        site_id = self.site.currentData() or self.ctx.site.id
        if mode == "day":
            return Period(site_id, None, self.day.date().toPython())
        if mode == "month":
            return Period(site_id, str(self.month.currentData()), None)
        return Period(site_id, None, None)

    # -- building -------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.ctx.site_kind is SiteKind.TOWNSHIP and not self._sites_loaded:
            sites = self.ctx.sv.sites
            Op(self, sites.all).success(self._sites).run()
        self.build_report()

    def _sites(self, sites: list) -> None:  # noqa: ANN001 - list[SiteInfo]
        self._sites_loaded = True
        current = self.site.currentData()
        self.site.clear()
        for site in sorted(sites, key=lambda s: (s.kind is not SiteKind.TOWNSHIP, pinyin_key(s.name))):
            self.site.addItem(site.name, site.id)
        self.site.setCurrentIndex(max(0, self.site.findData(current)))

    def build_report(self) -> None:
        name, period, sv = self.current_name(), self.period(), self.ctx.sv
        self._generation += 1
        generation = self._generation
        self.subtitle.setText("正在生成…")
        Op(self, lambda: build(sv, name, period)).success(lambda t: self._built(generation, t)) \
            .failure(lambda e: self._failed(generation, str(e))).busy().run()

    def _built(self, generation: int, table: Table) -> None:
        if generation != self._generation:
            return
        self.table = table
        self.model.set_table(table)
        self.report_title.setText(table.title)
        parts = [table.subtitle] if table.subtitle else []
        parts.append(f"共 {len(table.rows)} 行")
        if any(c.kind == "fen" for c in table.columns):
            parts.append("金额单位：元")
        self.subtitle.setText("　".join(parts))
        self.subtitle.setToolTip(self.subtitle.text())
        header = self.view.horizontalHeader()
        for col, column in enumerate(table.columns):
            # the cells get some air; a column as wide as its header label needs none
            wanted = max(self.view.sizeHintForColumn(col) + 12, header.sectionSizeHint(col))
            header.resizeSection(col, min(wanted, MAX_BY_KEY.get(column.key, MAX_COLUMN)))
        text_last = bool(table.columns) and table.columns[-1].kind == "text"
        header.setStretchLastSection(text_last)  # a money column is not pulled away from the others
        if text_last:
            # long text last (门诊日志's 药品): it takes what room is left, elided, rather than scrolling
            header.resizeSection(len(table.columns) - 1, LAST_TEXT)
        self._set_buttons()

    def _failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.subtitle.setText(message)
            self._set_buttons()

    def _set_buttons(self) -> None:
        ready = self.table is not None
        self.pdf_button.setEnabled(ready)
        self.xlsx_button.setEnabled(ready)

    # -- exporting ------------------------------------------------------------------------------
    def default_path(self, kind: str) -> Path:
        p = self.period()
        stamp = p.day.isoformat() if p.day else (p.month or clock.today().isoformat())
        title = self.table.title if self.table else self.current_name()
        return self.ctx.sv.data.exports / f"{title}-{stamp}.{kind}"

    def _export_dialog(self, kind: str) -> None:
        pattern = "PDF 文件 (*.pdf)" if kind == "pdf" else "Excel 文件 (*.xlsx)"
        chosen, _ = QFileDialog.getSaveFileName(self, "导出报表", str(self.default_path(kind)), pattern)
        if chosen:
            self.export_to(Path(chosen), kind)

    def export_to(self, path: Path, kind: str) -> None:
        """Write the shown report to ``path`` ("pdf" or "xlsx") on the database thread."""
        table = self.table
        if table is None:
            return

        def write() -> Path:
            if kind == "pdf":
                from app.printing.table import write_table_pdf

                write_table_pdf(table, path)
            else:
                write_xlsx(table, path)
            return path

        Op(self, write).success(lambda p: self.subtitle.setText(f"已导出：{p}")).busy("正在导出…").run()

    # -- navigation -----------------------------------------------------------------------------
    def open_target(self, target: str | None) -> None:
        if target:
            self.select(target)
            self.build_report()

    def focus_first(self) -> None:
        self.list.setFocus(Qt.FocusReason.ShortcutFocusReason)
