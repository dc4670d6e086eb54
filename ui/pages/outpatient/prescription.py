"""The prescription card of 门诊收费: the drug box (pinyin/barcode, ``DrugSearchBox``) and the lines.

Keyboard: Enter in the drug box adds the drug (one pack, the usual usage of its route) and stays
there; Tab goes to the new line's 数量, where typing replaces it (``2`` packs or ``14片``); Enter or
Tab from 数量 goes on to 用法用量 (prefilled, typing replaces it); Enter there commits and returns to
the drug box. Del removes the current line. A refused quantity is explained under the table and its
cell stays open for retyping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QCompleter,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.enums import CoverageClass
from app.domain.fefo import format_quantity
from app.domain.usage import usage_choices, usage_problem
from app.services.catalog.service import DrugInfo
from ui.models.outpatient import PrescriptionModel
from ui.widgets.forms import ErrorLabel
from ui.widgets.search_box import DrugSearchBox
from ui.widgets.tables import fit_columns
from ui.workers import Op

#: columns of the lines table shown whole whatever their length (numbers, units, the class)
WHOLE_COLUMNS = (PrescriptionModel.QTY, PrescriptionModel.UNIT, PrescriptionModel.PRICE, PrescriptionModel.AMOUNT,
                 PrescriptionModel.CLASS)
#: text columns that give up width first when the card is narrow (批次 and 用法用量 have the whole text in
#: their tooltip and editor), the drug's name last
ELIDE_ORDER = (PrescriptionModel.BATCH, PrescriptionModel.USAGE, PrescriptionModel.SPEC, PrescriptionModel.NAME)
TABLE_STYLE = (
    "QTableView#rxTable { font-size: 13px; } QTableView#rxTable QHeaderView::section { font-size: 13px; }"
    "QTableView#rxTable QHeaderView::section:vertical { color: #7b8794; font-weight: normal; padding: 0 4px;"
    " background: #f7f9fb; border: none; border-right: 1px solid #e4e9f0; }"
)


@dataclass(frozen=True)
class DrugChoice:
    """A search result: the catalog item and what the store has of it."""

    drug: DrugInfo
    on_hand_units: int
    nearest_expiry: date | None


def search_drugs(sv: Any, text: str) -> list[DrugChoice]:
    """Catalog matches with their stock, those in stock first (database thread)."""
    drugs = sv.catalog.search(text, 30)
    stock = {row.drug_id: row for row in sv.stock.on_hand(text)} if drugs else {}
    choices = [DrugChoice(d, stock[d.id].on_hand_units if d.id in stock else 0,
                          stock[d.id].nearest_expiry if d.id in stock else None) for d in drugs]
    return sorted(choices, key=lambda c: c.on_hand_units <= 0)  # stable: the catalog's order otherwise


def choice_text(choice: DrugChoice) -> str:
    """``盐酸氨溴索片 30mg ｜ 库存 17盒 · 效期 2028-06 ｜ 乙 · 某药业`` (the maker last: it may be cut)."""
    d = choice.drug
    head = d.generic_name + (f"（{d.brand_name}）" if d.brand_name else "") + (f" {d.strength}" if d.strength else "")
    if choice.on_hand_units > 0:
        stock = f"库存 {format_quantity(choice.on_hand_units, d.pack_unit, d.base_unit, d.units_per_pack)}"
        if choice.nearest_expiry:
            stock += f" · 效期 {choice.nearest_expiry:%Y-%m}"
    else:
        stock = "无库存"
    tail = " · ".join(p for p in (CoverageClass(d.coverage_class).short, d.maker) if p)
    return f"{head}　｜ {stock}　｜ {tail}"


class RxDelegate(QStyledItemDelegate):
    """Line edits for 数量 and 用法用量 (the latter with the usual usages as completions)."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,  # noqa: N802 - Qt override
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        editor = QLineEdit(parent)
        editor.setObjectName("qtyEditor" if index.column() == PrescriptionModel.QTY else "usageEditor")
        if index.column() == PrescriptionModel.USAGE:
            model = index.model()
            line = model.lines[index.row()] if isinstance(model, PrescriptionModel) else None
            drug = line.drug if line else None
            choices = usage_choices(drug.form, drug.base_unit, drug.generic_name) if drug else usage_choices("", "")
            completer = QCompleter(choices, editor)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            editor.setCompleter(completer)
            editor.returnPressed.connect(lambda e=editor: self._enter_in_popup(e))
        return editor

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress and isinstance(watched, QLineEdit) \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            watched.setProperty("enterSeen", True)  # the delegate commits this Enter itself
        return super().eventFilter(watched, event)

    def _enter_in_popup(self, editor: QLineEdit) -> None:
        """Enter while the completions list was open: the list hands the key straight to the editor, past
        the delegate, so commit here as the delegate does for Enter (and the drug box gets the focus back)."""
        if editor.property("enterSeen"):
            editor.setProperty("enterSeen", False)
            return
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.SubmitModelCache)


