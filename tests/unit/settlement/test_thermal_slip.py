"""ESC/POS receipts and reversal slips (app.printing.thermal) read from python-escpos's Dummy printer:
every line the 80 mm PDF receipt draws is in the stream as GB18030 inside the Chinese-mode commands,
with the native QR command (GS ( k) holding the settlement id; the 热敏小票打印机 setting refuses bad
input naming the field; a printer on a loopback port gets the bytes, a closed port says what to check."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from escpos.printer import Dummy
from receipt_sample import SAMPLE_RECEIPT
from thermal_listener import LoopbackPrinter, closed_port

from app.domain.errors import ValidationError
from app.printing.fonts import register_fonts
from app.printing.receipt import PAPERS, Pen, ReceiptData, ReversalPart, _draw
from app.printing.thermal import COLUMNS, ThermalPrinterError, send, slip_bytes, text_width, write_slip
from app.printing.thermal_connection import ThermalConnection, compose, parse_connection

DATA = dataclasses.replace(
    SAMPLE_RECEIPT, split=dataclasses.replace(SAMPLE_RECEIPT.split, total_fen=3449, assistance_fen=200, self_paid_fen=981,
                                              self_funded_fen=200),
    agent="张小三（410***********1231）", assistance_label="低保", clinic_code="H41010200001")
REVERSAL = ReversalPart("CZ20261123-0001", datetime(2026, 11, 23, 10, 5), "患者退药", "王管理员")
GS_QR = b"\x1d(k"


class _Recorder:
    """A reportlab-like canvas that keeps the strings the 80 mm PDF layout draws."""

    def __init__(self) -> None:
        self.strings: list[str] = []

    def setFont(self, *_a) -> None:  # noqa: N802
        pass

    def drawString(self, _x, _y, text) -> None:  # noqa: ANN001, N802
        self.strings.append(text)

    drawRightString = drawCentredString = drawString  # noqa: N815

    def saveState(self, *_a) -> None:  # noqa: N802
        pass

    restoreState = setLineWidth = setDash = line = drawImage = showPage = saveState  # noqa: N815


def _pdf_strings(data: ReceiptData) -> list[str]:
    """Every string the 80 mm PDF receipt draws, from its own layout code."""
    canvas = _Recorder()
    width, margin = PAPERS["80mm"]
    _draw(Pen(canvas, width, margin, 10_000, register_fonts(), bottom=0), data, "80mm")
    return [s for s in canvas.strings if s.strip()]


def _qr_payload(stream: bytes) -> bytes:
    """The data of the QR store command: GS ( k pL pH cn=49 fn=80 m=48 data."""
    at = stream.index(b"1P0")
    assert stream[at - 5:at - 2] == GS_QR
    size = stream[at - 2] + 256 * stream[at - 1]  # cn, fn, m and the data
    return stream[at + 3:at + size]


@pytest.mark.parametrize("data", [DATA, dataclasses.replace(DATA, reversal=REVERSAL),
                                  dataclasses.replace(DATA, reprint=True, reversed_by=REVERSAL)],
                         ids=["receipt", "reversal-slip", "reversed-receipt-reprint"])
def test_every_line_of_the_receipt_is_in_the_stream_in_gb18030(data: ReceiptData) -> None:
    printer = Dummy()
    write_slip(printer, data)
    stream = printer.output
    assert stream == slip_bytes(data)
    assert stream.startswith(b"\x1b@\x1c&")  # initialise, Chinese mode (FS &)
    chinese_on, chinese_off = stream.index(b"\x1c&"), stream.rindex(b"\x1c.")
    strings = _pdf_strings(data)
    assert len(strings) > 25
    for text in strings:  # each as the PDF draws it, within the Chinese-mode part
        encoded = text.encode("gb18030")
        assert chinese_on < stream.find(encoded) < chinese_off, text
    sign = "-" if data.reversal else ""
    for text in (data.clinic, data.receipt_no, "苯磺酸氨氯地平片 5mg×28片", "12粒 × 0.5208元/粒", f"{sign}16.24元",
                 f"{sign}34.49元", f"{sign}20.68元", "医疗救助（低保）", f"{sign}9.81元", "张小三（410***********1231）"):
        assert text.encode("gb18030") in stream, text
    assert "统筹支付".encode("utf-8") not in stream  # Chinese goes as GB18030, never UTF-8
    if data.reversal:
        for text in ("冲正/退费凭证", "CZ20261123-0001", "冲正原因：患者退药", "退还现金", "经办人：王管理员"):
            assert text.encode("gb18030") in stream, text
    if data.reversed_by:
        assert "已冲正".encode("gb18030") in stream and "（补打）".encode("gb18030") in stream
    # the QR code is the printer's own (GS ( k): model 2, level M, the settlement id, then print
    assert GS_QR + b"\x04\x001A2\x00" in stream and GS_QR + b"\x03\x001E1" in stream
    assert _qr_payload(stream) == data.settlement_id.encode("ascii")
    assert stream.index(b"1P0") < stream.index(GS_QR + b"\x03\x001Q0") < chinese_off
    assert stream.endswith(b"\x1dV\x00")  # cut


def test_lines_fit_the_roll_and_amounts_end_at_its_right_edge() -> None:
    pen = write_slip(Dummy(), dataclasses.replace(DATA, diagnosis="慢性阻塞性肺疾病伴有急性加重，原发性高血压，2型糖尿病"))
    assert all(text_width(line) <= COLUMNS for line in pen.lines)
    cash = next(line for line in pen.lines if line.startswith("现金支付"))
    assert cash.endswith("11.81元") and text_width(cash) == COLUMNS
    assert sum(line.startswith("诊断：") for line in pen.lines) == 1 and len(pen.lines) > len(_pdf_strings(DATA)) - 10


def test_send_goes_through_the_device_interface_and_a_loopback_network_printer() -> None:
    dummy = Dummy()
    payload = slip_bytes(DATA)
    send(ThermalConnection("usb", vendor_id=0x0416, product_id=0x5011), payload, lambda _c: dummy)
    assert dummy.output == payload
    printer = LoopbackPrinter()
    try:
        send(ThermalConnection("network", host="127.0.0.1", port=printer.port), payload)
        send(ThermalConnection("network", host="127.0.0.1", port=printer.port), payload)
    finally:
        printer.close()
    assert printer.jobs == [payload, payload]


def test_a_printer_that_does_not_answer_says_what_to_check() -> None:
    connection = ThermalConnection("network", host="127.0.0.1", port=closed_port())
    with pytest.raises(ThermalPrinterError) as err:
        send(connection, slip_bytes(DATA))
    message = str(err.value)
    assert f"热敏打印机（网络 127.0.0.1:{connection.port}）没有响应" in message
    assert "电源" in message and "主机地址和端口" in message and err.value.field == "热敏小票打印机"

    class Broken(Dummy):
        def _raw(self, msg: bytes) -> None:
            raise OSError("paper out")

    with pytest.raises(ThermalPrinterError) as err:
        send(ThermalConnection("serial", device="COM3"), b"x", lambda _c: Broken())
    assert "打印中断" in str(err.value) and "串口和波特率" in str(err.value)


def test_the_setting_reads_back_and_refuses_bad_input_naming_the_field() -> None:
    assert parse_connection("") is None and compose("", "x") == ""
    for typed, text in ((("network", " 192.168.1.50 ", "9100"), "network:192.168.1.50:9100"),
                        (("serial", "COM3", "19200"), "serial:COM3:19200"),
                        (("serial", "/dev/ttyUSB0", "9600"), "serial:/dev/ttyUSB0:9600"),
                        (("usb", "0x0416", "5011"), "usb:0416:5011")):
        connection = parse_connection(compose(*typed))
        assert connection.text == text and parse_connection(connection.text) == connection
    assert parse_connection("usb:0416:5011").label == "USB 0416:5011"
    refusals = {("network", "192.168.1.50", "九一〇〇"): "端口", ("network", "192.168.1.50", "91OO"): "端口",
                ("network", "192.168.1.50", "70000"): "端口", ("network", "", "9100"): "主机地址",
                ("network", "  ", "9100"): "主机地址", ("network", "192.168.1.50:9100", "9100"): "主机地址",
                ("serial", "", "9600"): "串口", ("serial", "COM3", "fast"): "波特率",
                ("usb", "", "5011"): "厂商ID", ("usb", "0416", "xyz"): "产品ID", ("usb", "0416", "12345"): "产品ID"}
    for typed, field in refusals.items():
        with pytest.raises(ValidationError) as err:
            parse_connection(compose(*typed))
        assert err.value.field == field and field in str(err.value), typed
    with pytest.raises(ValidationError) as err:
        parse_connection("bluetooth:aa")
    assert err.value.field == "连接方式"
