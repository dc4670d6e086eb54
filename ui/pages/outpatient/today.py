"""今日结算: the day's settlements beside the prescription, with 补打, 处方笺 and 冲正/退费.

The list reloads through ``Op`` (``SettlementService.list_day``); the newest row is current after a
reload, so F4/F6/F8 right after a settlement act on it. The date row above the list (‹ date › 今天,
or Alt+←/Alt+→ in the panel) lists an earlier day, to reprint or reverse its settlements; until a
day is picked the panel follows today (also across midnight). The service lets a village doctor
reverse only the same day and an admin any day: here 冲正 is disabled and explained for a doctor on
an earlier day's settlement (``reverse_refusal``). A reversed settlement is greyed and marked ·冲正 in
the list; on it 冲正 reads 已冲正, disabled, and the note under the buttons names the reversal.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain import clock
from app.domain.money import fen_to_yuan
from app.services.settlement.types import SettlementInfo
from ui.models.outpatient import TodayModel
from ui.widgets.tables import read_only_rows
from ui.workers import Op

#: the panel is 276 px wide at 1366×768: tighter cells than the app's tables, so that 时间, a name with its
#: ·自付/·冲正 mark, and two sums of three digits (147.28) all fit without "…"
TABLE_STYLE = (
    "QTableView#todayTable { font-size: 13px; }"
    " QTableView#todayTable::item { padding: 2px 3px; }"
    " QTableView#todayTable QHeaderView::section { font-size: 13px; padding: 6px 3px; }"
)

#: why 冲正 is disabled for a village doctor on an earlier day (the service refuses it too)
PAST_DAY_REFUSAL = "仅管理员可冲正以前日期的结算"


def reversed_note(settlement: SettlementInfo) -> str:
    """What the panel says under its buttons on a reversed settlement: the reversal's number and time."""
    when = f"{settlement.reversed_at:%m-%d %H:%M} " if settlement.reversed_at else ""
    return f"已冲正 {when}· 冲正凭证 {settlement.reversal_receipt_no}（补打的票据印有“已冲正”）"


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class TodayPanel(QFrame):
    """The day's list and its three actions; the page owns F3/F4/F6/F8.

    Args:
        sv: the services.
        admin: the user may reverse settlements of earlier days (``settlement.reverse_earlier_day``).
    """

    reprint = Signal(object)  # SettlementInfo
    prescription = Signal(object)
    reverse = Signal(object)
    loaded = Signal()

    def __init__(self, sv: Any, parent: QWidget | None = None, *, admin: bool = False) -> None:
        super().__init__(parent)
        self.sv = sv
        self.admin = admin
        self.setObjectName("card")
        self.model = TodayModel(self)
        self._select_id: str | None = None
        self._day: date | None = None  # None: follow today
        self.title = title = QLabel("今日结算")
        title.setProperty("role", "section")
        keys = QLabel("F3")
        keys.setProperty("role", "key")
        self.summary = QLabel()
        self.summary.setProperty("role", "hint")
        self.table = QTableView()
        self.table.setObjectName("todayTable")
        self.table.setModel(self.model)
        read_only_rows(self.table, 28)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setStyleSheet(TABLE_STYLE)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(30)
        # time and money are never cut: as wide as their longest text; the name takes what is left
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setWordWrap(False)
        self.reprint_button = QPushButton("补打 F6")
        self.prescription_button = QPushButton("处方笺 F4")
        self.reverse_button = QPushButton("冲正 F8")
        self.reverse_button.setToolTip("冲正/退费：整笔冲正，药品退回原批次（村医只能冲正当天的结算）")
        self.reverse_note = QLabel(PAST_DAY_REFUSAL)
        self.reverse_note.setObjectName("reverseNote")
        self.reverse_note.setProperty("role", "hint")
        self.reverse_note.setWordWrap(True)
        self.reverse_note.hide()
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
        layout.addLayout(self._date_row())
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.reverse_note)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def _date_row(self) -> QHBoxLayout:
        self.date_edit = QDateEdit()
        self.date_edit.setObjectName("todayDate")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setMinimumDate(QDate(2000, 1, 1))
        self.date_edit.setToolTip("列出这一天的结算（↑/↓ 换一天），可补打、冲正")
        self._set_edit_date(clock.today())
        self.date_edit.dateChanged.connect(lambda d: self.show_day(_pydate(d)))
        self.previous_button = QPushButton("‹")
        self.previous_button.setToolTip("前一天 (Alt+←)")
        self.previous_button.clicked.connect(lambda: self.step_day(-1))
        self.next_button = QPushButton("›")
        self.next_button.setToolTip("后一天 (Alt+→)")
        self.next_button.clicked.connect(lambda: self.step_day(1))
        self.today_button = QPushButton("今天")
        self.today_button.setToolTip("回到今天的结算")
        self.today_button.clicked.connect(lambda: self.show_day(None))
        for button in (self.previous_button, self.next_button, self.today_button):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setAutoDefault(False)
            button.setStyleSheet("QPushButton { padding: 5px 6px; min-width: 14px; }"
                                 " QPushButton:focus { padding: 4px 5px; }")
        for key, step in (("Alt+Left", -1), ("Alt+Right", 1)):
            shortcut = QShortcut(QKeySequence(key), self, lambda s=step: self.step_day(s))
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(self.previous_button)
        row.addWidget(self.date_edit, 1)
        row.addWidget(self.next_button)
        row.addWidget(self.today_button)
        return row

    # -- the day -----------------------------------------------------------------------------------
    def day(self) -> date:
        """The day listed (today until another day is picked)."""
        return self._day or clock.today()

    def show_day(self, day: date | None, select_id: str | None = None) -> None:
        """List ``day``'s settlements (None or today: follow today from now on)."""
        today = clock.today()
        day = min(day, today) if day is not None else None
        self._day = None if day == today else day
        self._set_edit_date(self.day())
        self.reload(select_id)

    def step_day(self, days: int) -> None:
        self.show_day(self.day() + timedelta(days=days))

    def _set_edit_date(self, day: date) -> None:
        self.date_edit.blockSignals(True)
        self.date_edit.setMaximumDate(_qdate(clock.today()))
        self.date_edit.setDate(_qdate(day))
        self.date_edit.blockSignals(False)

    def reload(self, select_id: str | None = None) -> None:
        self._select_id = select_id
        day = self.day()
        self._set_edit_date(day)  # following today: the date moves on at midnight
        settlement = self.sv.settlement
        Op(self, lambda: (day, settlement.list_day(day))).success(lambda r: self._loaded(*r)).run()

    def _loaded(self, day: date, rows: list[SettlementInfo]) -> None:
        if day != self.day():  # an older answer, the user has picked another day since
            return
        today = day == clock.today()
        self.title.setText("今日结算" if today else "往日结算")
        self.next_button.setEnabled(not today)
        self.today_button.setEnabled(not today)
        keep = self._select_id or (self.current().id if self.current() else None)
        self._select_id = None
        self.model.set_settlements(rows)
        count, total, cash = self.model.totals()
        when = "" if today else f"{day:%m-%d} "
        self.summary.setText(f"{when}{count} 人次 · 合计 ¥{fen_to_yuan(total)} · 收现金 ¥{fen_to_yuan(cash)}")
        row = self.model.row_of(keep) if keep else -1
        if rows:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(max(row, 0), 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._update_buttons()
        self.loaded.emit()

    def current(self) -> SettlementInfo | None:
        return self.model.settlement(self.table.currentIndex().row())

    def reverse_refusal(self, settlement: SettlementInfo) -> str | None:
        """Why this user may not reverse ``settlement`` here (None: the dialog may open)."""
        if settlement.reversed:
            return f"票据 {settlement.receipt_no} 已经冲正过，不能重复冲正"
        if not self.admin and settlement.settled_at.date() != clock.today():
            return f"{PAST_DAY_REFUSAL}（票据 {settlement.receipt_no} 是 {settlement.settled_at:%Y-%m-%d} 结算的）"
        return None

    def _update_buttons(self) -> None:
        current = self.current()
        for button in (self.reprint_button, self.prescription_button):
            button.setEnabled(current is not None)
        past = current is not None and not current.reversed and self.reverse_refusal(current) is not None
        self.reverse_button.setEnabled(current is not None and not current.reversed and not past)
        self.reverse_button.setText("已冲正" if current is not None and current.reversed else "冲正 F8")
        self.reverse_button.setToolTip(PAST_DAY_REFUSAL if past else
                                       "冲正/退费：整笔冲正，药品退回原批次（村医只能冲正当天的结算）")
        if current is not None and current.reversed:
            self.reverse_note.setText(reversed_note(current))
        elif past:
            self.reverse_note.setText(PAST_DAY_REFUSAL)
        self.reverse_note.setVisible(past or (current is not None and current.reversed))

    def _emit(self, signal: Signal) -> None:  # noqa: ANN001 - a bound Signal
        current = self.current()
        if current is not None:
            signal.emit(current)

    def focus_list(self) -> None:
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self.table.selectRow(0)
