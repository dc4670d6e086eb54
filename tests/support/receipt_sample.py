"""One outpatient receipt as plain data, for the tests that render it (PDF, printer, thermal slip)."""

from __future__ import annotations

from datetime import date, datetime

from app.domain.policy import Split
from app.printing.receipt import ReceiptData, ReceiptLine

#: 张三's two-drug visit at 示例村卫生室, settled 2026-11-23 09:30
SAMPLE_RECEIPT = ReceiptData(
    settlement_id="01a208e5-b5c9-7034-8380-34cb0101bbc4", clinic="示例村卫生室", region="示例县（示例数值）",
    receipt_no="20261123-0007", settled_at=datetime(2026, 11, 23, 9, 30), visit_date=date(2026, 11, 23),
    resident_name="张三", masked_id="410***********1234", sex="男", age=67, diagnosis="原发性高血压 I10",
    lines=(ReceiptLine("苯磺酸氨氯地平片", "5mg×28片", "2盒", "8.12元/盒", 1624, "甲"),
           ReceiptLine("阿莫西林胶囊", "0.25g×24粒", "12粒", "0.5208元/粒", 625, "乙")),
    general_fee_fen=1000, split=Split(
        total_fen=3249, fund_fen=1268, general_fee_fund_fen=800, assistance_fen=0, self_paid_fen=1181,
        self_funded_fen=0, b_pre_self_fen=0, deductible_fen=0, eligible=True, waiting_until=None, reason=""),
    pool_label="普通门诊统筹", ytd_fund_fen=2068, annual_cap_fen=40000, doctor="张医生",
)
