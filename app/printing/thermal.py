"""80 mm receipts and reversal slips on an ESC/POS thermal printer (热敏小票打印机), via python-escpos.

The slip is the 80 mm PDF receipt's own layout: ``receipt._draw`` writes the very same lines through
``ThermalPen``, which turns them into ESC/POS instead of PDF drawing — 48 columns of Font A, Chinese
characters two columns wide, in GB18030 between the printer's Chinese-mode commands (``FS &`` … ``FS .``),
the QR code (the settlement id) printed natively by the printer (``GS ( k``), then a cut.

``slip_bytes`` builds the stream in python-escpos's ``Dummy`` printer; ``send`` opens the printer that
the 热敏小票打印机 setting names (USB vendor/product id, serial port and baud, or network host and port
9100) through an ``Opener`` and writes the stream in one go. Whatever goes wrong there — no answer,
refused, cable out, a library missing — is a ``ThermalPrinterError`` whose message says what to check;
the caller has written the PDF before and keeps it.

python-escpos is imported only when a slip is built or sent (it parses its printer profiles on import).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from typing import Protocol

from reportlab.lib.units import mm

from .receipt import ReceiptData, _draw, qr_modules
from .thermal_connection import ThermalConnection, ThermalPrinterError, what_to_check

#: characters per line of Font A (12 dots) on 80 mm paper (576 dots); a Chinese character takes two
COLUMNS = 48
#: seconds to wait for a network printer to accept the connection and the data
NETWORK_TIMEOUT_S = 5.0

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
INIT = ESC + b"@"
CHINESE_ON, CHINESE_OFF = FS + b"&", FS + b"."
ALIGN = {"l": ESC + b"a\x00", "c": ESC + b"a\x01"}
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
#: GS ! n: character size (Chinese characters included) — normal, double height, double width and height
SIZE_NORMAL, SIZE_TALL, SIZE_BIG = GS + b"!\x00", GS + b"!\x01", GS + b"!\x11"
ENCODING = "gb18030"


# -- the slip ---------------------------------------------------------------------------------------
def char_width(ch: str) -> int:
    """Columns a character takes in Chinese mode: a multi-byte GB18030 character prints double width."""
    if unicodedata.combining(ch):
        return 0
    return 2 if len(ch.encode(ENCODING)) > 1 else 1


def text_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def wrap_columns(text: str, columns: int) -> list[str]:
    """``text`` split into lines of at most ``columns`` columns (by character: Chinese has no spaces)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for ch in paragraph:
            w = char_width(ch)
            if line and used + w > columns:
                lines.append(line)
                line, used = "", 0
            line, used = line + ch, used + w
        lines.append(line)
    return lines


