"""Outpatient receipts (门诊收费票据) and reversal slips (冲正/退费凭证) as PDF, A5 or 80 mm roll.

The settlement service builds a ``ReceiptData`` (plain values, nothing from the database) and this
module draws it with reportlab and the bundled CJK font, embedded as a subset (DESIGN §7). The UI can
print the same PDF through ``QPrinter`` or save it. A reprint is marked 补打; a reversal slip names
the original receipt; the receipt of a reversed settlement carries a large framed 已冲正 with the
reversal's number and time. A QR code holds the settlement id so a receipt leads back to its record.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import qrcode
from PIL import Image
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

from app.domain.errors import ValidationError
from app.domain.money import fen_to_yuan
from app.domain.policy import Split

from .fonts import register_fonts

#: QR mask pattern used for every code (fixed rather than searched: the search costs more than the page)
QR_MASK = 2
#: paper name → (page width, left/right margin); the roll's height follows the content
PAPERS = {"A5": (A5[0], 10 * mm), "80mm": (80 * mm, 4 * mm)}


@dataclass(frozen=True)
class ReceiptLine:
    """One drug line as printed: quantity with its unit, unit price with its unit, amount in fen."""

    name: str
    spec: str
    quantity: str  # "1盒" or "14片"
    unit_price: str  # "8.12元/盒" or "0.29元/片"
    amount_fen: int
    coverage_class: str  # 甲 / 乙 / 丙


@dataclass(frozen=True)
class ReversalPart:
    """What a reversal slip adds: its own number, when, why, who."""

    receipt_no: str
    reversed_at: datetime
    reason: str
    operator: str


@dataclass(frozen=True)
class ReceiptData:
    """Everything a receipt shows. Amounts in fen; the money split is the settlement's ``Split``."""

    settlement_id: str
    clinic: str
    region: str
    receipt_no: str
    settled_at: datetime
    visit_date: date
    resident_name: str
    masked_id: str
    sex: str  # 男 / 女
    age: int
    diagnosis: str
    lines: tuple[ReceiptLine, ...]
    general_fee_fen: int
    split: Split
    pool_label: str
    ytd_fund_fen: int
    annual_cap_fen: int
    doctor: str
    assistance_label: str = ""
    agent: str = ""
    reprint: bool = False
    reversal: ReversalPart | None = None
    #: the receipt of a settlement that has since been reversed: the reversal (printed as 已冲正)
    reversed_by: ReversalPart | None = None
    clinic_code: str = ""  # 机构编码 (定点医药机构编码)

    @property
    def cap_left_fen(self) -> int:
        return max(0, self.annual_cap_fen - self.ytd_fund_fen)


