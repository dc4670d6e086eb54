"""The township's purchasing records: 采购记录 (the receipts of a month with their lines, 采购退货 from one) and
配送企业 (the distributors, added and edited in place). The 采购入库 form is in ``purchase``."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
)

from app.domain import clock
from app.domain.errors import CunyiError
from ui.models.base import RowsModel
from ui.models.stock import money, yuan
from ui.pages.transfers.base import (
    TransfersTab,
    current_row,
    fit,
    keep_selection,
    list_table,
    stacked,
)
from ui.pages.transfers.models import (
    RED,
    DistributorsModel,
    PurchasesModel,
    line_qty,
    lot_cell,
)
from ui.pages.transfers.township_dialogs import PurchaseReturnDialog
from ui.widgets.forms import ErrorLabel, focus_field
from ui.widgets.layout import (
    EnterAdvances,
    button,
    form_layout,
    hint,
    row,
    section,
    shortcut,
    success_label,
)
from ui.widgets.months import recent_months
from ui.workers import Op


class PurchaseDetailModel(RowsModel):
    """The lines of one purchase: 药品, 批号, 效期, 数量, 进价, 金额."""

    COLUMNS = ("药品", "批号", "效期", "数量", "进价", "金额", "追溯码", "已退货")
    NUMERIC = frozenset({3, 4, 5, 6, 7})

    def cell(self, row: Any, column: int) -> str:
        if column < 3:
            return lot_cell(row, column)
        if column == 3:
            return line_qty(row, row.quantity)
        if column == 4:
            return yuan(row.pack_price_fen)
        if column == 5:
            return yuan(row.amount_fen)
        if column == 6:
            return str(row.code_count) if row.code_count else "无码"
        return line_qty(row, row.returned_units) if row.returned_units else ""

    def foreground(self, row: Any, column: int) -> QColor | None:
        return RED if column == 7 else None


class PurchasesTab(TransfersTab):
    """采购记录: the receipts of a month (采购入库 and 采购退货); 采购退货 from the selected receipt."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.month = QComboBox()
        self.month.setObjectName("purchaseMonth")
        for month in recent_months(clock.today(), 12):
            self.month.addItem(month, month)
        self.month.addItem("全部", None)
        self.month.currentIndexChanged.connect(lambda _i: self.refresh())
        self.return_button = button("采购退货 (Ctrl+R)", self.return_purchase)
        self.count = hint()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(row(hint("月份"), self.month, self.count, None, self.return_button, spacing=8))
        self.model = PurchasesModel(self)
        self.view = list_table(self.model, "purchasesTable")
        fit(self.view, (0, 1, 5, 6, 7), (2, 3, 4))
        self.view.selectionModel().currentRowChanged.connect(lambda _c, _p: self.load_lines())
        self.lines = PurchaseDetailModel(self)
        self.lines_view = list_table(self.lines, "purchaseDetail")
        fit(self.lines_view, (1, 2, 3, 4, 5, 6, 7), (0,))
        layout.addWidget(stacked(self.view, self.lines_view), 1)
        shortcut(self, "Ctrl+R", self.return_purchase)

    def refresh(self) -> None:
        transfers, month = self.sv.transfers, self.month.currentData()
        self.load_list(lambda: transfers.purchases(month))

    def listed(self, rows: list[Any]) -> None:
        keep_selection(self.view, rows, lambda r: r.id)
        total = sum(getattr(r, "total_fen", 0) * (-1 if getattr(r, "kind", "") == "return" else 1) for r in rows)
        self.count.setText(f"共 {len(rows)} 张 · 净额 ¥{money(total)}" if rows else "这个月还没有采购入库")
        self.return_button.setEnabled(bool(rows))
        if not rows:
            self.lines.set_rows([])

    def detail_call(self) -> Any:
        return self.sv.transfers.purchase

    def load_lines(self) -> None:
        chosen = current_row(self.view)
        if chosen is not None:
            self.return_button.setEnabled(getattr(chosen, "kind", "purchase") != "return")
        super().load_lines()

    def return_purchase(self) -> None:
        chosen = current_row(self.view)
        if chosen is None or getattr(chosen, "kind", "purchase") == "return" or \
                not self.ctx.allows("transfers.return_purchase"):
            return
        transfers = self.sv.transfers
        Op(self, lambda: transfers.purchase(chosen.id)).success(self._open_return).run()

    def _open_return(self, detail: Any) -> None:
        self.open_dialog(PurchaseReturnDialog(self.sv, detail, self), lambda done: self.page.report(
            f"已退货：{done.receipt_no} · ¥{money(done.total_fen)}"))


