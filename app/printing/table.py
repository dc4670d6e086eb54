"""Gridded table PDFs with the bundled CJK font, page numbers and a repeating header row: any report
``Table``, and the stock documents (``stock_docs``)."""

from __future__ import annotations

from collections.abc import Iterable
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


def write_table_pdf(table, path: Path) -> None:  # noqa: ANN001 - app.services.core.reports.Table
    rows = [[_fmt(c.kind, row.get(c.key)) for c in table.columns] for row in table.rows]
    if table.totals:
        rows.append(["合计" if i == 0 else _fmt(c.kind, table.totals.get(c.key)) for i, c in enumerate(table.columns)])
    write_grid_pdf(Path(path), table.title, table.subtitle, [c.label for c in table.columns], rows,
                   wide=len(table.columns) > 6)


def write_grid_pdf(path: Path, title: str, subtitle: str, header: list[str], rows: Iterable[list[object]], *,
                   wide: bool, widths: list[float] | None = None, footer_note: str = "", cell_pt: float = 8.5) -> int:
    """A titled A4 PDF (landscape when ``wide``) of a gridded table whose header row repeats on every
    page, with page numbers and an optional footer note. ``rows`` may be a generator (streamed into
    the table). Returns the number of rows written."""
    font = register_fonts()
    size = landscape(A4) if wide else A4
    doc = SimpleDocTemplate(str(path), pagesize=size, leftMargin=10 * mm, rightMargin=10 * mm,
                            topMargin=12 * mm, bottomMargin=14 * mm, title=title)
    title_style = ParagraphStyle("title", fontName=font, fontSize=15, leading=20)
    small = ParagraphStyle("small", fontName=font, fontSize=9, leading=12, textColor=colors.grey)
    cell = ParagraphStyle("cell", fontName=font, fontSize=cell_pt, leading=cell_pt + 2.5)
    data = [[Paragraph(h, cell) for h in header]]
    for row in rows:
        data.append([Paragraph(str(v), cell) for v in row])
    grid = LongTable(data, repeatRows=1, colWidths=widths)
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))

    def footer(canvas, doc_):  # noqa: ANN001
        canvas.setFont(font, 8)
        canvas.drawRightString(size[0] - 10 * mm, 8 * mm, f"第 {doc_.page} 页")
        if footer_note:
            canvas.drawString(10 * mm, 8 * mm, footer_note)

    story = [Paragraph(title, title_style)]
    if subtitle:
        story.append(Paragraph(subtitle, small))
    story += [Spacer(0, 3 * mm), grid]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return len(data) - 1
