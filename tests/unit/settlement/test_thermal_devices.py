"""A USB or serial thermal printer that is not there is a clear Chinese message, never a crash.

python-escpos opens USB printers through pyusb and serial ones through pyserial (both installed with
the app); on this machine neither printer exists, which is what a clinic sees with the cable out.
"""

from __future__ import annotations

import pytest

from app.printing.thermal import ThermalConnection, ThermalPrinterError, send


def test_a_serial_printer_on_a_port_that_does_not_exist_says_what_to_check() -> None:
    connection = ThermalConnection("serial", device="/dev/ttyCUNYI-missing", baud=9600)
    with pytest.raises(ThermalPrinterError) as refused:
        send(connection, b"\x1b@")
    assert "串口 /dev/ttyCUNYI-missing（9600）" in str(refused.value)
    assert "串口线是否插好" in str(refused.value)


def test_a_usb_printer_that_is_not_plugged_in_says_what_to_check() -> None:
    connection = ThermalConnection("usb", vendor_id=0x0416, product_id=0x5011)
    with pytest.raises(ThermalPrinterError) as refused:
        send(connection, b"\x1b@")
    message = str(refused.value)
    # without libusb on the PC the message says the USB part is missing; with it, that nothing answers
    assert "USB" in message and ("没有响应" in message or "缺少 USB 打印组件" in message)