class Pen:
    """A top-down writer over a reportlab canvas; with ``canvas=None`` it only measures height.

    The canvas may be anything with reportlab's ``drawString``/``drawRightString``/``drawCentredString``
    (the desktop's QPainter adapter is one). With ``one_text_object`` (a reportlab ``Canvas`` only) the
    text of a page goes into one PDF text object — positioned runs, the font set only when the size
    changes — instead of one object per string; the caller then calls ``flush`` before ``showPage``.
    """

    def __init__(self, canvas: Canvas | None, width: float, margin: float, top: float, font: str,
                 bottom: float = 10 * mm, *, one_text_object: bool = False) -> None:
        self.c, self.width, self.margin, self.font = canvas, width, margin, font
        self.top, self.bottom = top, bottom
        self.y = top
        self._batch = one_text_object
        self._text: PDFTextObject | None = None
        self._size = 0.0

    @property
    def inner(self) -> float:
        return self.width - 2 * self.margin

    def _room(self, height: float) -> None:
        if self.c is not None and self.y - height < self.bottom:
            self.flush()
            self.c.showPage()
            self.y = self.top

    def _put(self, x: float, text: str, size: float, align: str = "l") -> None:
        """One string on the current line: left-aligned at ``x``, or ending at (``r``) / centred on (``c``) it."""
        if not self._batch:
            self.c.setFont(self.font, size)
            draw = {"l": self.c.drawString, "r": self.c.drawRightString, "c": self.c.drawCentredString}[align]
            draw(x, self.y, text)
            return
        if self._text is None:
            self._text, self._size = self.c.beginText(), 0.0
        if size != self._size:
            self._text.setFont(self.font, size)
            self._size = size
        if align != "l":
            width = stringWidth(text, self.font, size)
            x -= width if align == "r" else width / 2
        self._text.setTextOrigin(x, self.y)
        self._text.textOut(text)

    def flush(self) -> None:
        """Draw the page's text collected so far."""
        if self.c is not None and self._text is not None:
            self.c.drawText(self._text)
            self._text = None

    def text(self, left: str, size: float = 8.5, right: str = "", lead: float = 1.35) -> None:
        """One or more lines: ``left`` wraps to the width; ``right`` is right-aligned on the last line."""
        room = self.inner - (stringWidth(right, self.font, size) + 2 * mm if right else 0)
        lines = wrap(left, self.font, size, room) or [""]
        for i, line in enumerate(lines):
            self._room(size * lead)
            self.y -= size * lead
            if self.c is not None:
                self._put(self.margin, line, size)
                if right and i == len(lines) - 1:
                    self._put(self.width - self.margin, right, size, "r")

    def center(self, text: str, size: float) -> None:
        self._room(size * 1.5)
        self.y -= size * 1.5
        if self.c is not None:
            self._put(self.width / 2, text, size, "c")

    def columns(self, cells: list[tuple[float, str, str]], size: float = 8.5) -> None:
        """One row of cells ``(x offset from margin, text, align l|r)``."""
        self._room(size * 1.4)
        self.y -= size * 1.4
        if self.c is not None:
            for x, text, align in cells:
                self._put(self.margin + x, text, size, align)

    def rule(self, gap: float = 1.5 * mm, dash: bool = False) -> None:
        self._room(gap * 2)
        self.y -= gap
        if self.c is not None:
            self.c.saveState()
            self.c.setLineWidth(0.4)
            if dash:
                self.c.setDash(2, 2)
            self.c.line(self.margin, self.y, self.width - self.margin, self.y)
            self.c.restoreState()
        self.y -= gap

    def qr(self, value: str, size: float, x: float | None = None, y: float | None = None) -> None:
        """A QR code; at ``(x, y)`` (bottom-left) if given, else centred below the cursor."""
        if x is None or y is None:
            self._room(size + 2 * mm)
            self.y -= size + 2 * mm
            x, y = (self.width - size) / 2, self.y
        if self.c is None:
            return
        modules = qr_modules(value)
        count = len(modules)
        image = Image.new("1", (count, count), 1)
        image.putdata([0 if dark else 1 for row in modules for dark in row])
        # one module per pixel, scaled up by the PDF (no interpolation): crisp and small
        self.c.drawImage(ImageReader(image), x, y, size, size)

    def space(self, height: float) -> None:
        self.y -= height

    def stamp(self, mark: str, size: float, notes: list[str], note_size: float = 8.5) -> None:
        """A framed mark centred across the width: ``mark`` in large type, ``notes`` in small lines below it."""
        pad = 2 * mm
        widths = [stringWidth(mark, self.font, size)] + [stringWidth(n, self.font, note_size) for n in notes]
        box_w = min(self.inner, max(widths) + 4 * pad)
        box_h = size * 1.25 + len(notes) * note_size * 1.4 + 2 * pad
        self._room(box_h + 2 * pad)
        top = self.y - pad
        self.y = top - pad - size
        if self.c is None:
            self.y = top - box_h - pad
            return
        self._put(self.width / 2, mark, size, "c")
        for note in notes:
            self.y -= note_size * 1.4
            self._put(self.width / 2, note, note_size, "c")
        left, right, bottom = (self.width - box_w) / 2, (self.width + box_w) / 2, top - box_h
        self.c.saveState()
        self.c.setLineWidth(1.6)
        for x1, y1, x2, y2 in ((left, top, right, top), (right, top, right, bottom), (right, bottom, left, bottom),
                               (left, bottom, left, top)):
            self.c.line(x1, y1, x2, y2)
        self.c.restoreState()
        self.y = bottom - pad


