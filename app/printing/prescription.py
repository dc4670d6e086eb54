"""处方笺 (outpatient prescription) as an A5 PDF with the bundled CJK font embedded.

The settlement service builds a ``PrescriptionData`` from a saved visit; this module only draws it.
The layout follows the usual 处方笺: header (clinic, 费别, number, date), patient (name, sex, age,
masked ID, address), 临床诊断, the Rp lines with 用法用量, then amount and signatures
(医师 / 审核 / 调配 / 核对发药).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.domain.money import fen_to_yuan

from .fonts import register_fonts
from .receipt import Pen


@dataclass(frozen=True)
class RxLine:
    """One Rp line: drug, spec, quantity with unit ("1盒", "14片") and usage 用法用量."""

    name: str
    spec: str
    quantity: str
    usage: str


@dataclass(frozen=True)
class PrescriptionData:
    clinic: str
    number: str  # the receipt number of the visit's settlement
    visit_date: date
    fee_type: str  # 费别: 城乡居民医保 / 自费
    patient_name: str
    sex: str
    age: int
    masked_id: str
    address: str
    diagnosis: str
    lines: tuple[RxLine, ...]
    total_fen: int
    doctor: str
    agent: str = ""


def a5_pdf_bytes(draw, data, title: str) -> bytes:  # noqa: ANN001 - draw(canvas, data, font)
    """One A5 page drawn by ``draw(canvas, data, font)`` with the bundled font, as a PDF titled ``title``."""
    font = register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A5, pageCompression=1, initialFontName=font)
    canvas.setTitle(title)
    canvas.setCreator("村医通")
    draw(canvas, data, font)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def prescription_pdf_bytes(data: PrescriptionData) -> bytes:
    """Draw the 处方笺 on A5 and return the PDF."""
    return a5_pdf_bytes(draw_prescription, data, f"处方笺 {data.number}")


def draw_prescription(canvas, data: PrescriptionData, font: str) -> None:  # noqa: ANN001 - a reportlab Canvas or alike
    """Draw the 处方笺 on an A5 ``canvas`` (reportlab's, or the desktop's QPainter adapter)."""
    width, height = A5
    margin = 12 * mm
    pen = Pen(canvas, width, margin, height - 10 * mm, font, bottom=14 * mm)
    pen.center(data.clinic, 13)
    pen.center("处 方 笺", 15)
    canvas.setFont(font, 9)
    canvas.drawRightString(width - margin, height - 10 * mm - 8, f"费别：{data.fee_type}")
    pen.space(2 * mm)
    pen.columns([(0, f"编号：{data.number}", "l"), (pen.inner, f"日期：{data.visit_date:%Y年%m月%d日}", "r")], 9)
    pen.rule()
    pen.columns([(0, f"姓名：{data.patient_name}", "l"), (pen.inner * 0.42, f"性别：{data.sex}", "l"),
                 (pen.inner * 0.65, f"年龄：{data.age}岁", "l")], 9.5)
    pen.text(f"身份证号：{data.masked_id}", 9)
    if data.address:
        pen.text(f"住址：{data.address}", 9)
    if data.agent:
        pen.text(f"委托代购：{data.agent}", 9)
    pen.text(f"临床诊断：{data.diagnosis or '—'}", 9.5)
    pen.rule()
    pen.text("Rp.", 14)
    pen.space(1 * mm)
    for i, line in enumerate(data.lines, 1):
        pen.text(f"{i}. {line.name}  {line.spec}", 10, right=f"× {line.quantity}")
        pen.text(f"    用法用量：{line.usage}", 9)
        pen.space(1.5 * mm)
    pen.text("（以下空白）", 8)
    pen.y = min(pen.y, 40 * mm)
    pen.rule()
    pen.columns([(0, f"医师：{data.doctor or '—'}", "l"), (pen.inner, f"药品金额：{fen_to_yuan(data.total_fen)}元", "r")],
                9.5)
    pen.space(2 * mm)
    pen.columns([(0, "审核：", "l"), (pen.inner * 0.34, "调配：", "l"), (pen.inner * 0.67, "核对发药：", "l")], 9.5)
    pen.text("注：本处方当日有效；村卫生室存档备查。", 7.5)


def write_prescription_pdf(path: Path | str, data: PrescriptionData) -> Path:
    path = Path(path)
    path.write_bytes(prescription_pdf_bytes(data))
    return path