class DistributorsTab(TransfersTab):
    """配送企业: the list on the left, the selected one's form on the right (Ctrl+N new, Ctrl+S save)."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.editing: str | None = None
        self._select: str | None = None
        self.model = DistributorsModel(self)
        self.view = list_table(self.model, "distributorsTable")
        fit(self.view, (1, 3, 4), (0, 2))
        self.view.selectionModel().currentRowChanged.connect(lambda _c, _p: self.show_current())
        self.name = QLineEdit()
        self.name.setPlaceholderText("如 某某医药有限公司")
        self.credit_code = QLineEdit()
        self.credit_code.setPlaceholderText("18 位统一社会信用代码（可不填）")
        self.contact = QLineEdit()
        self.phone = QLineEdit()
        self.active = QCheckBox("在用（停用后不再出现在采购入库的选择里）")
        self.active.setChecked(True)
        self.title = section("新增配送企业")
        self.error = ErrorLabel()
        self.message = success_label()
        self.save_button = button("保存 (Ctrl+S)", self.save, primary=True)
        self.new_button = button("新增 (Ctrl+N)", self.new)
        form = form_layout()
        form.addRow("名称(&N)", self.name)
        form.addRow("信用代码", self.credit_code)
        form.addRow("联系人", self.contact)
        form.addRow("电话", self.phone)
        form.addRow("", self.active)
        card = QFrame()
        card.setObjectName("card")
        card.setMaximumWidth(460)
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(16, 12, 16, 12)
        card_layout.addWidget(self.title)
        card_layout.addLayout(form)
        card_layout.addWidget(self.error)
        card_layout.addWidget(self.message)
        card_layout.addLayout(row(self.save_button, self.new_button, None))
        card_layout.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.setSpacing(16)
        layout.addWidget(self.view, 7)
        layout.addWidget(card, 5)
        self.fields = {"名称": self.name, "配送企业名称": self.name, "统一社会信用代码": self.credit_code,
                       "信用代码": self.credit_code, "联系人": self.contact, "电话": self.phone}
        EnterAdvances([self.name, self.credit_code, self.contact, self.phone], self.save)
        for keys in ("Ctrl+S", "Ctrl+Return", "Ctrl+Enter"):
            shortcut(self, keys, self.save)
        shortcut(self, "Ctrl+N", self.new)
        self.view.activated.connect(lambda _i: self.name.setFocus())

    def refresh(self) -> None:
        transfers = self.sv.transfers
        self.load_list(lambda: transfers.distributors(include_inactive=True))

    def listed(self, rows: list[Any]) -> None:
        self.model.set_rows(rows)
        if self._select or self.editing:
            found = self.model.find(lambda r: r.id == (self._select or self.editing))
            if found >= 0:
                self.view.setCurrentIndex(self.model.index(found, 0))
        self._select = None

    def show_current(self) -> None:
        chosen = current_row(self.view)
        if chosen is None:
            return
        self.editing = chosen.id
        self.title.setText(f"修改：{chosen.name}")
        self.name.setText(chosen.name)
        self.credit_code.setText(chosen.credit_code)
        self.contact.setText(chosen.contact)
        self.phone.setText(chosen.phone)
        self.active.setChecked(chosen.active)
        self.error.clear_error()

    def new(self) -> None:
        self.editing = None
        self.view.clearSelection()
        self.view.setCurrentIndex(self.model.index(-1, -1))
        self.title.setText("新增配送企业")
        for edit in (self.name, self.credit_code, self.contact, self.phone):
            edit.clear()
        self.active.setChecked(True)
        self.error.clear_error()
        self.message.clear()
        self.name.setFocus()

    def save(self) -> None:
        from app.services.transfers.types import DistributorForm

        form = DistributorForm(self.name.text().strip(), self.credit_code.text().strip(), self.contact.text().strip(),
                               self.phone.text().strip(), self.active.isChecked())
        transfers, editing = self.sv.transfers, self.editing
        self.error.clear_error()
        Op(self, lambda: transfers.save_distributor(form, editing)).success(lambda i: self._saved(i, form.name)) \
            .failure(self._failed).changes("transfers").run()

    def _saved(self, distributor_id: str, name: str) -> None:
        self.editing = distributor_id
        self._select = distributor_id
        self.message.setText(f"已保存：{name}")
        self.page.report(f"配送企业已保存：{name}")

    def _failed(self, error: CunyiError) -> None:
        self.error.show_error(str(error))
        focus_field(error, self.fields, self.name)