def qr_modules(value: str) -> list[list[bool]]:
    """The QR code of ``value`` (level M, smallest version, mask ``QR_MASK``) as rows of dark modules.

    Encoded with the ``qrcode`` package (a third faster than reportlab's encoder, same matrix).
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=QR_MASK)
    code.add_data(value, optimize=0)  # one segment, as a scanner of ids expects
    code.make(fit=True)
    return code.modules


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Split ``text`` into lines no wider than ``width`` (by character: CJK has no spaces)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if stringWidth(paragraph, font, size) <= width:  # most lines fit: one measure, not one per character
            lines.append(paragraph)
            continue
        line, used = "", 0.0
        for ch in paragraph:
            w = stringWidth(ch, font, size)
            if line and used + w > width:
                lines.append(line)
                line, used = ch, w
            else:
                line, used = line + ch, used + w
        lines.append(line)
    return lines


def _y(fen: int, sign: int = 1) -> str:
    return f"{fen_to_yuan(sign * fen)}元"


def _title(data: ReceiptData) -> str:
    title = "冲正/退费凭证" if data.reversal else "门诊收费票据"
    return f"{title}（补打）" if data.reprint else title


def _draw(pen: Pen, data: ReceiptData, paper: str) -> None:
    roll = paper == "80mm"
    sign = -1 if data.reversal else 1
    pen.center(data.clinic, 12 if roll else 13)
    if data.clinic_code:
        pen.center(f"机构编码：{data.clinic_code}", 8)
    pen.center(_title(data), 10.5 if roll else 11.5)
    if data.reprint:
        pen.center("【补打】本票据为补打件，以首次打印为准", 8)
    if data.reversed_by:
        r = data.reversed_by
        pen.stamp("已冲正", 24 if roll else 28, [f"冲正凭证号：{r.receipt_no}", f"冲正时间：{r.reversed_at:%Y-%m-%d %H:%M}",
                                              "本票据已作废，不能作为收费凭证"])
    pen.space(1 * mm)
    if data.reversal:
        r = data.reversal
        pen.text(f"冲正凭证号：{r.receipt_no}")
        pen.text(f"冲正时间：{r.reversed_at:%Y-%m-%d %H:%M}")
        pen.text(f"原票据号：{data.receipt_no}（{data.settled_at:%Y-%m-%d %H:%M}）")
        pen.text(f"冲正原因：{r.reason}")
    else:
        pen.text(f"票据号：{data.receipt_no}")
        pen.text(f"结算时间：{data.settled_at:%Y-%m-%d %H:%M}")
    pen.text(f"就诊日期：{data.visit_date:%Y-%m-%d}")
    pen.text(f"姓名：{data.resident_name}  {data.sex}  {data.age}岁")
    pen.text(f"身份证号：{data.masked_id}")
    if data.agent:
        pen.text(f"委托代购：{data.agent}")
    if data.diagnosis:
        pen.text(f"诊断：{data.diagnosis}")
    pen.text(f"结算类别：{data.pool_label}")
    pen.rule()
    if roll:
        for i, line in enumerate(data.lines, 1):
            pen.text(f"{i}. {line.name} {line.spec}", 8.5)
            pen.text(f"   {line.quantity} × {line.unit_price}  [{line.coverage_class}]", 8.5,
                     right=_y(line.amount_fen, sign))
    else:
        w = pen.inner
        pen.columns([(0, "药品名称/规格", "l"), (w * 0.50, "数量", "l"), (w * 0.62, "单价", "l"),
                     (w * 0.93, "金额", "r"), (w, "类别", "r")], 8)
        for i, line in enumerate(data.lines, 1):
            names = wrap(f"{i}. {line.name} {line.spec}", pen.font, 8.5, w * 0.49)
            pen.columns([(0, names[0], "l"), (w * 0.50, line.quantity, "l"), (w * 0.62, line.unit_price, "l"),
                         (w * 0.93, _y(line.amount_fen, sign), "r"), (w, line.coverage_class, "r")])
            for extra in names[1:]:
                pen.columns([(3 * mm, extra, "l")])
    if data.general_fee_fen:
        pen.text("一般诊疗费", right=_y(data.general_fee_fen, sign))
    pen.rule()
    split = data.split
    pen.text("合计", 10, right=_y(split.total_fen, sign))
    pen.text("统筹支付", right=_y(split.fund_total_fen, sign))
    if split.general_fee_fund_fen:
        pen.text("  其中一般诊疗费统筹", 8, right=_y(split.general_fee_fund_fen, sign))
    pen.text(f"医疗救助{('（' + data.assistance_label + '）') if data.assistance_label else ''}",
             right=_y(split.assistance_fen, sign))
    pen.text("个人自付", right=_y(split.self_paid_fen, sign))
    pen.text("自费", right=_y(split.self_funded_fen, sign))
    pen.text("退还现金" if data.reversal else "现金支付（个人自付+自费）", 10, right=_y(split.patient_pays_fen))
    if not split.eligible and split.reason:
        pen.text(f"未享受统筹：{split.reason}", 8.5)
    pen.rule(dash=True)
    pen.text(f"本年统筹已用：{_y(data.ytd_fund_fen)}  剩余额度：{_y(data.cap_left_fen)}", 8)
    if data.reversal:
        pen.text(f"经办人：{data.reversal.operator}    原接诊医生：{data.doctor}", 8)
    else:
        pen.text(f"医生：{data.doctor}    {data.region}", 8)


def receipt_pdf_bytes(data: ReceiptData, paper: str = "A5") -> bytes:
    """Draw the receipt (or reversal slip) on ``paper`` ("A5" or "80mm") and return the PDF."""
    if paper not in PAPERS:
        raise ValidationError(f"收据纸张“{paper}”不支持，请选择 A5 或 80mm", "收据纸张")
    font = register_fonts()
    width, margin = PAPERS[paper]
    qr_size = 20 * mm if paper == "A5" else 24 * mm
    if paper == "80mm":
        measure = Pen(None, width, margin, 0, font)
        _draw(measure, data, paper)
        measure.qr(data.settlement_id, qr_size)
        height = -measure.y + 10 * mm
    else:
        height = A5[1]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1, initialFontName=font)
    canvas.setTitle(f"{_title(data)} {data.receipt_no}")
    canvas.setCreator("村医通")
    top = height - (4 * mm if paper == "80mm" else 10 * mm)
    pen = Pen(canvas, width, margin, top, font, bottom=4 * mm if paper == "80mm" else 10 * mm, one_text_object=True)
    if paper == "A5":
        pen.qr(data.settlement_id, qr_size, width - margin - qr_size, height - 8 * mm - qr_size)
    _draw(pen, data, paper)
    if paper == "80mm":
        pen.qr(data.settlement_id, qr_size)
    pen.flush()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def write_receipt_pdf(path: Path | str, data: ReceiptData, paper: str = "A5") -> Path:
    """Write the receipt PDF to ``path`` and return it."""
    path = Path(path)
    path.write_bytes(receipt_pdf_bytes(data, paper))
    return path