class RxTable(QTableView):
    """The lines: Enter edits/commits, Enter or Tab 数量→用法用量, Del removes; ``submitted`` after 用法用量."""

    submitted = Signal()
    remove_requested = Signal(int)

    def __init__(self, model: PrescriptionModel) -> None:
        super().__init__()
        self.rx = model
        self.commit_failed = False
        model.problem.connect(self._problem)
        self.setModel(model)
        self.setItemDelegate(RxDelegate(self))

    def _problem(self, _message: str) -> None:
        self.commit_failed = True

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:  # noqa: N802
        completer = editor.completer() if isinstance(editor, QLineEdit) else None
        if completer is not None and completer.popup().isVisible():
            completer.popup().hide()  # first: an open list would take the focus away with it
        index = self.currentIndex()
        failed, self.commit_failed = self.commit_failed, False
        if failed and index.isValid():  # keep the cell open for retyping
            super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
            QTimer.singleShot(0, lambda i=QPersistentModelIndex(index): self._reopen(i))
            return
        moving_on = (QAbstractItemDelegate.EndEditHint.EditNextItem, QAbstractItemDelegate.EndEditHint.SubmitModelCache)
        if hint in moving_on and index.column() == PrescriptionModel.QTY:
            super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
            usage = self.rx.index(index.row(), PrescriptionModel.USAGE)
            self.setCurrentIndex(usage)
            self.edit(usage)
            return
        if hint == QAbstractItemDelegate.EndEditHint.SubmitModelCache:
            super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
            self.submitted.emit()
            return
        super().closeEditor(editor, hint)

    def _reopen(self, index: QPersistentModelIndex) -> None:
        if index.isValid():
            self.setCurrentIndex(QModelIndex(index))
            self.edit(QModelIndex(index))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key == Qt.Key.Key_Delete and self.state() != QAbstractItemView.State.EditingState:
            if self.currentIndex().isValid():
                self.remove_requested.emit(self.currentIndex().row())
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.state() != QAbstractItemView.State.EditingState:
            index = self.currentIndex()
            if index.isValid() and index.column() in (PrescriptionModel.QTY, PrescriptionModel.USAGE):
                self.edit(index)
                return
            self.submitted.emit()
            return
        super().keyPressEvent(event)

    def commit_open_editor(self) -> None:
        """Commit what is typed in an open cell editor (before settling)."""
        if self.state() == QAbstractItemView.State.EditingState:
            editor = self.indexWidget(self.currentIndex()) or self.focusWidget()
            if isinstance(editor, QLineEdit):
                self.commitData(editor)
                super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)


