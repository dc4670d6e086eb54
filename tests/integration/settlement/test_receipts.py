"""Receipt, reversal slip and 处方笺 PDFs, read back with pdftotext; the CJK font embedded (pdffonts)."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from settle_helpers import AT, change_final_rows

from app.domain.errors import ValidationError
from app.domain.idcard import mask_id
from app.domain.money import fen_to_yuan


def _text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def _fonts(path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:]]


@pytest.fixture
def settled(clinic):
    resident = clinic.resident(assistance_category="tekun")
    return resident, clinic.sv.settlement.settle(clinic.draft(resident.id), at=AT)


@pytest.mark.parametrize("paper", ["A5", "80mm"])
def test_receipt_shows_masked_id_lines_with_units_and_the_four_amounts(clinic, settled, tmp_path, paper):
    resident, info = settled
    path = tmp_path / f"receipt-{paper}.pdf"
    pdf = clinic.sv.settlement.receipt_pdf(info.id, paper, path)
    assert path.read_bytes() == pdf and pdf.startswith(b"%PDF")
    text = _text(path)
    assert mask_id(resident.id_number) in text and resident.id_number not in text
    assert "示例村卫生室" in text and info.receipt_no in text and "张三" in text and "李医生" in text
    for expected in ("1盒", "8.12元/盒", "12粒", "0.5208元/粒", "1瓶", "3.50元/瓶", "8.12元", "6.25元", "3.50元"):
        assert expected in text, expected
    split = info.split
    for label, fen in (("统筹支付", split.fund_fen + split.general_fee_fund_fen), ("医疗救助", split.assistance_fen),
                       ("个人自付", split.self_paid_fen), ("自费", split.self_funded_fen), ("合计", split.total_fen)):
        line = next(line for line in text.splitlines() if line.strip().startswith(label))
        assert f"{fen_to_yuan(fen)}元" in line, (label, line)
    assert "本年统筹已用" in text and "剩余额度" in text and "补打" not in text and "已冲正" not in text
    assert "机构编码：H41152210001" in text
    fonts = _fonts(path)
    assert fonts and all(row[-5] == "yes" for row in fonts)  # every font embedded
    assert any("WenQuanYi" in row[0] for row in fonts)


def test_reprint_is_marked_and_every_print_recorded(clinic, settled, tmp_path):
    _, info = settled
    clinic.sv.settlement.receipt_pdf(info.id, "A5", tmp_path / "first.pdf")
    clinic.sv.settlement.receipt_pdf(info.id, "80mm", tmp_path / "again.pdf")
    assert "补打" not in _text(tmp_path / "first.pdf")
    assert "补打" in _text(tmp_path / "again.pdf")
    with clinic.sv.db.read() as s:
        from sqlalchemy import text

        rows = s.execute(text("SELECT reprint, paper FROM receipt_prints ORDER BY printed_at, rowid")).all()
    assert [tuple(r) for r in rows] == [(0, "A5"), (1, "80mm")]


def test_reversal_slip_refers_to_the_original(clinic, settled, tmp_path):
    _, info = settled
    reversal = clinic.sv.settlement.reverse(info.id, "患者退药", at=AT + timedelta(minutes=3))
    clinic.sv.settlement.receipt_pdf(info.id, "80mm", tmp_path / "rev.pdf", reversal=True)
    text = _text(tmp_path / "rev.pdf")
    assert "冲正/退费凭证" in text and reversal.receipt_no in text and info.receipt_no in text
    assert "患者退药" in text and f"-{fen_to_yuan(info.split.total_fen)}元" in text
    assert f"{fen_to_yuan(reversal.refund_fen)}元" in text and "补打" not in text


@pytest.mark.parametrize("paper", ["A5", "80mm"])
def test_receipt_of_a_reversed_settlement_is_marked_with_the_reversal(clinic, settled, tmp_path, paper):
    _, info = settled
    clinic.sv.settlement.receipt_pdf(info.id, paper, tmp_path / "first.pdf")
    assert "已冲正" not in _text(tmp_path / "first.pdf")
    reversal = clinic.sv.settlement.reverse(info.id, "患者退药", at=AT + timedelta(minutes=3))
    clinic.sv.settlement.receipt_pdf(info.id, paper, tmp_path / "again.pdf")
    text = _text(tmp_path / "again.pdf")
    assert "门诊收费票据（补打）" in text and info.receipt_no in text
    assert "已冲正" in text and "本票据已作废" in text
    assert f"冲正凭证号：{reversal.receipt_no}" in text and "冲正时间：2026-11-23 09:33" in text
    # the reversal slip itself is not marked: it is the valid document of the refund
    clinic.sv.settlement.receipt_pdf(info.id, paper, tmp_path / "slip.pdf", reversal=True)
    assert "已冲正" not in _text(tmp_path / "slip.pdf")


def _ytd_line(path) -> str:
    return next(line.strip() for line in _text(path).splitlines() if "本年统筹已用" in line)


def test_reprint_shows_the_figures_of_the_first_print(clinic, tmp_path):
    """Settlements and reversals after the first print change nothing on a reprint (本年统筹已用 included)."""
    from dataclasses import replace

    sv, resident = clinic.sv.settlement, clinic.resident()
    earlier = sv.settle(clinic.draft(resident.id, {"amlo": 28, "amox": 12}), at=AT - timedelta(hours=1))
    info = sv.settle(clinic.draft(resident.id, {"amlo": 28, "amox": 12}), at=AT)
    first = sv.receipt_data(info.id, record=False)
    sv.receipt_pdf(info.id, "A5", tmp_path / "first.pdf")
    assert earlier.split.fund_fen and info.split.fund_fen
    assert first.ytd_fund_fen == earlier.split.fund_fen + info.split.fund_fen

    clinic.as_admin()
    sv.reverse(earlier.id, "收费有误", at=AT + timedelta(minutes=5))  # counted when first printed
    sv.settle(clinic.draft(resident.id, {"amlo": 28}), at=AT + timedelta(hours=1))  # a later visit
    reversal = sv.reverse(info.id, "患者退药", at=AT + timedelta(hours=2))
    slip = sv.receipt_data(info.id, reversal=True, record=False)
    sv.settle(clinic.draft(resident.id, {"amox": 12}), at=AT + timedelta(hours=3))

    again = sv.receipt_data(info.id, record=False)
    assert again.reprint and again.reversed_by is not None and again.reversed_by.receipt_no == reversal.receipt_no
    assert replace(again, reprint=False, reversed_by=None) == first
    sv.receipt_pdf(info.id, "A5", tmp_path / "again.pdf")
    assert _ytd_line(tmp_path / "again.pdf") == _ytd_line(tmp_path / "first.pdf")
    # the reversal slip too: the year as it stood at the reversal, whatever came after
    assert sv.receipt_data(info.id, reversal=True, record=False) == slip


def test_prescription_slip(clinic, settled, tmp_path):
    _, info = settled
    path = tmp_path / "rx.pdf"
    clinic.sv.settlement.prescription_pdf(info.id, path)
    text = _text(path)
    for expected in ("处方笺", "张三", "男", "67岁", "高血压 I10", "苯磺酸氨氯地平片", "× 1盒", "× 12粒",
                     "口服 每日1次 每次1片", "李医生", info.receipt_no):
        assert expected in text, expected
    assert all(row[-5] == "yes" for row in _fonts(path))


def test_qr_code_holds_the_settlement_id(clinic, settled, tmp_path):
    """Rasterise the A5 receipt and read the QR modules back against the settlement id's own code."""
    from PIL import Image
    from reportlab.graphics.barcode.qr import QrCodeWidget

    from app.printing.receipt import QR_MASK

    _, info = settled
    pdf = tmp_path / "qr.pdf"
    clinic.sv.settlement.receipt_pdf(info.id, "A5", pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-singlefile", str(pdf), str(tmp_path / "qr")], check=True)
    mm = 300 / 25.4
    image = Image.open(tmp_path / "qr.png").convert("L")
    region = image.crop((int(114 * mm), int(4 * mm), int(142 * mm), int(32 * mm)))
    box = region.point(lambda v: 255 if v < 128 else 0).getbbox()  # the dark modules' extent
    assert box is not None
    code = region.crop(box)
    qr = QrCodeWidget(info.id, barLevel="M").qr
    qr.version = qr.calculate_version()
    qr.makeImpl(False, QR_MASK)
    count = len(qr.modules)
    cell = code.width / count
    read = [[code.getpixel((int((c + 0.5) * cell), int((r + 0.5) * cell))) < 128 for c in range(count)]
            for r in range(count)]
    assert read == [[bool(v) for v in row] for row in qr.modules]


def test_prescription_slip_is_refused_while_a_usage_is_empty(clinic, settled, tmp_path):
    """A visit saved without a usage (before it was required) never prints 遵医嘱 in its place."""
    _, info = settled
    change_final_rows(clinic.sv.data.database, "prescription_lines", "UPDATE prescription_lines SET usage = '' WHERE line_no = 2")
    path = tmp_path / "rx.pdf"
    with pytest.raises(ValidationError) as err:
        clinic.sv.settlement.prescription_pdf(info.id, path)
    assert err.value.field == "用法用量" and "第2行“阿莫西林胶囊”用法用量为空" in str(err.value)
    assert "第1行" not in str(err.value) and not path.exists()


def test_receipt_numbers_go_on_past_9999_in_a_day(clinic):
    """The next number is the numeric maximum + 1: as text '…-9999' sorts after '…-10000'."""
    resident = clinic.resident()
    first = clinic.sv.settlement.settle(clinic.draft(resident.id, {"vitc": 1}), at=AT)
    head = first.receipt_no[:-4]
    assert first.receipt_no == f"{head}0001"
    change_final_rows(clinic.sv.data.database, "settlements", "UPDATE settlements SET receipt_no = ? WHERE id = ?",
                      (f"{head}9999", first.id))
    numbers = [clinic.sv.settlement.settle(clinic.draft(resident.id, {"vitc": 1}), at=AT + timedelta(minutes=i)).receipt_no
               for i in (1, 2)]
    assert numbers == [f"{head}10000", f"{head}10001"]
    reversal = clinic.sv.settlement.reverse(first.id, "收错", at=AT + timedelta(minutes=3))
    assert reversal.receipt_no.endswith("-0001")


def test_one_split_from_the_settlements_row_to_the_receipt(clinic, settled):
    """Row → Split → receipt keeps every figure: the columns map to the engine's split and back unchanged."""
    from sqlalchemy import select

    from app.db.models import Settlement
    from app.services.settlement.types import SPLIT_COLUMNS, split_columns, split_of

    _resident, info = settled
    columns = Settlement.__table__.c
    with clinic.sv.db.read() as s:
        row = s.execute(select(*(columns[name] for name in SPLIT_COLUMNS)).where(columns.id == info.id)).mappings().one()
    stored = split_of(row)
    # every part of the split is at work in this visit (A, B with its pre-self part, C, fee, assistance)
    assert all((stored.fund_fen, stored.general_fee_fund_fen, stored.assistance_fen, stored.self_paid_fen,
                stored.self_funded_fen, stored.b_pre_self_fen)) and stored.eligible
    assert stored == info.split and split_columns(stored) == dict(row)
    assert clinic.sv.settlement.get(info.id).split == stored
    receipt = clinic.sv.settlement.receipt_data(info.id, record=False)
    assert receipt.split == stored and receipt.split.to_json() == info.split.to_json()
