"""今日结算: today's settlements beside the prescription, with 补打, 处方笺 and 冲正/退费.

The list reloads through ``Op`` (``SettlementService.list_day``); the newest row is current after a
reload, so F4/F6/F8 right after a settlement act on it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.money import fen_to_yuan
from app.services.settlement_types import SettlementInfo

from ..models.outpatient import TodayModel
from ..workers import Op


class TodayPanel(QFrame):
    """The day's list and its three actions; the page owns the keyboard shortcuts."""

    reprint = Signal(object)  # SettlementInfo
    prescription = Signal(object)
    reverse = Signal(object)
    loaded = Signal()

    def __init__(self, sv: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sv = sv
        self.setObjectName("card")
        self.model = TodayModel(self)
        self._select_id: str | None = None
        title = QLabel("今日结算")
        title.setProperty("role", "section")
        keys = QLabel("F3")
        keys.setProperty("role", "key")
        self.summary = QLabel()
        self.summary.setProperty("role", "hint")
        self.table = QTableView()
        self.table.setObjectName("todayTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(40)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((54, 80, 58, 56)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setWordWrap(False)
        self.reprint_button = QPushButton("补打 F6")
        self.prescription_button = QPushButton("处方笺 F4")
        self.reverse_button = QPushButton("冲正 F8")
        self.reverse_button.setToolTip("冲正/退费：整笔冲正，药品退回原批次（村医只能冲正当天的结算）")
        for button, signal in ((self.reprint_button, self.reprint), (self.prescription_button, self.prescription),
                               (self.reverse_button, self.reverse)):
            button.clicked.connect(lambda _c=False, s=signal: self._emit(s))
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setStyleSheet("QPushButton { padding: 6px 6px; } QPushButton:focus { padding: 5px 5px; }")
        head = QHBoxLayout()
        head.addWidget(title)
        head.addWidget(keys)
        head.addStretch(1)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for button in (self.reprint_button, self.prescription_button, self.reverse_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def reload(self, select_id: str | None = None) -> None:
        self._select_id = select_id
        settlement = self.sv.settlement
        Op(self, lambda: settlement.list_day(date.today())).success(self._loaded).run()

    def _loaded(self, rows: list[SettlementInfo]) -> None:
        keep = self._select_id or (self.current().id if self.current() else None)
        self._select_id = None
        self.model.set_settlements(rows)
        count, total, cash = self.model.totals()
        self.summary.setText(f"{count} 人次 · 合计 ¥{fen_to_yuan(total)} · 收现金 ¥{fen_to_yuan(cash)}")
        row = self.model.row_of(keep) if keep else -1
        if rows:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(max(row, 0), 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._update_buttons()
        self.loaded.emit()

    def current(self) -> SettlementInfo | None:
        return self.model.settlement(self.table.currentIndex().row())

    def _update_buttons(self) -> None:
        current = self.current()
        for button in (self.reprint_button, self.prescription_button):
            button.setEnabled(current is not None)
        self.reverse_button.setEnabled(current is not None and not current.reversed)
        self.reverse_button.setText("已冲正" if current is not None and current.reversed else "冲正 F8")

    def _emit(self, signal: Signal) -> None:  # noqa: ANN001 - a bound Signal
        current = self.current()
        if current is not None:
            signal.emit(current)

    def focus_list(self) -> None:
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self.table.selectRow(0)
