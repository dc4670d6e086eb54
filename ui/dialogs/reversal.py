"""冲正/退费 dialog: the whole settlement, with a reason; the service enforces who may reverse when.

Shows what is being cancelled (receipt, patient, drugs, the cash to hand back), asks for the reason
(typed, or one of the usual ones with Alt+1…4) and runs ``SettlementService.reverse`` through
``Op``. A refusal (already reversed, a doctor reversing an earlier day…) is shown in the dialog.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.domain.errors import CunyiError
from app.domain.money import fen_to_yuan
from app.services.settlement.types import ReversalInfo, SettlementInfo

from ..widgets.forms import ErrorLabel
from ..workers import Op

#: the usual reasons, offered as buttons (Alt+1…)
REASONS = ("患者退药", "收费有误", "重复结算", "结算信息有误")


class ReversalDialog(QDialog):
    """``reversed(ReversalInfo)`` after the reversal is saved (then the dialog closes)."""

    reversed = Signal(object)

    def __init__(self, sv: Any, settlement: SettlementInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sv = sv
        self.settlement = settlement
        self.setObjectName("reversalDialog")
        self.setWindowTitle("冲正/退费")
        self.setMinimumWidth(520)
        s = settlement
        drugs = "<br>".join(f"{escape(line.drug_name)} {escape(line.quantity_text)}　{fen_to_yuan(line.amount_fen)}"
                            for line in s.lines)
        summary = QLabel(
            f"<div style='font-size:16px'><b>{escape(s.resident_name)}</b>　票据号 {escape(s.receipt_no)}"
            f"　{s.settled_at:%Y-%m-%d %H:%M}</div>"
            f"<div style='margin-top:6px; color:#334e68'>{drugs}</div>"
            f"<div style='margin-top:8px'>合计 {fen_to_yuan(s.split.total_fen)} 元，统筹 "
            f"{fen_to_yuan(s.split.fund_total_fen)} 元，救助 {fen_to_yuan(s.split.assistance_fen)} 元</div>"
            f"<div style='margin-top:4px; font-size:17px; color:#0d47a1'><b>退还现金 ¥{fen_to_yuan(s.split.patient_pays_fen)}</b>"
            "</div><div style='margin-top:6px; color:#8d4b00'>整笔冲正：药品退回原批次，统筹额度恢复，并打印冲正凭证。</div>"
        )
        summary.setTextFormat(Qt.TextFormat.RichText)
        summary.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setObjectName("reversalReason")
        self.reason.setMaxLength(120)
        self.reason.setPlaceholderText("冲正原因（必填），如 患者退药")
        presets = QHBoxLayout()
        presets.setSpacing(6)
        for i, text in enumerate(REASONS, 1):
            button = QPushButton(f"&{i} {text}")
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(lambda _c=False, t=text: self._preset(t))
            presets.addWidget(button)
        presets.addStretch(1)
        self.error = ErrorLabel()
        self.confirm = QPushButton("确认冲正")
        self.confirm.setObjectName("confirmReversal")
        self.confirm.setProperty("kind", "primary")
        self.confirm.setDefault(True)
        self.confirm.clicked.connect(self.submit)
        cancel = QPushButton("取消")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.confirm)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.setSpacing(10)
        layout.addWidget(summary)
        layout.addWidget(QLabel("冲正原因"))
        layout.addWidget(self.reason)
        layout.addLayout(presets)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        if s.reversed:
            self.error.show_error(f"票据 {s.receipt_no} 已经冲正过，不能重复冲正")
            self.confirm.setEnabled(False)
        self.reason.setFocus()

    def _preset(self, text: str) -> None:
        self.reason.setText(text)
        self.reason.setFocus()

    def submit(self) -> None:
        if not self.confirm.isEnabled():
            return
        reason = self.reason.text().strip()
        if not reason:
            self.error.show_error("请填写冲正原因（如 患者退药），或按 Alt+1…4 选择常用原因")
            self.reason.setFocus()
            return
        self.error.clear_error()
        self.confirm.setEnabled(False)
        settlement, settlement_id = self.sv.settlement, self.settlement.id
        Op(self, lambda: settlement.reverse(settlement_id, reason)).success(self._done).failure(self._failed) \
            .busy("正在冲正…").changes("outpatient", "stock").run()

    def _failed(self, error: CunyiError) -> None:
        self.confirm.setEnabled(True)
        self.error.show_error(str(error))

    def _done(self, info: ReversalInfo) -> None:
        self.reversed.emit(info)
        self.accept()
