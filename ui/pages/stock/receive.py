"""入库: receive stock (drug, batch no, expiry, quantity, cost, trace codes or 无追溯码), recent receipts beside it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QFrame, QLineEdit, QPlainTextEdit, QVBoxLayout

from app.domain.enums import MovementKind
from app.domain.errors import CunyiError, ValidationError
from app.domain.fefo import parse_quantity
from app.services.stock.service import NearExpiryError
from ui.dialogs.stock_confirm import ConfirmDialog
from ui.models.stock import yuan
from ui.pages.stock.tabs import StockTab
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
from ui.widgets.receiving import NO_DRUG, drug_summary, near_expiry_question, typed_lot
from ui.widgets.search_box import DrugSearchBox
from ui.workers import Op

RECEIPT_KINDS = (MovementKind.RECEIPT.value, MovementKind.TRANSFER_IN.value)


def _codes(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ReceiveForm(QFrame):
    """The receiving form. Enter moves on; Ctrl+Enter (or Ctrl+S) receives."""

    def __init__(self, tab: Any) -> None:
        super().__init__()
        self.setObjectName("card")
        self.tab = tab
        self.sv = tab.sv
        self.drug: Any = None
        self.drug_box = DrugSearchBox(self, self.sv.catalog.search)
        self.drug_box.handles_enter = True
        self.drug_box.picked.connect(self.set_drug)
        self.drug_info = hint(NO_DRUG)
        self.drug_info.setWordWrap(True)
        self.batch_no = QLineEdit()
        self.batch_no.setPlaceholderText("药盒上的批号，如 B240312")
        self.expiry = QLineEdit()
        self.expiry.setPlaceholderText("如 2027-06-30、20270630 或 2027-06（当月末）")
        self.quantity = QLineEdit()
        self.quantity.setPlaceholderText("如 10（盒）或 14片 或 1盒4片")
        self.cost = QLineEdit()
        self.cost.setPlaceholderText("每包装进价，元")
        self.no_codes = QCheckBox("无追溯码（进入无码库，可照常销售）")
        self.codes = QPlainTextEdit()
        self.codes.setPlaceholderText("逐盒扫描药品追溯码，每行一个（20 位，以 8 开头）")
        self.codes.setTabChangesFocus(True)
        self.codes.setMinimumHeight(96)
        self.codes_count = hint("已扫 0 个")
        self.no_codes.toggled.connect(self._no_codes_toggled)
        self.codes.textChanged.connect(self._count_codes)
        self.quantity.textChanged.connect(lambda _t: self._count_codes())

        form = form_layout()
        form.addRow("药品(&D)", self.drug_box)
        form.addRow("", self.drug_info)
        form.addRow("批号(&B)", self.batch_no)
        form.addRow("效期(&X)", self.expiry)
        form.addRow("数量(&Q)", self.quantity)
        form.addRow("进价(&C)", self.cost)
        form.addRow("", self.no_codes)
        form.addRow("追溯码(&T)", self.codes)
        form.addRow("", self.codes_count)
        self.error = ErrorLabel()
        self.message = success_label()
        self.submit_button = button("入库 (Ctrl+Enter)", self.submit, primary=True)
        self.clear_button = button("清空", self.clear)
        heading = section("验收入库")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 14, 20, 14)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.message)
        layout.addLayout(row(self.submit_button, self.clear_button, None))
        layout.addStretch(1)
        self.fields = {"药品": self.drug_box, "批号": self.batch_no, "效期": self.expiry, "数量": self.quantity,
                       "进价": self.cost, "药品追溯码": self.codes}
        self.enter = EnterAdvances([self.drug_box, self.batch_no, self.expiry, self.quantity, self.cost,
                                    self.no_codes, self.codes], self.submit)
        for keys in ("Ctrl+Return", "Ctrl+Enter", "Ctrl+S"):
            shortcut(self, keys, self.submit)

    # -- drug -------------------------------------------------------------------------------------
    def set_drug(self, drug: Any) -> None:
        self.drug = drug
        self.drug_info.setText(drug_summary(drug))
        self.cost.setText(yuan(drug.price_fen))
        self.batch_no.setFocus(Qt.FocusReason.OtherFocusReason)
        self._count_codes()

    def preset_drug(self, drug_id: str) -> None:
        catalog = self.sv.catalog
        Op(self, lambda: catalog.get(drug_id)).success(self._preset).run()

    def _preset(self, drug: Any) -> None:
        self.drug_box.current = drug
        self.drug_box.setText(self.drug_box.label_fn(drug))
        self.set_drug(drug)

    # -- codes ------------------------------------------------------------------------------------
    def _no_codes_toggled(self, on: bool) -> None:
        self.codes.setEnabled(not on)
        self._count_codes()

    def _count_codes(self) -> None:
        if self.no_codes.isChecked():
            self.codes_count.setText("本批次将记入无码库")
            return
        count = len(_codes(self.codes.toPlainText()))
        text = f"已扫 {count} 个"
        if self.drug is not None and self.quantity.text().strip():
            try:
                units = parse_quantity(self.quantity.text(), self.drug.pack_unit, self.drug.base_unit,
                                       self.drug.units_per_pack)
                packs = -(-units // max(self.drug.units_per_pack, 1))
                text += f" / 本次 {packs}{self.drug.pack_unit}"
            except ValidationError:
                pass
        self.codes_count.setText(text)

    # -- submit -----------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The form as arguments of ``StockService.receive``; raises ``ValidationError`` naming the field."""
        batch_no, expiry, _units, cost = typed_lot(self.drug, self.batch_no.text(), self.expiry.text(),
                                                   self.quantity.text(), self.cost.text())
        codes = [] if self.no_codes.isChecked() else _codes(self.codes.toPlainText())
        if not codes and not self.no_codes.isChecked():
            raise ValidationError("药品追溯码：请逐盒扫描追溯码；药品没有追溯码时请勾选“无追溯码”", "药品追溯码")
        return {"drug_id": self.drug.id, "batch_no": batch_no, "expiry": expiry,
                "quantity": self.quantity.text().strip(), "pack_cost_fen": cost, "trace_codes": codes}

    def submit(self) -> None:
        if not self.submit_button.isEnabled():
            return
        self.message.clear()
        try:
            values = self.values()
        except CunyiError as exc:
            self._failed(exc)
            return
        drug = self.drug
        self.submit_button.setEnabled(False)
        Op(self, self._receive(values)).success(lambda _batch: self._done(drug)).failure(
            lambda error: self._refused(error, values, drug)).busy().changes("stock").run()

    def _receive(self, values: dict[str, Any], accept_near_expiry: bool = False) -> Any:
        stock, v = self.sv.stock, dict(values)
        return lambda: stock.receive(v.pop("drug_id"), v.pop("batch_no"), v.pop("expiry"), v.pop("quantity"), **v,
                                     accept_near_expiry=accept_near_expiry)

    def _refused(self, error: CunyiError, values: dict[str, Any], drug: Any) -> None:
        self._failed(error)
        if isinstance(error, NearExpiryError):
            self.ask_near_expiry(error, values, drug)

    def ask_near_expiry(self, error: NearExpiryError, values: dict[str, Any], drug: Any) -> None:
        """The service asks: a near-expiry batch is received only once the user confirms (Enter), naming the days left."""
        text, details = near_expiry_question(error, f"{drug.generic_name} {drug.strength}".strip(), values["quantity"])
        self.near_dialog = ConfirmDialog(
            self, "近效期药品入库", text, lambda _reason: self._receive(values, accept_near_expiry=True),
            on_done=lambda _batch: self._done(drug), details=details, confirm_text="确认入库")
        self.near_dialog.open()

    def _done(self, drug: Any) -> None:
        self.submit_button.setEnabled(True)
        self.error.clear_error()
        quantity = self.quantity.text().strip()
        self.message.setText(f"已入库：{drug.generic_name} {drug.strength} 批号 {self.batch_no.text().strip()} "
                             f"效期 {self.expiry.text().strip()} 数量 {quantity}")
        self.clear(keep_message=True)

    def _failed(self, error: CunyiError) -> None:
        self.submit_button.setEnabled(True)
        self.error.show_error(str(error))
        focus_field(error, self.fields, self.drug_box)

    def clear(self, keep_message: bool = False) -> None:
        self.drug = None
        self.drug_box.current = None
        for edit in (self.drug_box, self.batch_no, self.expiry, self.quantity, self.cost):
            edit.clear()
        self.codes.clear()
        self.no_codes.setChecked(False)
        self.drug_info.setText("输入拼音码（如 amxl）或扫条码，回车选中")
        self.error.clear_error()
        if not keep_message:
            self.message.clear()
        self.drug_box.setFocus(Qt.FocusReason.OtherFocusReason)


class ReceiveTab(StockTab):
    """The form on the left, the latest receipts on the right."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.form = ReceiveForm(self)
        self._form_beside_recent(self.form, "最近入库")
        shortcut(self, "Ctrl+N", self.form.clear)
        shortcut(self, "Ctrl+F", self.focus_first)

    def refresh(self) -> None:
        token, stock = self._next_token(), self.sv.stock
        Op(self, lambda: stock.recent_movements(RECEIPT_KINDS, 100)).success(lambda rows: self._loaded(token, rows)).run()

    def _loaded(self, token: int, rows: list[Any]) -> None:
        if token != self._token:
            return
        self.model.set_rows(rows)
        today = [r for r in rows if r.occurred_at.date() == rows[0].occurred_at.date()] if rows else []
        self.summary.setText(f"最近 {len(rows)} 条 · 最近一天 {len(today)} 条" if rows else "还没有入库记录")

    def focus_first(self) -> None:
        self.form.drug_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.form.drug_box.selectAll()


__all__ = ["ReceiveForm", "ReceiveTab"]
