"""The split panel of 门诊收费: the engine's preview (合计 统筹 救助 自付 自费) and what to collect.

It only displays a ``Preview`` (from ``SettlementService.preview_detail``); the page decides when to
ask for one. The cash to collect (个人自付 + 自费) is the biggest figure: it is what the doctor says
to the patient.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.domain.money import fen_to_yuan
from app.services.settlement.types import Preview

STYLE = """
#splitPanel { background: #ffffff; border: 1px solid #dde3ea; border-radius: 10px; }
#splitPanel QLabel { background: transparent; }
QLabel[split="caption"] { color: #52606d; font-size: 13px; }
QLabel[split="figure"] { color: #102a43; font-size: 20px; font-weight: bold; }
QLabel[split="fund"] { color: #1b5e20; font-size: 20px; font-weight: bold; }
QLabel[split="cashCaption"] { color: #0d47a1; font-size: 14px; font-weight: bold; }
QLabel[split="cash"] { color: #0d47a1; font-size: 32px; font-weight: bold; }
QLabel[split="cash"][warn="true"] { color: #b3261e; font-size: 24px; }
QLabel#splitNote { color: #52606d; font-size: 12px; }
QLabel#splitNote[problem="true"] { color: #b3261e; font-size: 13px; font-weight: bold; }
"""

#: (key, caption) of the figures, left to right
FIGURES = (("total", "合计"), ("fund", "统筹支付"), ("assistance", "医疗救助"), ("self_paid", "个人自付"),
           ("self_funded", "自费"))


class SplitPanel(QFrame):
    """合计 · 统筹 · 救助 · 自付 · 自费, then 应收现金 in large type, and the engine's notes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("splitPanel")
        self.setStyleSheet(STYLE)
        self.preview: Preview | None = None
        self.warning = ""  # why no amount to collect is shown (a line over stock)
        self.values: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(22)
        grid.setVerticalSpacing(0)
        for col, (key, caption) in enumerate(FIGURES):
            label = QLabel(caption)
            label.setProperty("split", "caption")
            value = QLabel("—")
            value.setObjectName(f"split_{key}")
            value.setProperty("split", "fund" if key in ("fund", "assistance") else "figure")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(label, 0, col)
            grid.addWidget(value, 1, col)
            self.values[key] = value
        cash_caption = QLabel("应收现金")
        cash_caption.setProperty("split", "cashCaption")
        cash_caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.cash = QLabel("—")
        self.cash.setObjectName("split_cash")
        self.cash.setProperty("split", "cash")
        self.cash.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.cash.setMinimumWidth(150)
        cash = QVBoxLayout()
        cash.setSpacing(0)
        cash.addWidget(cash_caption)
        cash.addWidget(self.cash)
        self.note = QLabel()
        self.note.setObjectName("splitNote")
        self.note.setWordWrap(True)
        row = QHBoxLayout()
        row.setSpacing(28)
        row.addLayout(grid)
        row.addStretch(1)
        row.addLayout(cash)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 10, 18, 10)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.note)
        self.show_message("选择参保人并添加药品后，这里显示统筹报销与应收现金")

    def _note(self, text: str, problem: bool) -> None:
        self.note.setText(text)
        self.note.setProperty("problem", problem)
        self.note.style().unpolish(self.note)
        self.note.style().polish(self.note)

    def show_preview(self, preview: Preview, warning: str = "") -> None:
        """The engine's figures; with a ``warning`` (a line over stock) no amount to collect, the warning instead."""
        self.preview = preview
        self.warning = warning
        s = preview.split
        amounts = {"total": s.total_fen, "fund": s.fund_total_fen, "assistance": s.assistance_fen,
                   "self_paid": s.self_paid_fen, "self_funded": s.self_funded_fen}
        for key, value in amounts.items():
            self.values[key].setText(fen_to_yuan(value))
        self._cash(f"¥{fen_to_yuan(s.patient_pays_fen)}" if not warning else "不能结算", bool(warning))
        if warning:
            self._note(f"不能结算：{warning}", True)
        else:
            self._note(s.reason, not s.eligible)

    def _cash(self, text: str, warn: bool = False) -> None:
        self.cash.setText(text)
        if self.cash.property("warn") != warn:
            self.cash.setProperty("warn", warn)
            self.cash.style().unpolish(self.cash)
            self.cash.style().polish(self.cash)

    def show_message(self, text: str, problem: bool = False, keep_figures: bool = False) -> None:
        """A hint or a problem instead of a split (no resident yet, the engine refused…)."""
        self.preview = None
        self.warning = ""
        if not keep_figures:
            for value in self.values.values():
                value.setText("—")
            self._cash("—")
        self._note(text, problem)

    def cash_fen(self) -> int | None:
        if self.preview is None or self.warning:
            return None
        return self.preview.split.patient_pays_fen
