"""设置 → 热敏小票打印机: the choice (USB ids, serial port and baud, network host and port) is saved
through the audited settings service and read back into the form; a port that is not a number or an
empty host is refused inline, naming the field, with the cursor in it and nothing written."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from app.domain.errors import ValidationError
from app.printing.thermal_connection import THERMAL_SETTING
from ui.pages.settings.printer import ThermalPrinterBox
from ui.workers import wait_idle


def _tab(window):  # noqa: ANN001, ANN202
    page = window.open_area("settings")
    assert wait_idle()
    return page.site_tab


def _choose(box: ThermalPrinterBox, kind: str) -> None:
    box.kind.setCurrentIndex(box.kind.findData(kind))


def test_the_thermal_printer_choice_is_saved_and_read_back(open_window, artifact) -> None:
    window = open_window("village", "admin")
    tab = _tab(window)
    box = tab.editors[THERMAL_SETTING]
    assert isinstance(box, ThermalPrinterBox)
    assert tab.loaded[THERMAL_SETTING] == "" and box.value() == "" and not box.pages.isVisible()

    _choose(box, "network")
    assert box.pages.isVisible() and box.port.text() == "9100"  # the usual port is filled in
    box.host.setText(" 192.168.1.50 ")
    assert window.unsaved_work() == ["机构设置：有修改尚未保存"]
    artifact(window, "settings-thermal-printer")
    tab.save()
    assert wait_idle() and wait_idle()
    assert tab.message.text() == "已保存 1 项设置"
    sv = window.ctx.sv
    assert sv.settings.get(THERMAL_SETTING) == "network:192.168.1.50:9100"
    change = next(e for e in sv.audit.recent(action="settings.change") if e.detail["key"] == THERMAL_SETTING)
    assert change.detail["old"] == "" and change.detail["new"] == "network:192.168.1.50:9100"

    sv.settings.set(THERMAL_SETTING, "usb:0x0416:5011")  # changed elsewhere: the form reads it back
    tab.refresh()
    assert wait_idle()
    assert box.kind.currentData() == "usb" and (box.vendor.text(), box.product.text()) == ("0416", "5011")
    assert box.value() == sv.settings.get(THERMAL_SETTING) == "usb:0416:5011" and window.unsaved_work() == []

    _choose(box, "serial")
    box.device.setText("COM3")
    box.baud.setCurrentText("19200")
    tab.save()
    assert wait_idle() and wait_idle()
    assert sv.settings.get(THERMAL_SETTING) == "serial:COM3:19200"
    window.open_area("dashboard")  # away and back: the page shows what is stored
    tab = _tab(window)
    box = tab.editors[THERMAL_SETTING]
    assert box.kind.currentData() == "serial" and box.device.text() == "COM3" and box.baud.currentText() == "19200"

    _choose(box, "")  # back to the 收据打印机
    tab.save()
    assert wait_idle()
    assert sv.settings.get(THERMAL_SETTING) == ""


def test_bad_input_is_refused_inline_naming_the_field(open_window, qtbot) -> None:
    window = open_window("village", "admin")
    tab = _tab(window)
    box = tab.editors[THERMAL_SETTING]
    sv = window.ctx.sv
    tab.editors["idle_lock_minutes"].setValue(7)  # changed too: a refusal saves nothing at all
    _choose(box, "network")
    box.host.setText("192.168.1.50")
    box.port.clear()
    qtbot.keyClicks(box.port, "91OO")  # letters O, not zeros
    tab.save()
    assert wait_idle()
    assert "端口“91OO”" in tab.error.text() and tab.message.text() == ""
    assert QApplication.focusWidget() is box.port and box.port.selectedText() == "91OO"
    box.port.setText("9100")
    box.host.clear()
    tab.save()
    assert wait_idle()
    assert "主机地址" in tab.error.text() and QApplication.focusWidget() is box.host
    _choose(box, "usb")
    box.vendor.setText("0416")
    box.product.setText("USB")
    tab.save()
    assert wait_idle()
    assert "产品ID“USB”不是十六进制数" in tab.error.text() and QApplication.focusWidget() is box.product
    assert sv.settings.get(THERMAL_SETTING) == "" and sv.settings.get("idle_lock_minutes") == 10
    assert not sv.audit.recent(action="settings.change")

    try:  # the service refuses the same text on its own (a caller that skips the form)
        sv.settings.set(THERMAL_SETTING, "network:192.168.1.50:abc")
    except ValidationError as error:
        assert error.field == "端口"
    else:
        raise AssertionError("a port that is not a number was saved")
    assert sv.settings.get(THERMAL_SETTING) == ""