class PrescriptionCard(QFrame):
    """Drug box, lines table and the message line under it."""

    #: the lines changed (the page refreshes the preview)
    changed = Signal()

    def __init__(self, sv: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sv = sv
        self.setObjectName("card")
        self.model = PrescriptionModel(self)
        self.drug_box = DrugSearchBox(self, lambda text: search_drugs(sv, text), display_fn=choice_text,
                                      clear_on_pick=True, placeholder="拼音码 / 药名 / 扫条码，Enter 添加药品（如 amlo）")
        self.drug_box.setObjectName("drugBox")
        self.drug_box.picked.connect(self._picked)
        title = QLabel("处方")
        title.setProperty("role", "section")
        hint = QLabel("Enter 添加 · Tab 数量（2 即 2盒，或 14片）→ 用法用量 · Del 删行")
        hint.setProperty("role", "hint")
        head = QHBoxLayout()
        head.setSpacing(12)
        head.addWidget(title)
        head.addWidget(self.drug_box, 1)
        head.addWidget(hint)

        self.table = RxTable(self.model)
        self.table.setObjectName("rxTable")
        self.table.setStyleSheet(TABLE_STYLE)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.DoubleClicked)
        self.table.setTabKeyNavigation(False)
        rows = self.table.verticalHeader()
        rows.setDefaultSectionSize(32)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setMinimumWidth(26)
        rows.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setMinimumSectionSize(36)
        self.columns = fit_columns(self.table, WHOLE_COLUMNS, ELIDE_ORDER, min_text=72)
        self.table.submitted.connect(self.focus_drug_box)
        self.table.remove_requested.connect(self.remove_line)
        self.message = ErrorLabel()
        self.message.setObjectName("rxMessage")
        self.model.problem.connect(self.message.show_error)
        self.model.changed.connect(self._changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(8)
        layout.addLayout(head)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        self.setTabOrder(self.drug_box, self.table)

    # -- lines ----------------------------------------------------------------------------------
    def _picked(self, choice: Any) -> None:
        self.drug_box.current = None  # the box is cleared: a second Enter must not add it again
        drug = choice.drug if isinstance(choice, DrugChoice) else choice
        row, added = self.model.add_drug(drug)
        self.table.setCurrentIndex(self.model.index(row, PrescriptionModel.QTY))
        if not added:
            self.message.show_error(f"“{drug.generic_name}”已在第{row + 1}行：按 Tab 修改数量")
            return
        stock = self.sv.stock
        Op(self, lambda: stock.batches(drug.id)).success(lambda batches: self._batches(drug.id, batches)).run()

    def _batches(self, drug_id: str, batches: list) -> None:  # noqa: ANN001
        self.model.set_batches(drug_id, batches)
        self._show_stock_problems()
        self.changed.emit()  # the split shows a warning instead of the cash when a line is over stock

    def reload_batches(self) -> None:
        """Stock changed elsewhere: fetch the batches of every line again."""
        stock = self.sv.stock
        for line in self.model.lines:
            drug_id = line.drug.id
            Op(self, lambda d=drug_id: stock.batches(d)).success(lambda b, d=drug_id: self._batches(d, b)).run()

    def remove_line(self, row: int) -> None:
        self.model.remove(row)
        if self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(min(row, self.model.rowCount() - 1), PrescriptionModel.QTY))
        else:
            self.focus_drug_box()

    def _changed(self) -> None:
        self.message.clear_error()
        self._show_stock_problems()
        self.changed.emit()

    def _show_stock_problems(self) -> None:
        problems = self.model.stock_problems()
        if problems:
            self.message.show_error("；".join(problems))
        elif self.message.text().find("库存") >= 0 or self.message.text().find("过期") >= 0:
            self.message.clear_error()

    def select_usage_problem(self) -> None:
        """Put the cursor on the first line whose 用法用量 cannot be printed (Enter then edits it)."""
        row = next((i for i, line in enumerate(self.model.lines) if usage_problem(line.usage)), -1)
        if row >= 0:
            self.table.setCurrentIndex(self.model.index(row, PrescriptionModel.USAGE))

    def focus_drug_box(self) -> None:
        self.drug_box.setFocus(Qt.FocusReason.OtherFocusReason)

    def clear(self) -> None:
        self.model.clear()
        self.drug_box.clear()
        self.drug_box.hide_popup()
        self.message.clear_error()
