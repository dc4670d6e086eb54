"""Any report ``Table`` as an A4 PDF with the bundled CJK font, page numbers and a header row."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from app.domain.money import fen_to_yuan

from .fonts import register_fonts


def _fmt(kind: str, value: object) -> str:
    if value is None:
        return ""
    if kind == "fen" and isinstance(value, int):
        return fen_to_yuan(value)
    return str(value)


def write_table_pdf(table, path: Path) -> None:  # noqa: ANN001 - app.services.reports.Table
    font = register_fonts()
    wide = len(table.columns) > 6
    size = landscape(A4) if wide else A4
    doc = SimpleDocTemplate(str(path), pagesize=size, leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm, title=table.title)
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=20)
    small = ParagraphStyle("small", fontName=font, fontSize=9, leading=12, textColor=colors.grey)
    cell = ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11)
    data = [[Paragraph(c.label, cell) for c in table.columns]]
    for row in table.rows:
        data.append([Paragraph(_fmt(c.kind, row.get(c.key)), cell) for c in table.columns])
    if table.totals:
        data.append([Paragraph("合计" if i == 0 else _fmt(c.kind, table.totals.get(c.key)), cell)
                     for i, c in enumerate(table.columns)])
    grid = LongTable(data, repeatRows=1)
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))

    def footer(canvas, doc_):  # noqa: ANN001
        canvas.setFont(font, 8)
        canvas.drawRightString(size[0] - 12 * mm, 8 * mm, f"第 {doc_.page} 页")

    story = [Paragraph(table.title, title)]
    if table.subtitle:
        story.append(Paragraph(table.subtitle, small))
    story += [Spacer(0, 4 * mm), grid]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
