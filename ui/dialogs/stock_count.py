"""盘点 dialogs: start a count (whole store / a shelf / a category) and finalise it (the adjustments to write).

Both run their service call themselves through ``Op`` and stay open with the message in red when it
is refused. Open them with ``open()``; Enter confirms, Esc goes back.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import CunyiError
from app.services.stock.stocktake import SCOPES, CountLine, StocktakeInfo
from ui.widgets.layout import EnterAdvances, setup_table

from ..models.sorting import pinyin_sorted
from ..models.stock import DANGER, WARN, qty, yuan
from ..widgets.forms import ErrorLabel, focus_field
from ..workers import Op
from .stock_confirm import OpDialog


class StartStocktakeDialog(OpDialog):
    """Scope (全部 / 按货位 / 按分类), its value, a note; 开始盘点 snapshots the booked quantities."""

    def __init__(self, parent: QWidget | None, sv: Any, store_id: str, on_started: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("开始盘点")
        self.setObjectName("startStocktake")
        self.setMinimumWidth(460)
        self.sv, self.store_id, self.on_done = sv, store_id, on_started
        self.scope = QComboBox()
        for key, label in SCOPES.items():
            self.scope.addItem(label, key)
        self.value = QComboBox()
        self.value.setEditable(True)
        self.value.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.value.setEnabled(False)
        self.note = QLineEdit()
        self.note.setPlaceholderText("可不填，如 月末盘点")
        form = QFormLayout()
        form.setSpacing(10)
        form.addRow("盘点范围(&S)", self.scope)
        form.addRow("货位/分类(&V)", self.value)
        form.addRow("备注(&N)", self.note)
        text = QLabel("开始后，系统记下每个批次此刻的账面数量；盘点期间照常发药，录入实盘时自动计入期间的出入库。")
        text.setWordWrap(True)
        text.setProperty("role", "hint")
        self.error = ErrorLabel()
        self.buttons = self.ok_cancel("开始盘点", "取消 (Esc)", self.start)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._choices: dict[str, list[str]] = {"shelf": [], "category": []}
        self.scope.currentIndexChanged.connect(lambda _i: self._scope_changed())
        self.enter = EnterAdvances([self.scope, self.value, self.note], self.start)
        catalog = sv.catalog
        Op(self, lambda: catalog.search("", limit=100000)).success(self._drugs).run()
        self.scope.setFocus()

    def _drugs(self, drugs: list[Any]) -> None:
        self._choices = {"shelf": pinyin_sorted({d.shelf for d in drugs if d.shelf}),
                         "category": pinyin_sorted({d.category for d in drugs if d.category})}
        self._scope_changed()

    def _scope_changed(self) -> None:
        key = self.scope.currentData()
        self.value.clear()
        self.value.setEnabled(key != "all")
        if key != "all":
            self.value.addItems(self._choices.get(key, []))

    def start(self) -> None:
        if not self.ok_button.isEnabled():
            return
        scope, value, note = self.scope.currentData(), self.value.currentText().strip(), self.note.text().strip()
        stocktake, store = self.sv.stocktake, self.store_id
        self.run_op(lambda: stocktake.start(store, scope, "" if scope == "all" else value, note=note),
                    "正在生成盘点单…", ("stocktake",))

    @property
    def started(self) -> StocktakeInfo | None:
        """The stocktake started (None until it is)."""
        return self.result_value

    def refocus(self, error: CunyiError) -> None:
        focus_field(error, {"盘点范围": self.value if self.value.isEnabled() else self.scope}, self.scope)


class FinaliseDialog(OpDialog):
    """The adjustments finalising will write (one per line with a difference), their value and reasons."""

    COLUMNS = ("货位", "通用名", "批号", "应有", "实盘", "差异", "差异金额(元)", "原因")

    def __init__(self, parent: QWidget | None, sv: Any, info: StocktakeInfo, lines: list[CountLine],
                 on_done: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("完成盘点")
        self.setObjectName("finaliseStocktake")
        self.resize(900, 520)
        self.sv, self.info, self.on_done = sv, info, on_done
        changes = [ln for ln in lines if ln.counted_qty is not None and ln.variance_qty]
        uncounted = [ln for ln in lines if ln.counted_qty is None]
        gain = sum(ln.variance_value_fen for ln in changes if ln.variance_value_fen > 0)
        loss = sum(ln.variance_value_fen for ln in changes if ln.variance_value_fen < 0)
        summary = QLabel(
            f"共 {len(lines)} 个批次，已盘 {len(lines) - len(uncounted)} 个，未盘 {len(uncounted)} 个。"
            f"将写入 {len(changes)} 条盘点调整：盘盈 ¥{yuan(gain)}，盘亏 ¥{yuan(-loss)}，"
            f"合计 ¥{yuan(gain + loss)}。" if changes else
            f"共 {len(lines)} 个批次，已盘 {len(lines) - len(uncounted)} 个，未盘 {len(uncounted)} 个。账实相符，无需调整。"
        )
        summary.setWordWrap(True)
        summary.setProperty("role", "section")
        self.table = setup_table(QTableWidget(len(changes), len(self.COLUMNS)))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        for r, ln in enumerate(changes):
            units = (ln.pack_unit, ln.base_unit, ln.units_per_pack)
            diff = qty(ln.variance_qty, *units)
            cells = (ln.shelf, f"{ln.generic_name} {ln.strength}", ln.batch_no, qty(ln.expected_qty, *units),
                     qty(ln.counted_qty or 0, *units), f"+{diff}" if ln.variance_qty > 0 else diff,
                     yuan(ln.variance_value_fen), ln.reason or ("盘点盘盈" if ln.variance_qty > 0 else "盘点盘亏"))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in (5, 6):
                    item.setForeground(DANGER if ln.variance_qty < 0 else WARN)
                if c == 6:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        for c, width in enumerate((60, 210, 100, 90, 90, 80, 100)):
            self.table.setColumnWidth(c, width)
        self.skip = QCheckBox(f"未盘的 {len(uncounted)} 个批次不调整（按账面数）")
        self.skip.setVisible(bool(uncounted))
        self.skip.setChecked(False)
        note = QLabel("确认后写入盘点调整（盘盈为入、盘亏为出），盘点单关闭，不能再修改。")
        note.setProperty("role", "hint")
        self.error = ErrorLabel()
        self.buttons = self.ok_cancel("确认完成盘点", "返回继续盘点 (Esc)", self.finalise)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addWidget(summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.skip)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.table.setVisible(bool(changes))
        self.ok_button.setFocus()

    def finalise(self) -> None:
        if not self.ok_button.isEnabled():
            return
        stocktake, take_id, skip = self.sv.stocktake, self.info.id, self.skip.isChecked()
        self.run_op(lambda: stocktake.finalise(take_id, skip_uncounted=skip), "正在写入盘点调整…",
                    ("stock", "stocktake"))

    @property
    def finalised(self) -> StocktakeInfo | None:
        """The finalised stocktake (None until it is)."""
        return self.result_value

    def refocus(self, error: CunyiError) -> None:
        if self.skip.isVisible():
            self.skip.setFocus()
