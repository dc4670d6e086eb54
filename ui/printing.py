"""Printing receipts, reversal slips and 处方笺 through ``QPrinter`` (DESIGN §7).

PySide6-Essentials has no QtPdf, so the reportlab PDF cannot be rasterised onto a printer here.
Instead the very same layout code (``app.printing.receipt._draw`` and
``app.printing.prescription.draw_prescription``) draws onto a ``QPainter`` through ``QtCanvas``, a
small adapter that speaks the few reportlab canvas calls those functions use (points, y upwards).

Where it goes is the setting ``printer_name``:

- ``""``: the system's default printer; when the computer has none, the reportlab PDF is saved in
  the data folder (``exports/receipts``) and the message says where;
- ``"PDF"``: a virtual printer: ``QPrinter`` writes a PDF file into that folder (tests use it);
- any other text: that printer; when it does not exist, the PDF is saved and the message says so.

Everything here runs in the GUI thread; callers fetch the ``ReceiptData`` through ``Op`` first.

Receipts and reversal slips go instead to an ESC/POS thermal printer when the 热敏小票打印机 setting
names one (``print_receipt_thermal``, no Qt: it runs on the database thread, as a network printer may
take seconds to answer). The 80 mm PDF is written first and kept whatever the printer does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPen,
)
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm

from app.domain import clock
from app.paths import resource
from app.printing.case_docs import (
    CaseDocData,
    acknowledgment_pdf_bytes,
    draw_acknowledgment,
    draw_notice,
    notice_pdf_bytes,
)
from app.printing.fonts import register_fonts
from app.printing.prescription import PrescriptionData, draw_prescription, prescription_pdf_bytes
from app.printing.receipt import PAPERS, Pen, ReceiptData, _draw, receipt_pdf_bytes
from app.printing.thermal_connection import ThermalConnection, ThermalPrinterError

#: the ``printer_name`` value that means "print to a PDF file"
PDF_PRINTER = "PDF"
_FONT_FILE = resource("fonts", "wqy-microhei.ttc")
_family: str | None = None


def font_family() -> str:
    """The bundled CJK family (the PDFs' font), registered with Qt once."""
    global _family
    if _family is None:
        font_id = QFontDatabase.addApplicationFont(str(_FONT_FILE))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        _family = families[0] if families else QFont().family()
    return _family


@dataclass(frozen=True)
class PrintOutcome:
    """Where a document went: a printer (``printed``), or a PDF file (``path``)."""

    printed: bool
    target: str  # the printer's name, or the PDF file
    message: str
    path: Path | None = None
    #: the printer could not be used (none, unknown name, error): the PDF was saved instead
    fallback: bool = False


class _Path:
    """What ``canvas.beginPath()`` returns: the QR code's dark modules as rectangles."""

    def __init__(self) -> None:
        self.rects: list[tuple[float, float, float, float]] = []

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        self.rects.append((x, y, w, h))


class QtCanvas:
    """The reportlab canvas calls our layouts use, drawn with a ``QPainter`` on a ``QPrinter``.

    Coordinates are reportlab's: points (1/72 inch) from the bottom-left corner of the page.
    """

    def __init__(self, painter: QPainter, printer: QPrinter, page_height: float) -> None:
        self.painter = painter
        self.printer = printer
        self.height = page_height
        self.k = printer.resolution() / 72.0
        self._size = 9.0
        self._width = 0.4
        self._dash: list[float] | None = None
        self._ctm = (1.0, 1.0, 0.0, 0.0)  # x' = sx·x + tx, y' = sy·y + ty (translate/scale only)
        self._stack: list[tuple] = []
        self.pages = 1
        self.setFont("", self._size)

    # -- geometry ---------------------------------------------------------------------------------
    def _pt(self, x: float, y: float) -> QPointF:
        sx, sy, tx, ty = self._ctm
        return QPointF((sx * x + tx) * self.k, (self.height - (sy * y + ty)) * self.k)

    def _text_width(self, text: str) -> float:
        return QFontMetricsF(self.painter.font(), self.printer).horizontalAdvance(text) / self.k

    # -- text -------------------------------------------------------------------------------------
    def setFont(self, _name: str, size: float) -> None:  # noqa: N802 - reportlab's name
        self._size = size
        font = QFont(font_family())
        font.setPixelSize(max(1, round(size * self.k)))
        font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
        self.painter.setFont(font)
        self.painter.setPen(QPen(QColor("black")))

    def drawString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        self.painter.drawText(self._pt(x, y), text)

    def drawRightString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        self.painter.drawText(self._pt(x - self._text_width(text), y), text)

    def drawCentredString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        self.painter.drawText(self._pt(x - self._text_width(text) / 2, y), text)

    # -- lines and shapes -------------------------------------------------------------------------
    def saveState(self) -> None:  # noqa: N802
        self._stack.append((self._size, self._width, self._dash, self._ctm))

    def restoreState(self) -> None:  # noqa: N802
        self._size, self._width, self._dash, self._ctm = self._stack.pop()

    def translate(self, dx: float, dy: float) -> None:
        sx, sy, tx, ty = self._ctm
        self._ctm = (sx, sy, tx + sx * dx, ty + sy * dy)

    def scale(self, fx: float, fy: float) -> None:
        sx, sy, tx, ty = self._ctm
        self._ctm = (sx * fx, sy * fy, tx, ty)

    def setLineWidth(self, width: float) -> None:  # noqa: N802
        self._width = width

    def setDash(self, on: float = 0, off: float | None = None) -> None:  # noqa: N802
        self._dash = [on, off if off is not None else on] if on else None

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        pen = QPen(QColor("black"))
        pen.setWidthF(max(self._width * self.k, 1.0))
        if self._dash:
            pen.setDashPattern([d / max(self._width, 0.1) for d in self._dash])
        self.painter.save()
        self.painter.setPen(pen)
        self.painter.drawLine(self._pt(x1, y1), self._pt(x2, y2))
        self.painter.restore()

    def beginPath(self) -> _Path:  # noqa: N802
        return _Path()

    def drawPath(self, path: _Path, stroke: int = 0, fill: int = 1) -> None:  # noqa: N802, ARG002
        brush = QBrush(QColor("black"))
        for x, y, w, h in path.rects:
            self.painter.fillRect(QRectF(self._pt(x, y), self._pt(x + w, y + h)).normalized(), brush)

    def drawImage(self, image, x: float, y: float, width: float, height: float, **_kw) -> None:  # noqa: ANN001, N802
        """A reportlab ``ImageReader`` (the QR code is one pixel per module) scaled without smoothing."""
        w, h = image.getSize()
        rgb = bytes(image.getRGBData())
        picture = QImage(rgb, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.painter.save()
        self.painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        self.painter.drawImage(QRectF(self._pt(x, y + height), self._pt(x + width, y)).normalized(), picture)
        self.painter.restore()

    def showPage(self) -> None:  # noqa: N802
        self.printer.newPage()
        self.pages += 1


# -- printers ----------------------------------------------------------------------------------------
def _safe(name: str) -> str:
    return re.sub(r"[^\w\-]+", "_", name).strip("_") or "document"


def unique_path(folder: Path, stem: str) -> Path:
    """``folder/stem.pdf``, or ``stem-2.pdf``… when it exists."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_safe(stem)}.pdf"
    n = 2
    while path.exists():
        path = folder / f"{_safe(stem)}-{n}.pdf"
        n += 1
    return path


def open_to_print(path: Path, printer_name: str, what: str) -> str:
    """Open a saved PDF (``what``: 配货单, 统一结算单) in the system's viewer to print it, and say so.
    Not when the printer setting is the virtual printer "PDF": then the saved file is the output.
    Returns the status line for the page."""
    if printer_name.strip().upper() != "PDF":
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            return f"{what}已保存并打开，在阅读器中打印：{path}"
    return f"{what}已输出为 PDF：{path}"


def system_printers() -> list[str]:
    return [p.printerName() for p in QPrinterInfo.availablePrinters()]


def _printer(printer_name: str, pdf_path: Path) -> tuple[QPrinter | None, str]:
    """A ready ``QPrinter`` and a problem text ("" when fine); None = save the PDF instead."""
    name = (printer_name or "").strip()
    if name.upper() == PDF_PRINTER:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(pdf_path))
        return printer, ""
    info = QPrinterInfo.printerInfo(name) if name else QPrinterInfo.defaultPrinter()
    if info.isNull():
        if name:
            return None, f"找不到打印机“{name}”（请在 设置 → 收据打印机 中检查名称）"
        return None, "本机没有可用的打印机"
    printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    return printer, ""


def _layout(printer: QPrinter, width_pt: float, height_pt: float) -> None:
    if abs(width_pt - A5[0]) < 1 and abs(height_pt - A5[1]) < 1:
        size = QPageSize(QPageSize.PageSizeId.A5)
    else:
        size = QPageSize(QSizeF(width_pt / mm, height_pt / mm), QPageSize.Unit.Millimeter, "80mm", QPageSize.SizeMatchPolicy.ExactMatch)
    printer.setFullPage(True)
    printer.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))


def _run(printer: QPrinter, width: float, height: float, title: str, draw) -> None:  # noqa: ANN001
    _layout(printer, width, height)
    printer.setDocName(title)
    printer.setCreator("村医通")
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("打印机无法开始打印（可能缺纸、脱机或未连接）")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        draw(QtCanvas(painter, printer, height))
    finally:
        painter.end()


def _deliver(printer_name: str, folder: Path, stem: str, title: str, width: float, height: float,
             draw, pdf_bytes) -> PrintOutcome:  # noqa: ANN001
    path = unique_path(folder, stem)
    printer, problem = _printer(printer_name, path)
    if printer is not None:
        try:
            _run(printer, width, height, title, draw)
        except OSError as exc:
            problem = str(exc)
        else:
            if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
                return PrintOutcome(False, str(path), f"{title}已输出为 PDF：{path}", path)
            return PrintOutcome(True, printer.printerName(), f"{title}已送打印机“{printer.printerName()}”")
    path.write_bytes(pdf_bytes())
    return PrintOutcome(False, str(path), f"{problem}，{title}已保存为 PDF：{path}", path, fallback=True)


def receipt_height(data: ReceiptData, paper: str) -> float:
    """The page height in points: A5's, or what the 80 mm roll's content needs."""
    if paper != "80mm":
        return A5[1]
    width, margin = PAPERS[paper]
    measure = Pen(None, width, margin, 0, register_fonts())
    _draw(measure, data, paper)
    measure.qr(data.settlement_id, 24 * mm)
    return -measure.y + 10 * mm


def draw_receipt(canvas: QtCanvas, data: ReceiptData, paper: str, height: float) -> None:
    """The receipt layout of ``app.printing.receipt`` (QR top-right on A5, at the end on the roll)."""
    font = register_fonts()
    width, margin = PAPERS[paper]
    roll = paper == "80mm"
    qr_size = 24 * mm if roll else 20 * mm
    pen = Pen(canvas, width, margin, height - (4 * mm if roll else 10 * mm), font, bottom=4 * mm if roll else 10 * mm)
    if not roll:
        pen.qr(data.settlement_id, qr_size, width - margin - qr_size, height - 8 * mm - qr_size)
    _draw(pen, data, paper)
    if roll:
        pen.qr(data.settlement_id, qr_size)


def receipt_title(data: ReceiptData) -> str:
    """收据, 冲正凭证, with （已冲正·补打） as they apply."""
    title = "冲正凭证" if data.reversal else "收据"
    marks = [mark for mark, on in (("已冲正", data.reversed_by is not None), ("补打", data.reprint)) if on]
    return f"{title}（{'·'.join(marks)}）" if marks else title


def _receipt_stem(data: ReceiptData) -> str:
    number = data.reversal.receipt_no if data.reversal else data.receipt_no
    return f"{'冲正' if data.reversal else '收据'}-{number}" + ("-已冲正" if data.reversed_by else "") + (
        "-补打" if data.reprint else "")


def print_receipt(data: ReceiptData, paper: str, printer_name: str, folder: Path) -> PrintOutcome:
    """Print a receipt or reversal slip (``data.reversal``) on ``paper`` ("A5" or "80mm")."""
    paper = paper if paper in PAPERS else "A5"
    register_fonts()
    width = PAPERS[paper][0]
    height = receipt_height(data, paper)
    return _deliver(printer_name, folder, _receipt_stem(data), receipt_title(data), width, height,
                    lambda c: draw_receipt(c, data, paper, height), lambda: receipt_pdf_bytes(data, paper))


def print_receipt_thermal(data: ReceiptData, connection: ThermalConnection, folder: Path,
                          opener=None) -> PrintOutcome:  # noqa: ANN001 - app.printing.thermal.Opener
    """Write the 80 mm PDF of the receipt or reversal slip, then send the slip to the thermal printer.

    A printer that does not answer leaves the PDF and a message that says what to check (``fallback``).
    No Qt here: callers run it off the GUI thread.
    """
    from app.printing import thermal

    title = receipt_title(data)
    path = unique_path(folder, _receipt_stem(data))
    path.write_bytes(receipt_pdf_bytes(data, "80mm"))
    try:
        thermal.send(connection, thermal.slip_bytes(data), opener or thermal.open_printer)
    except ThermalPrinterError as exc:
        return PrintOutcome(False, str(path), f"{exc}。{title}已保存为 PDF：{path}", path, fallback=True)
    return PrintOutcome(True, connection.label, f"{title}已送热敏打印机（{connection.label}），PDF 副本：{path}", path)


def print_prescription(data: PrescriptionData, printer_name: str, folder: Path) -> PrintOutcome:
    """Print the 处方笺 (A5)."""
    font = register_fonts()
    return _deliver(printer_name, folder, f"处方笺-{data.number}", "处方笺", A5[0], A5[1],
                    lambda c: draw_prescription(c, data, font), lambda: prescription_pdf_bytes(data))


#: 帮办代办 papers: kind → (title, draw, PDF bytes)
CASE_DOCS = {"notice": ("一次性告知单", draw_notice, notice_pdf_bytes),
             "acknowledgment": ("受理回执", draw_acknowledgment, acknowledgment_pdf_bytes)}


def print_case_doc(data: CaseDocData, kind: str, printer_name: str, folder: Path) -> PrintOutcome:
    """Print a case's 一次性告知单 (``kind="notice"``) or 受理回执 (``"acknowledgment"``) on A5."""
    title, draw, pdf = CASE_DOCS[kind]
    font = register_fonts()
    return _deliver(printer_name, folder, f"{title}-{data.case_no}", title, A5[0], A5[1],
                    lambda c: draw(c, data, font), lambda: pdf(data))


def receipts_folder(exports: Path) -> Path:
    """Where printed-to-PDF and saved receipts go: ``<data>/exports/receipts/YYYY-MM``."""
    return exports / "receipts" / clock.now().strftime("%Y-%m")


def save_receipt_pdf(data: ReceiptData, paper: str, path: Path) -> Path:
    """Save the reportlab receipt PDF (the canonical document) to ``path``."""
    path.write_bytes(receipt_pdf_bytes(data, paper if paper in PAPERS else "A5"))
    return path


__all__ = [
    "CASE_DOCS", "PDF_PRINTER", "PrintOutcome", "QtCanvas", "draw_receipt", "print_case_doc", "print_prescription",
    "print_receipt",
    "print_receipt_thermal", "receipt_height", "receipts_folder", "save_receipt_pdf", "system_printers", "unique_path",
]
