"""ui.printing: receipts, reversal slips and 处方笺 drawn with QPainter through QPrinter (the "PDF"
virtual printer), read back with pdftotext; no printer → the reportlab PDF is saved and said so."""

from __future__ import annotations

import dataclasses
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from receipt_sample import SAMPLE_RECEIPT

from app.printing.prescription import PrescriptionData, RxLine
from app.printing.receipt import ReversalPart
from ui.printing import PDF_PRINTER, print_prescription, print_receipt, receipt_height, unique_path

DATA = SAMPLE_RECEIPT


def _text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.mark.parametrize("paper", ["A5", "80mm"])
def test_receipt_through_qprinter_reads_back(tmp_path: Path, paper: str) -> None:
    outcome = print_receipt(DATA, paper, PDF_PRINTER, tmp_path)
    assert not outcome.printed and outcome.path == tmp_path / "收据-20261123-0007.pdf"
    assert outcome.message.startswith("收据已输出为 PDF") and not outcome.fallback
    text = _text(outcome.path)
    for expected in ("示例村卫生室", "门诊收费票据", "20261123-0007", "410***********1234", "苯磺酸氨氯地平片",
                     "2盒", "12粒", "8.12元/盒", "0.5208元/粒", "32.49元", "统筹支付", "20.68元", "医疗救助",
                     "个人自付", "11.81元", "自费", "本年统筹已用"):
        assert expected in text, expected
    assert _pages(outcome.path) == 1
    fonts = subprocess.run(["pdffonts", str(outcome.path)], capture_output=True, text=True, check=True).stdout
    assert "WenQuanYi" in fonts and " yes " in fonts  # the CJK font is embedded


def test_roll_height_follows_the_content_and_a5_is_fixed() -> None:
    longer = dataclasses.replace(DATA, lines=DATA.lines * 6)
    assert receipt_height(longer, "80mm") > receipt_height(DATA, "80mm") > 200
    assert receipt_height(longer, "A5") == receipt_height(DATA, "A5")


def test_reprint_and_reversal_slip_are_marked(tmp_path: Path) -> None:
    reprint = print_receipt(dataclasses.replace(DATA, reprint=True), "A5", PDF_PRINTER, tmp_path)
    assert reprint.path.name == "收据-20261123-0007-补打.pdf" and "补打" in _text(reprint.path)
    slip = dataclasses.replace(DATA, reversal=ReversalPart("CZ20261123-0001", datetime(2026, 11, 23, 10, 5), "患者退药", "张医生"))
    outcome = print_receipt(slip, "80mm", PDF_PRINTER, tmp_path)
    text = _text(outcome.path)
    assert outcome.path.name == "冲正-CZ20261123-0001.pdf"
    assert "冲正/退费凭证" in text and "CZ20261123-0001" in text and "患者退药" in text and "-32.49元" in text


def test_no_printer_saves_the_pdf_and_says_where(tmp_path: Path) -> None:
    outcome = print_receipt(DATA, "A5", "不存在的打印机", tmp_path)
    assert not outcome.printed and outcome.path.exists() and outcome.fallback
    assert "找不到打印机“不存在的打印机”" in outcome.message and str(outcome.path) in outcome.message
    assert "20261123-0007" in _text(outcome.path)  # the reportlab PDF
    again = print_receipt(DATA, "A5", "不存在的打印机", tmp_path)
    assert again.path != outcome.path and again.path.name == "收据-20261123-0007-2.pdf"
    assert unique_path(tmp_path, "a/b:c") == tmp_path / "a_b_c.pdf"


def test_prescription_through_qprinter(tmp_path: Path) -> None:
    data = PrescriptionData(
        clinic="示例村卫生室", number="20261123-0007", visit_date=date(2026, 11, 23), fee_type="城乡居民医保",
        patient_name="张三", sex="男", age=67, masked_id="410***********1234", address="示例村3组12号",
        diagnosis="原发性高血压 I10", lines=(RxLine("苯磺酸氨氯地平片", "5mg×28片", "2盒", "口服 每日1次 每次1片"),),
        total_fen=1624, doctor="张医生", agent="张小三（410***********1231）",
    )
    outcome = print_prescription(data, PDF_PRINTER, tmp_path)
    text = _text(outcome.path)
    assert "处方笺" in text.replace(" ", "")
    for expected in ("Rp.", "苯磺酸氨氯地平片", "× 2盒", "口服 每日1次 每次1片", "委托代购", "16.24元"):
        assert expected in text, expected
