"""Receipt and prescription rendering from plain data, in memory (no database, no files)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from app.domain.errors import ValidationError
from app.domain.policy import Split
from app.printing.fonts import register_fonts
from app.printing.prescription import PrescriptionData, RxLine, prescription_pdf_bytes
from app.printing.receipt import ReceiptData, ReceiptLine, ReversalPart, receipt_pdf_bytes, wrap

DATA = ReceiptData(
    settlement_id="01a208e5-b5c9-7034-8380-34cb0101bbc4", clinic="示例村卫生室", region="示例县（示例数值）",
    receipt_no="20261123-0007", settled_at=datetime(2026, 11, 23, 9, 30), visit_date=date(2026, 11, 23),
    resident_name="张三", masked_id="410***********1234", sex="男", age=67, diagnosis="高血压 I10",
    lines=(ReceiptLine("苯磺酸氨氯地平片", "5mg×28片", "1盒", "8.12元/盒", 812, "甲"),) * 30,
    general_fee_fen=1000, split=Split(
        total_fen=25360, fund_fen=5000, general_fee_fund_fen=800, assistance_fen=300, self_paid_fen=18910,
        self_funded_fen=350, b_pre_self_fen=0, deductible_fen=0, eligible=True, waiting_until=None, reason=""),
    pool_label="普通门诊统筹", ytd_fund_fen=12340, annual_cap_fen=40000, doctor="李医生",
)


def test_a5_flows_onto_a_second_page_and_the_roll_grows():
    a5 = receipt_pdf_bytes(DATA, "A5")
    roll_short = receipt_pdf_bytes(dataclasses.replace(DATA, lines=DATA.lines[:1]), "80mm")
    roll_long = receipt_pdf_bytes(DATA, "80mm")
    assert a5.startswith(b"%PDF") and b"/MediaBox [ 0 0 419.5276 595.2756 ]" in a5
    assert a5.count(b"/Type /Page") - a5.count(b"/Type /Pages") == 2
    assert roll_long.count(b"/Type /Page") - roll_long.count(b"/Type /Pages") == 1
    height = lambda pdf: float(pdf.split(b"/MediaBox [ 0 0 ")[1].split(b"]")[0].split()[1])  # noqa: E731
    assert height(roll_long) > height(roll_short) > 200


def test_cap_left_and_fund_total():
    assert DATA.cap_left_fen == 40000 - 12340 and DATA.split.fund_total_fen == 5800
    assert dataclasses.replace(DATA, ytd_fund_fen=50000).cap_left_fen == 0


def test_unknown_paper_is_refused():
    with pytest.raises(ValidationError) as err:
        receipt_pdf_bytes(DATA, "A4")
    assert err.value.field == "收据纸张"


def test_reversal_slip_and_prescription_render():
    slip = receipt_pdf_bytes(dataclasses.replace(DATA, reversal=ReversalPart(
        "CZ20261123-0001", datetime(2026, 11, 23, 10, 0), "退药", "王管理员")), "80mm")
    assert slip.startswith(b"%PDF") and slip != receipt_pdf_bytes(DATA, "80mm")
    rx = prescription_pdf_bytes(PrescriptionData(
        "示例村卫生室", "20261123-0007", date(2026, 11, 23), "城乡居民医保", "张三", "男", 67, "410***********1234",
        "示例村3组", "高血压 I10", (RxLine("苯磺酸氨氯地平片", "5mg×28片", "1盒", "口服 每日1次"),), 812, "李医生"))
    assert rx.startswith(b"%PDF") and len(rx) > 1000


def test_wrap_breaks_cjk_by_width():
    font = register_fonts()
    lines = wrap("阿莫西林胶囊（很长很长的商品名称用于测试换行效果）", font, 10, 60)
    assert len(lines) > 1 and "".join(lines) == "阿莫西林胶囊（很长很长的商品名称用于测试换行效果）"
    assert wrap("", font, 10, 60) == [""]