class ThermalPen:
    """What ``receipt._draw`` writes with (the PDF ``Pen``'s calls), as ESC/POS lines.

    Point sizes map to the printer's few sizes: 12 pt and up is double width and height, 10 pt and
    up bold and double height (合计, 现金支付, the title), the rest normal. ``lines`` keeps the text of
    every line printed, for the reader of a test.
    """

    def __init__(self, printer, columns: int = COLUMNS) -> None:  # noqa: ANN001 - an escpos printer
        self.p = printer
        self.width = columns
        self.lines: list[str] = []

    def _line(self, text: str, *, size: bytes = SIZE_NORMAL, bold: bool = False, align: str = "l") -> None:
        self.lines.append(text)
        raw = self.p._raw
        raw(ALIGN[align] + size + (BOLD_ON if bold else b""))
        raw(text.encode(ENCODING) + b"\n")
        raw((BOLD_OFF if bold else b"") + (SIZE_NORMAL if size != SIZE_NORMAL else b"") + (ALIGN["l"] if align != "l" else b""))

    @staticmethod
    def _style(size: float) -> tuple[bytes, bool]:
        if size >= 12:
            return SIZE_BIG, True
        if size >= 10:
            return SIZE_TALL, True
        return SIZE_NORMAL, False

    def center(self, text: str, size: float) -> None:
        style, bold = self._style(size)
        room = self.width // (2 if style == SIZE_BIG else 1)
        for line in wrap_columns(text, room):
            self._line(line, size=style, bold=bold, align="c")

    def text(self, left: str, size: float = 8.5, right: str = "", lead: float = 1.35) -> None:  # noqa: ARG002
        style, bold = self._style(min(size, 11))  # a text line keeps its width: at most double height
        room = self.width - (text_width(right) + 1 if right else 0)
        lines = wrap_columns(left, room) or [""]
        for i, line in enumerate(lines):
            if right and i == len(lines) - 1:
                line += " " * (self.width - text_width(line) - text_width(right)) + right
            self._line(line, size=style, bold=bold)

    def columns(self, cells: list[tuple[float, str, str]], size: float = 8.5) -> None:  # noqa: ARG002 - A5 only
        self._line("  ".join(text for _, text, _ in cells))

    def rule(self, gap: float = 0, dash: bool = False) -> None:  # noqa: ARG002
        self._line("- " * (self.width // 2) if dash else "-" * self.width)

    def space(self, height: float) -> None:  # noqa: ARG002 - a roll has no blank points to skip
        return

    def stamp(self, mark: str, size: float, notes: list[str], note_size: float = 8.5) -> None:  # noqa: ARG002
        """The framed mark (已冲正) between two double rules, in the largest size."""
        self._line("=" * self.width)
        self._line(mark, size=SIZE_BIG, bold=True, align="c")
        for note in notes:
            for line in wrap_columns(note, self.width):
                self._line(line, align="c")
        self._line("=" * self.width)

    def qr(self, value: str, size: float, x: float | None = None, y: float | None = None) -> None:  # noqa: ARG002
        """The QR code printed by the printer itself (GS ( k), level M as on the PDF, centred."""
        from escpos.constants import QR_ECLEVEL_M

        count = len(qr_modules(value))
        module = max(3, min(8, round(size / mm * 8 / count)))  # 8 dots per mm at 203 dpi
        self.p._raw(ALIGN["c"])
        self.p.qr(value, ec=QR_ECLEVEL_M, size=module, native=True)
        self.p._raw(b"\n" + ALIGN["l"])


def _escpos_ready() -> None:
    """python-escpos pickles its printer profiles; keep that cache in the user's cache folder."""
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" not in os.environ:
        import platformdirs

        folder = os.path.join(platformdirs.user_cache_dir("cunyi", appauthor=False), "escpos")
        os.makedirs(folder, exist_ok=True)
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = folder


def write_slip(printer, data: ReceiptData, columns: int = COLUMNS) -> ThermalPen:  # noqa: ANN001
    """Write the receipt or reversal slip of ``data`` to an escpos ``printer``: the 80 mm receipt's lines."""
    pen = ThermalPen(printer, columns)
    printer._raw(INIT + CHINESE_ON)
    _draw(pen, data, "80mm")
    pen.qr(data.settlement_id, 24 * mm)  # the 80 mm PDF's size
    printer._raw(CHINESE_OFF)
    printer.cut()
    return pen


def slip_bytes(data: ReceiptData, columns: int = COLUMNS) -> bytes:
    """The ESC/POS byte stream of the slip, built in python-escpos's ``Dummy`` printer."""
    _escpos_ready()
    from escpos.printer import Dummy

    printer = Dummy()
    write_slip(printer, data, columns)
    return printer.output


# -- the device -------------------------------------------------------------------------------------
class ThermalDevice(Protocol):
    """The part of a python-escpos printer that ``send`` uses."""

    def open(self) -> None: ...

    def _raw(self, msg: bytes) -> None: ...

    def close(self) -> None: ...


Opener = Callable[[ThermalConnection], ThermalDevice]


def open_printer(connection: ThermalConnection) -> ThermalDevice:
    """The python-escpos printer for ``connection`` (not opened yet)."""
    _escpos_ready()
    if connection.kind == "network":
        return _network_printer(connection)
    if connection.kind == "serial":
        from escpos.printer import Serial

        if not Serial.is_usable():
            raise ThermalPrinterError("本机缺少串口打印组件（pyserial），不能使用串口热敏打印机；"
                                      "请改用网络或 USB 连接，或请维护人员安装该组件", "连接方式")
        return Serial(connection.device, connection.baud, timeout=NETWORK_TIMEOUT_S)
    from escpos.printer import Usb

    if not Usb.is_usable():
        raise ThermalPrinterError("本机缺少 USB 打印组件（pyusb/libusb），不能使用 USB 热敏打印机；"
                                  "请改用网络或串口连接，或请维护人员安装该组件", "连接方式")
    return Usb(connection.vendor_id, connection.product_id, timeout=int(NETWORK_TIMEOUT_S * 1000))


def _network_printer(connection: ThermalConnection) -> ThermalDevice:
    """python-escpos's ``Network``, except that a refused connection closes its socket (and IPv6 works)."""
    import socket

    from escpos.exceptions import DeviceNotFoundError
    from escpos.printer import Network

    class _Network(Network):
        def open(self, raise_not_found: bool = True) -> None:  # noqa: ARG002 - always raises
            try:
                sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            except OSError as exc:
                raise DeviceNotFoundError(f"Could not open socket for {self.host}: {exc}") from exc
            self.device = sock

    return _Network(connection.host, connection.port, timeout=NETWORK_TIMEOUT_S)


def send(connection: ThermalConnection, payload: bytes, opener: Opener = open_printer) -> None:
    """Write ``payload`` to the printer in one go.

    Raises:
        ThermalPrinterError: the printer did not answer or broke off; the message names it and what to check.
    """
    try:
        device = opener(connection)
        device.open()
    except ThermalPrinterError:
        raise
    except Exception as exc:  # noqa: BLE001 - DeviceNotFoundError, OSError, usb/serial errors alike
        raise ThermalPrinterError(f"热敏打印机（{connection.label}）没有响应。{what_to_check(connection)}",
                                  "热敏小票打印机") from exc
    try:
        device._raw(payload)
    except Exception as exc:  # noqa: BLE001
        raise ThermalPrinterError(f"热敏打印机（{connection.label}）打印中断（可能缺纸、开盖或断开）。"
                                  f"{what_to_check(connection)}", "热敏小票打印机") from exc
    finally:
        try:
            device.close()
        except Exception:  # noqa: BLE001, S110 - closing a broken connection may fail too
            pass


__all__ = [
    "COLUMNS", "Opener", "ThermalConnection", "ThermalDevice", "ThermalPen", "ThermalPrinterError", "open_printer",
    "send", "slip_bytes", "write_slip",
]
