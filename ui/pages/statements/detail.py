"""The 结算单 shown under the table: how the deduction of the selected statement is worked out, the
formula with its own numbers (DESIGN §9: the fund receivable first, then the subsidy, the rest carried)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from app.domain.statements import month_label
from ui.pages.statements.models import status_label, yuan
from ui.widgets.layout import hint


def status_text(st: Any) -> str:
    """草稿 / 已定稿 2026-06-02 09:10 / 村已确认 2026-06-03 08:00."""
    label = status_label(st.status)
    when = st.acknowledged_at if st.status == "acknowledged" else st.finalised_at if st.status == "final" else None
    return f"{label} {when:%Y-%m-%d %H:%M}" if when else label


def formula_lines(st: Any) -> list[tuple[str, str, str]]:
    """(what, how, =amount) per step of the deduction, with the statement's own figures."""
    due, fund, subsidy = st.due_fen, st.fund_receivable_fen, st.subsidy_fen
    left = due - st.from_fund_fen
    return [
        ("应扣合计", f"本月供药 {yuan(st.supplied_fen)} − 退回 {yuan(st.returned_fen)} + 上月结转 {yuan(st.carried_in_fen)}",
         yuan(due)),
        ("① 统筹扣款", f"先从统筹应付中扣：应扣合计 {yuan(due)} 与统筹应付 {yuan(fund)} 取小者", yuan(st.from_fund_fen)),
        ("② 补助扣款", f"再从基药补助中扣：尚欠 {yuan(max(left, 0))} 与基药补助 {yuan(subsidy)} 取小者",
         yuan(st.from_subsidy_fen)),
        ("③ 结转下月", f"应扣合计 {yuan(due)} − 统筹扣款 {yuan(st.from_fund_fen)} − 补助扣款 {yuan(st.from_subsidy_fen)}",
         yuan(st.carried_out_fen)),
    ]


def payable_lines(st: Any) -> list[tuple[str, str]]:
    """What the village is still paid after the deduction (fund and subsidy not used up)."""
    return [("扣款后村卫生室实得统筹", yuan(st.fund_receivable_fen - st.from_fund_fen)),
            ("实得基药补助", yuan(st.subsidy_fen - st.from_subsidy_fen))]


class StatementDetail(QFrame):
    """Title, status and the worked deduction of one statement; a hint when nothing is selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statementDetail")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.statement: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(6)
        self.title = QLabel()
        self.title.setProperty("role", "section")
        self.status = hint()
        self.body = QLabel()
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setWordWrap(True)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(self.body, 1)
        self.show_statement(None)

    def show_statement(self, st: Any, empty: str = "选中一行查看扣款明细") -> None:
        self.statement = st
        if st is None:
            self.title.setText("扣款明细")
            self.status.setText(empty)
            self.body.setText("")
            return
        name = getattr(st, "site_name", "") or ""
        self.title.setText(f"{name} {month_label(st.month)} 统一结算单 {st.statement_no}".strip())
        seq = st.covers_local_seq
        covers = f" · 覆盖村卫生室上传数据至第 {seq} 条" if seq is not None else " · 村卫生室本月数据尚未到齐"
        self.status.setText(f"状态：{status_text(st)}{covers}")
        rows = "".join(
            f"<tr><td style='padding:2px 12px 2px 0'><b>{what}</b></td><td style='padding:2px 12px 2px 0'>{how}</td>"
            f"<td align='right' style='padding:2px 0'>= <b>{amount}</b></td></tr>"
            for what, how, amount in formula_lines(st))
        rest = " · ".join(f"{what} {amount}" for what, amount in payable_lines(st))
        savings = getattr(st, "savings_fen", None)
        extra = f"本月节约医保基金 {yuan(savings)}（集采前参考价 − 采购价）× 数量" if savings is not None else ""
        self.body.setText(f"<table cellspacing='0'>{rows}</table>"
                          f"<p style='color:#475467'>{rest}{'<br>' + extra if extra else ''}</p>"
                          "<p style='color:#667085'>扣款顺序：先扣统筹应付，再扣基药补助，仍不足的结转下月（金额单位：元）</p>")
