"""报损 / 退回乡镇: pick a batch, quantity and reason, confirm; the latest write-offs and returns beside it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFrame, QLineEdit, QVBoxLayout

from app.domain.enums import MovementKind
from app.domain.errors import CunyiError, ValidationError
from app.domain.fefo import parse_quantity
from app.services.stock.queries import BatchInfo
from app.services.stock.service import WRITE_OFF_REASONS
from ui.dialogs.stock_confirm import ConfirmDialog
from ui.models.stock import qty, yuan
from ui.pages.stock.tabs import StockTab
from ui.widgets.forms import ErrorLabel, focus_field
from ui.widgets.layout import EnterAdvances, button, combo, form_layout, hint, row, section, shortcut, success_label
from ui.widgets.search_box import DrugSearchBox
from ui.workers import Op

REMOVAL_KINDS = (MovementKind.WRITE_OFF.value, MovementKind.RETURN_TO_TOWNSHIP.value)
RETURN_REASONS = ("近效期退回", "质量问题", "多余退回", "其他")
KINDS = {"write_off": "报损", "return": "退回乡镇"}


def batch_text(b: BatchInfo) -> str:
    state = "已过期" if b.expired else f"剩 {b.days_left} 天"
    stock = (f"{b.packs}{b.pack_unit}" if b.packs else "") + (f"{b.loose_units}{b.base_unit}" if b.loose_units else "")
    return f"{b.batch_no} · 效期 {b.expiry.isoformat()}（{state}）· 库存 {stock or '0'}"


class WriteOffTab(StockTab):
    """The form on the left; recent write-offs and returns on the right."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.drug: Any = None
        self.batches: list[BatchInfo] = []
        self._want_batch: str | None = None
        kinds = {key: label for key, label in KINDS.items()
                 if page.can_write_off and key == "write_off" or page.can_return and key == "return"}
        self.kind = combo(tuple((label, key) for key, label in kinds.items()), "报损：过期、破损、丢失；退回乡镇：交回乡镇卫生院")
        self.drug_box = DrugSearchBox(self, self.sv.catalog.search)
        self.drug_box.handles_enter = True
        self.drug_box.picked.connect(self.set_drug)
        self.batch = QComboBox()
        self.batch.setMinimumWidth(320)
        self.quantity = QLineEdit()
        self.quantity.setPlaceholderText("如 2（盒）或 5片")
        self.reason = QComboBox()
        self.note = QLineEdit()
        self.note.setPlaceholderText("说明，如 包装受潮（选“其他”时必填）")
        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self._kind_changed()

        form_card = QFrame()
        form_card.setObjectName("card")
        form = form_layout()
        form.addRow("类型(&K)", self.kind)
        form.addRow("药品(&D)", self.drug_box)
        form.addRow("批次(&B)", self.batch)
        form.addRow("数量(&Q)", self.quantity)
        form.addRow("原因(&R)", self.reason)
        form.addRow("说明(&N)", self.note)
        self.error = ErrorLabel()
        self.message = success_label()
        self.submit_button = button(f"{KINDS[self.kind.currentData()]}… (Ctrl+Enter)", self.submit, primary=True)
        heading = section(" / ".join(kinds.values()))
        left = QVBoxLayout(form_card)
        left.setContentsMargins(20, 14, 20, 14)
        left.setSpacing(10)
        left.addWidget(heading)
        left.addLayout(form)
        left.addWidget(self.error)
        left.addWidget(self.message)
        left.addLayout(row(self.submit_button, None))
        note = hint("确认后写入台账（出库），原记录永久保留；如有错误可在库存台账中冲正。" if page.can_reverse_movement
                    else "确认后写入台账（出库），原记录永久保留；如有错误请管理员在库存台账中冲正。")
        note.setWordWrap(True)
        left.addWidget(note)
        left.addStretch(1)
        self._form_beside_recent(form_card, "最近报损与退回" if len(kinds) > 1 else f"最近{page.removal_label}")
        self.fields = {"药品": self.drug_box, "批次": self.batch, "数量": self.quantity, "报损原因": self.reason,
                       "原因": self.note}
        self.enter = EnterAdvances([self.kind, self.drug_box, self.batch, self.quantity, self.reason, self.note],
                                   self.submit)
        for keys in ("Ctrl+Return", "Ctrl+Enter", "Ctrl+S"):
            shortcut(self, keys, self.submit)
        shortcut(self, "Ctrl+F", self.focus_first)

    # -- loading ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        token, stock = self._next_token(), self.sv.stock
        Op(self, lambda: stock.recent_movements(REMOVAL_KINDS, 100)).success(lambda rows: self._loaded(token, rows)).run()
        if self.drug is not None:
            self.set_drug(self.drug)

    def _loaded(self, token: int, rows: list[Any]) -> None:
        if token != self._token:
            return
        self.model.set_rows(rows)
        self.summary.setText(f"最近 {len(rows)} 条" if rows else f"还没有{self.page.removal_label}记录")

    def focus_first(self) -> None:
        self.drug_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.drug_box.selectAll()

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.reason.clear()
        if kind == "write_off":
            for key, label in WRITE_OFF_REASONS.items():
                self.reason.addItem(label, key)
        else:
            for label in RETURN_REASONS:
                self.reason.addItem(label, label)
        if hasattr(self, "submit_button"):
            self.submit_button.setText(f"{KINDS[kind]}… (Ctrl+Enter)")

    def set_drug(self, drug: Any) -> None:
        self.drug = drug
        stock = self.sv.stock
        Op(self, lambda: stock.batches(drug.id)).success(self._batches_loaded).run()

    def _batches_loaded(self, batches: list[BatchInfo]) -> None:
        self.batches = [b for b in batches if b.on_hand_units > 0]
        self.batch.clear()
        for b in self.batches:
            self.batch.addItem(batch_text(b), b.batch_id)
        want = self._want_batch
        self._want_batch = None
        if want:
            self.batch.setCurrentIndex(max(0, self.batch.findData(want)))
            self.quantity.setFocus()
        elif self.drug_box.hasFocus():
            self.batch.setFocus()
        if not self.batches and self.drug is not None:
            self.error.show_error(f"“{self.drug.generic_name}”没有库存批次，无需报损。")
        else:
            self.error.clear_error()

    def preset(self, batch_id: str | None, kind: str = "write_off") -> None:
        """Open with a batch (from the 批次 tab) and a type already chosen."""
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        if not batch_id:
            self.focus_first()
            return
        self._want_batch = batch_id
        stock, catalog = self.sv.stock, self.sv.catalog

        def load() -> Any:
            found = next((b for b in stock.batches(include_empty=True) if b.batch_id == batch_id), None)
            return catalog.get(found.drug_id) if found else None

        Op(self, load).success(self._preset_drug).run()

    def _preset_drug(self, drug: Any) -> None:
        if drug is None:
            return
        self.drug_box.current = drug
        self.drug_box.setText(self.drug_box.label_fn(drug))
        self.set_drug(drug)

    # -- submit -----------------------------------------------------------------------------------
    def current_batch(self) -> BatchInfo | None:
        batch_id = self.batch.currentData()
        return next((b for b in self.batches if b.batch_id == batch_id), None)

    def submit(self) -> None:
        self.message.clear()
        try:
            b, units, reason_key, note = self._checked()
        except CunyiError as exc:
            self.error.show_error(str(exc))
            focus_field(exc, self.fields, self.drug_box)
            return
        self.error.clear_error()
        kind, stock = self.kind.currentData(), self.sv.stock
        if kind == "write_off":
            reason_text = WRITE_OFF_REASONS[reason_key] + (f"：{note}" if note else "")
            action = (lambda _r: lambda: stock.write_off(b.batch_id, units, reason_key, note))
        else:
            reason_text = reason_key + (f"：{note}" if note else "")
            action = (lambda _r: lambda: stock.return_to_township(b.batch_id, units, reason_text))
        label = KINDS[kind]
        amount = qty(units, b.pack_unit, b.base_unit, self.drug.units_per_pack)
        value = b.pack_cost_fen * units // max(self.drug.units_per_pack, 1)
        details = [("药品", f"{b.generic_name} {b.strength}"), ("批次", batch_text(b)), ("数量", amount),
                   ("金额(约)", f"¥{yuan(value)}"), ("原因", reason_text)]
        self.confirm_dialog = ConfirmDialog(
            self, f"确认{label}", f"确认{label}以下药品吗？确认后从库存中减去。", action,
            on_done=lambda _id: self._done(label, b, amount), details=details, confirm_text=f"确认{label}",
            danger=True,
        )
        self.confirm_dialog.open()

    def _checked(self) -> tuple[BatchInfo, int, str, str]:
        if self.drug is None:
            raise ValidationError("药品：请先选择药品（输入拼音码或扫条码后回车）", "药品")
        b = self.current_batch()
        if b is None:
            raise ValidationError("批次：请选择要减少的批次", "批次")
        units = parse_quantity(self.quantity.text(), b.pack_unit, b.base_unit, self.drug.units_per_pack)
        if units > b.on_hand_units:
            raise ValidationError(f"数量：批次 {b.batch_no} 只有 {b.on_hand_units}{b.base_unit}，不能减少 {units}{b.base_unit}",
                                  "数量")
        reason_key, note = self.reason.currentData(), self.note.text().strip()
        if reason_key in ("other", "其他") and not note:
            raise ValidationError("原因：选了“其他”，请在说明里写明具体原因", "原因")
        return b, units, reason_key, note

    def _done(self, label: str, b: BatchInfo, amount: str) -> None:
        self.message.setText(f"已{label}：{b.generic_name} 批号 {b.batch_no} {amount}")
        self.quantity.clear()
        self.note.clear()
        if self.drug is not None:
            self.set_drug(self.drug)
        self.quantity.setFocus()
