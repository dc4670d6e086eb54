"""盘点: start a count, enter counts by keyboard or scanner, print the count sheet, finalise or cancel.

Keyboard: Ctrl+N starts; in the scan box a batch no, product barcode, trace code or pinyin + Enter
jumps to the row and opens its 实盘 cell; type the count (``2`` packs, ``14片``, ``1盒4片``) + Enter
records it and returns to the scan box. In the grid, typing on a row starts editing its count and
Enter records it and moves to the next row. Ctrl+P prints the count sheet, Ctrl+Enter finalises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QCheckBox,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import CunyiError
from app.services.stock.stocktake import SCOPES, CountLine, StocktakeInfo
from ui import errors
from ui.dialogs.stock_confirm import ConfirmDialog
from ui.dialogs.stock_count import FinaliseDialog, StartStocktakeDialog
from ui.models.base import RowsModel
from ui.models.stock import yuan
from ui.models.stock_count import COUNTED, CountModel
from ui.pages.stock.tabs import StockTab
from ui.widgets.layout import ask_save_path, button, hint, row, setup_table, shortcut, size_columns
from ui.workers import Op

STATUS = {"counting": "盘点中", "finalised": "已完成", "cancelled": "已取消"}


def scope_text(info: StocktakeInfo) -> str:
    return SCOPES.get(info.scope, info.scope) + (f"：{info.scope_value}" if info.scope_value else "")


class HistoryModel(RowsModel):
    COLUMNS = ("开始时间", "范围", "状态", "批次数", "已盘", "完成时间", "备注")

    def cell(self, t: StocktakeInfo, col: int) -> str:
        return (t.started_at.strftime("%Y-%m-%d %H:%M"), scope_text(t), STATUS.get(t.status, t.status), str(t.lines),
                str(t.counted), t.finalised_at.strftime("%Y-%m-%d %H:%M") if t.finalised_at else "", t.note)[col]


class ScanEdit(QLineEdit):
    """The scan box; ↓ moves into the count grid."""

    down = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Down:
            self.down.emit()
            return
        super().keyPressEvent(event)


class CountView(QTableView):
    """Emits ``entered(row)`` when an edit of the 实盘 cell is confirmed with Enter."""

    entered = Signal(int)

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:  # noqa: N802
        index = self.currentIndex()
        super().closeEditor(editor, hint)
        if hint == QAbstractItemDelegate.EndEditHint.SubmitModelCache and index.column() == COUNTED:
            self.entered.emit(index.row())


class StocktakeTab(StockTab):
    """No open count: history and 开始盘点; an open count: the scan box and the count grid."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.info: StocktakeInfo | None = None
        self._from_scan = False
        self._focus_scan = False
        # -- idle: history ----------------------------------------------------------------------
        idle = QWidget()
        self.start_button = button("开始盘点 (Ctrl+N)", self.ask_start, primary=True)
        self.history_print = button("打印盘点表 (Ctrl+P)", self.ask_print, tip="打印选中的盘点单")
        self.history = HistoryModel(self)
        self.history_view = setup_table(QTableView())
        self.history_view.setModel(self.history)
        size_columns(self.history_view, (140, 140, 80, 70, 70, 140), stretch=6)
        idle_layout = QVBoxLayout(idle)
        idle_layout.setContentsMargins(0, 0, 0, 0)
        idle_layout.setSpacing(10)
        self.idle_text = QLabel("当前没有进行中的盘点。")
        self.idle_text.setProperty("role", "section")
        idle_layout.addLayout(row(self.idle_text, None, self.history_print, self.start_button))
        idle_layout.addWidget(hint("盘点记录"))
        idle_layout.addWidget(self.history_view, 1)
        # -- counting ---------------------------------------------------------------------------
        counting = QWidget()
        self.heading = QLabel()
        self.heading.setProperty("role", "section")
        self.progress = hint()
        self.scan = ScanEdit()
        self.scan.setObjectName("countScan")
        self.scan.setPlaceholderText("扫码或输入批号 / 条码 / 拼音码，回车定位（Ctrl+F）")
        self.scan.setMinimumWidth(360)
        self.scan.returnPressed.connect(self.locate)
        self.scan.down.connect(self.enter_grid)
        self.scan_result = hint()
        self.only_uncounted = QCheckBox("只看未盘")
        self.only_uncounted.toggled.connect(lambda _on: self._filter_rows())
        self.model = CountModel(self)
        self.model.on_edit = self.record
        self.view = setup_table(CountView())
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.DoubleClicked)
        size_columns(self.view, (60, 180, 110, 100, 96, 84, 76, 96, 84, 96, 100), stretch=10)
        self.view.entered.connect(self._entered)
        self.view.activated.connect(self._activated)
        self.totals = hint()
        self.blank_sheet = QCheckBox("空白表")
        self.blank_sheet.setToolTip("打印不带实盘数的空白盘点表，手工填写")
        self.print_button = button("打印盘点表 (Ctrl+P)", self.ask_print)
        self.cancel_button = button("取消盘点", self.ask_cancel, tip="放弃本次盘点，不写入任何调整")
        self.finalise_button = button("完成盘点… (Ctrl+Enter)", self.ask_finalise, primary=True)
        count_layout = QVBoxLayout(counting)
        count_layout.setContentsMargins(0, 0, 0, 0)
        count_layout.setSpacing(10)
        count_layout.addLayout(row(self.heading, self.progress, None))
        count_layout.addLayout(row(self.scan, self.scan_result, None, self.only_uncounted))
        count_layout.addWidget(self.view, 1)
        count_layout.addLayout(row(self.totals, None, self.blank_sheet, self.print_button, self.cancel_button,
                                   self.finalise_button))
        self.stack = QStackedWidget()
        self.stack.addWidget(idle)
        self.stack.addWidget(counting)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.addWidget(self.stack)
        shortcut(self, "Ctrl+N", self.ask_start)
        shortcut(self, "Ctrl+F", self.focus_first)
        shortcut(self, "Ctrl+P", self.ask_print)
        shortcut(self, "Ctrl+Return", self.ask_finalise)
        shortcut(self, "Ctrl+Enter", self.ask_finalise)

    # -- loading ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        token, stocktake, store = self._next_token(), self.sv.stocktake, self.page.store_id

        def load() -> tuple[list[StocktakeInfo], list[CountLine]]:
            history = stocktake.list(store)
            current = next((t for t in history if t.status == "counting"), None)
            return history, stocktake.lines(current.id) if current else []

        Op(self, load).success(lambda result: self._loaded(token, *result)).run()

    def _loaded(self, token: int, history: list[StocktakeInfo], lines: list[CountLine]) -> None:
        if token != self._token:
            return
        self.history.set_rows(history)
        current = next((t for t in history if t.status == "counting"), None)
        focus = self.focusWidget()
        had_focus = self._focus_scan or (focus is not None and self.isAncestorOf(focus))
        self._focus_scan = False
        self.info = current
        if current is None:
            self.model.set_lines([], editable=False)
            self.stack.setCurrentIndex(0)
            if history and not self.history_view.currentIndex().isValid():
                self.history_view.setCurrentIndex(self.history.index(0, 0))
            if had_focus:
                self.start_button.setFocus()
            return
        self.model.set_lines(lines, editable=True)
        self.stack.setCurrentIndex(1)
        self.heading.setText(f"盘点中 · {scope_text(current)} · {current.started_at:%Y-%m-%d %H:%M} 开始")
        self._filter_rows()
        self._show_progress()
        if had_focus:
            self.scan.setFocus()

    def _show_progress(self) -> None:
        lines = self.model.rows()
        counted = self.model.counted()
        self.progress.setText(f"已盘 {counted} / {len(lines)} 个批次")
        gain, loss = self.model.totals()
        self.totals.setText(f"盘盈 ¥{yuan(gain)} · 盘亏 ¥{yuan(-loss)} · 差异合计 ¥{yuan(gain + loss)}")

    def _filter_rows(self) -> None:
        only = self.only_uncounted.isChecked()
        for r, line in enumerate(self.model.rows()):
            self.view.setRowHidden(r, only and line.counted_qty is not None)

    def focus_first(self) -> None:
        if self.stack.currentIndex() == 1:
            self.scan.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.scan.selectAll()
        else:
            self.start_button.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # -- counting ---------------------------------------------------------------------------------
    def locate(self) -> None:
        """Jump to the line of the scanned or typed batch no / barcode / trace code / pinyin."""
        text = self.scan.text().strip()
        if not text or self.info is None:
            return
        stocktake, take_id = self.sv.stocktake, self.info.id
        Op(self, lambda: stocktake.scan(take_id, text)).success(lambda found: self._located(text, found)).run()

    def _located(self, text: str, found: list[CountLine]) -> None:
        self.model.set_found({ln.batch_id for ln in found} if len(found) > 1 else set())
        if not found:
            self.scan_result.setText(f"<span style='color:#b3261e'>没有找到“{text}”</span>")
            self.scan.selectAll()
            return
        r = self.model.row_of_batch(found[0].batch_id)
        if r < 0:
            return
        self.view.setRowHidden(r, False)
        index = self.model.index(r, COUNTED)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.view.setFocus()
        if len(found) == 1:
            self.scan_result.setText(f"{found[0].generic_name} 批号 {found[0].batch_no}：请输入实盘数，回车确认")
            self._from_scan = True
            self.view.edit(index)
        else:
            self.scan_result.setText(f"找到 {len(found)} 个批次（黄色）：用 ↑↓ 选择后直接输入实盘数")
            self._from_scan = True

    def enter_grid(self) -> None:
        """From the scan box into the grid: the current row if uncounted, else the first uncounted one."""
        if not self.model.rowCount():
            return
        index = self.view.currentIndex()
        row_ = index.row() if index.isValid() else 0
        if self.model.row(row_).counted_qty is not None:
            first = self.model.find(lambda ln: ln.counted_qty is None)
            row_ = first if first >= 0 else row_
        self.view.setCurrentIndex(self.model.index(row_, COUNTED))
        self.view.setFocus()

    def _activated(self, index: QModelIndex) -> None:
        if self.model.editable:
            self.view.edit(self.model.index(index.row(), COUNTED))

    def _entered(self, row: int) -> None:
        if self._from_scan:
            self._from_scan = False
            self.scan.setFocus()
            self.scan.selectAll()
            return
        nxt = row + 1
        while nxt < self.model.rowCount() and self.view.isRowHidden(nxt):
            nxt += 1
        if nxt < self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(nxt, COUNTED))

    def record(self, line: CountLine, counted: int | str, reason: str) -> None:
        """Record one count (the model calls this when a 实盘 or 原因 cell is edited)."""
        if self.info is None:
            return
        stocktake, take_id = self.sv.stocktake, self.info.id
        Op(self, lambda: stocktake.record_count(take_id, line.batch_id, counted, reason)).success(
            self._recorded).failure(lambda exc: self._refused(line, exc)).run()

    def _recorded(self, line: CountLine) -> None:
        self.model.update_line(line)
        self._show_progress()
        if self.only_uncounted.isChecked():
            self._filter_rows()

    def _refused(self, line: CountLine, error: CunyiError) -> None:
        self.model.drop_pending(line.batch_id)
        r = self.model.row_of_batch(line.batch_id)
        if r >= 0:
            self.view.setCurrentIndex(self.model.index(r, COUNTED))
        errors.show_error(self, error)

    def unsaved_work(self) -> str | None:
        """A 实盘 count typed into the grid and not recorded yet (open editor or still being saved)."""
        if self.info is None:
            return None
        editing = self.view.state() == QAbstractItemView.State.EditingState
        editor = self.view.focusWidget() if editing else None
        typed = isinstance(editor, QLineEdit) and bool(editor.text().strip())
        if typed or self.model.has_pending():
            return "库存盘点：已输入但尚未记录的实盘数"
        return None

    # -- lifecycle --------------------------------------------------------------------------------
    def ask_start(self) -> None:
        if self.info is not None:
            self.focus_first()
            return
        self.start_dialog = StartStocktakeDialog(self, self.sv, self.page.store_id, on_started=lambda _i: self._started())
        self.start_dialog.open()

    def _started(self) -> None:
        self._focus_scan = True
        self.refresh()

    def ask_finalise(self) -> None:
        if self.info is None:
            return
        stocktake, info = self.sv.stocktake, self.info
        Op(self, lambda: stocktake.lines(info.id)).success(lambda lines: self._open_finalise(info, lines)).run()

    def _open_finalise(self, info: StocktakeInfo, lines: list[CountLine]) -> None:
        self.finalise_dialog = FinaliseDialog(self, self.sv, info, lines, on_done=self._finalised)
        self.finalise_dialog.open()

    def _finalised(self, info: StocktakeInfo) -> None:
        self.refresh()
        self.idle_text.setText(f"盘点已完成（{info.finalised_at:%Y-%m-%d %H:%M}），调整已写入库存台账。")
        self.start_button.setFocus()

    def ask_cancel(self) -> None:
        if self.info is None:
            return
        stocktake, take_id = self.sv.stocktake, self.info.id
        self.cancel_dialog = ConfirmDialog(
            self, "取消盘点", "取消后本次录入的实盘数作废，不写入任何调整。确认取消这次盘点吗？",
            lambda reason: lambda: stocktake.cancel(take_id, reason), on_done=lambda _i: self._cancelled(),
            details=[("盘点单", scope_text(self.info)), ("已盘", f"{self.model.counted()} / {self.model.rowCount()}")],
            reason_label="取消原因", reason_optional=True, confirm_text="确认取消盘点", danger=True,
            changes=("stocktake",),
        )
        self.cancel_dialog.open()

    def _cancelled(self) -> None:
        self.idle_text.setText("盘点已取消。")
        self.refresh()

    # -- count sheet ------------------------------------------------------------------------------
    def _sheet_target(self) -> StocktakeInfo | None:
        if self.info is not None:
            return self.info
        index = self.history_view.currentIndex()
        return self.history.row(index.row()) if index.isValid() else None

    def ask_print(self) -> None:
        target = self._sheet_target()
        if target is None:
            errors.show_info(self, "没有可打印的盘点单：请先开始盘点或在盘点记录中选中一张。")
            return
        path = ask_save_path(self, "保存盘点表", "pdf", f"盘点表-{target.started_at:%Y%m%d}")
        if path is not None:
            self.print_sheet_to(path, open_after=True)

    def print_sheet_to(self, path: Path, *, open_after: bool = False) -> None:
        """Write the count sheet PDF (blank when 空白表 is ticked); open it for printing if asked."""
        target = self._sheet_target()
        if target is None:
            return
        stocktake, blank = self.sv.stocktake, self.blank_sheet.isChecked() and self.info is not None

        def done(lines: int) -> None:
            if open_after:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
            errors.show_info(self, f"盘点表（{lines} 个批次）已保存到：\n{path}", "盘点表")

        Op(self, lambda: stocktake.count_sheet_pdf(target.id, path, blank=blank)).busy("正在生成盘点表…").success(
            done).run()
