"""The 热敏小票打印机 setting: how an ESC/POS thermal printer is reached (USB, serial or network).

The stored text is ``usb:VVVV:PPPP`` (vendor and product id, hex), ``serial:PORT:BAUD`` or
``network:HOST:PORT``; ``""`` means receipts go to the 收据打印机 as before. Kept apart from
``app.printing.thermal`` so the settings service and page read it without loading reportlab or python-escpos.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.digits import parse_int
from app.domain.errors import CunyiError, ValidationError

#: the setting that names the thermal printer ("" = receipts go to the 收据打印机 as before)
THERMAL_SETTING = "thermal_printer"
KINDS = {"usb": "USB", "serial": "串口", "network": "网络"}
DEFAULT_NETWORK_PORT = 9100
DEFAULT_BAUD = 9600


class ThermalPrinterError(CunyiError):
    """The thermal printer could not be used; the message says what to check."""


@dataclass(frozen=True)
class ThermalConnection:
    """How the printer is reached. ``text`` is the stored setting; ``parse_connection`` reads it back."""

    kind: str  # usb | serial | network
    host: str = ""
    port: int = DEFAULT_NETWORK_PORT
    device: str = ""  # serial port: COM3, /dev/ttyUSB0
    baud: int = DEFAULT_BAUD
    vendor_id: int = 0
    product_id: int = 0

    @property
    def text(self) -> str:
        if self.kind == "usb":
            return f"usb:{self.vendor_id:04x}:{self.product_id:04x}"
        if self.kind == "serial":
            return f"serial:{self.device}:{self.baud}"
        return f"network:{self.host}:{self.port}"

    @property
    def label(self) -> str:
        """For people: 网络 192.168.1.50:9100 · 串口 COM3（9600） · USB 0416:5011."""
        if self.kind == "usb":
            return f"USB {self.vendor_id:04X}:{self.product_id:04X}"
        if self.kind == "serial":
            return f"串口 {self.device}（{self.baud}）"
        return f"网络 {self.host}:{self.port}"


def compose(kind: str, *fields: str) -> str:
    """The setting text of the fields as typed (checked by ``parse_connection``); ``""`` for no printer."""
    return f"{kind}:" + ":".join(f.strip() for f in fields) if kind in KINDS else ""


def _usb_id(text: str, field: str) -> int:
    raw = text.strip().lower().removeprefix("0x")
    if not raw:
        raise ValidationError(f"请填写{field}（打印机说明书或设备管理器里的 4 位十六进制数，如 0416）", field)
    try:
        value = int(raw, 16)
    except ValueError:
        raise ValidationError(f"{field}“{text.strip()}”不是十六进制数，应为 4 位十六进制数，如 0416", field) from None
    if not 0 < value <= 0xFFFF:
        raise ValidationError(f"{field}“{text.strip()}”超出范围，应为 0001–FFFF", field)
    return value


def parse_connection(value: str | None) -> ThermalConnection | None:
    """The 热敏小票打印机 setting read back; None when receipts do not go to a thermal printer.

    Raises:
        ValidationError: naming the field (连接方式, 主机地址, 端口, 串口, 波特率, 厂商ID, 产品ID).
    """
    text = (value or "").strip()
    if not text:
        return None
    kind, _, rest = text.partition(":")
    if kind not in KINDS:
        raise ValidationError(f"热敏打印机连接方式“{kind}”不支持，请选择 USB、串口或网络", "连接方式")
    if kind == "usb":
        vendor, _, product = rest.partition(":")
        return ThermalConnection("usb", vendor_id=_usb_id(vendor, "厂商ID"), product_id=_usb_id(product, "产品ID"))
    head, _, tail = rest.rpartition(":")
    if kind == "serial":
        if not head.strip():
            raise ValidationError("请填写串口（如 COM3 或 /dev/ttyUSB0）", "串口")
        baud = parse_int(tail, "波特率", minimum=1200, maximum=921600)
        return ThermalConnection("serial", device=head.strip(), baud=baud)
    host = head.strip().strip("[]")
    if not host:
        raise ValidationError("请填写热敏打印机的主机地址（IP 地址，如 192.168.1.50）", "主机地址")
    if any(ch.isspace() for ch in host):
        raise ValidationError(f"主机地址“{host}”不能含空格", "主机地址")
    if host.count(":") == 1:  # "192.168.1.50:9100" typed into the host (an IPv6 address has several colons)
        raise ValidationError(f"主机地址“{host}”不要带端口，端口请填在“端口”一栏", "主机地址")
    port = parse_int(tail, "端口", minimum=1, maximum=65535)
    return ThermalConnection("network", host=host, port=port)


def what_to_check(connection: ThermalConnection) -> str:
    """What a person checks when the printer of ``connection`` does not answer."""
    if connection.kind == "network":
        return "请检查：打印机电源是否打开、网线是否插好，设置 → 热敏小票打印机 中的主机地址和端口（一般为 9100）是否正确"
    if connection.kind == "serial":
        return "请检查：打印机电源是否打开、串口线是否插好，设置 → 热敏小票打印机 中的串口和波特率是否与打印机一致"
    return "请检查：打印机电源是否打开、USB 线是否插好，设置 → 热敏小票打印机 中的厂商ID和产品ID是否正确"
