"""设置 → 收据打印机: a combo box of this computer's printers, the system default and "save as PDF";
设置 → 热敏小票打印机: how an ESC/POS thermal printer is reached (``ThermalPrinterBox``).

The stored ``printer_name`` setting keeps its meaning (``ui.printing``): ``""`` is the system's
default printer, ``"PDF"`` saves receipts as PDF files, anything else is a printer's name. The box is
editable, so a network printer the computer does not list yet (``\\\\server\\printer``) can be typed.
"""

from __future__ import annotations

from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QStackedWidget, QVBoxLayout, QWidget

from app.printing.thermal_connection import DEFAULT_BAUD, DEFAULT_NETWORK_PORT, KINDS, compose
from ui.printing import PDF_PRINTER

DEFAULT_LABEL = "系统默认打印机"
PDF_LABEL = "保存为PDF文件"
BAUDS = ("9600", "19200", "38400", "57600", "115200")


class PrinterCombo(QComboBox):
    """``value()``/``set_value()`` speak the stored setting; the labels are for people."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("printerCombo")
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setCompleter(None)  # a typed network name must not be completed into a listed printer
        self.setMinimumWidth(300)
        self.lineEdit().setPlaceholderText("选择打印机，或输入网络打印机名称")
        self.setToolTip("系统默认打印机：用本机的默认打印机；保存为PDF文件：收据存到数据目录 exports/receipts；\n"
                        "也可以直接输入网络打印机的名称")
        self.reload_printers()

    def reload_printers(self) -> None:
        """Refill the list from the system (keeping what is chosen or typed)."""
        keep = self.value() if self.count() else None
        self.clear()
        default = QPrinterInfo.defaultPrinterName()
        self.addItem(f"{DEFAULT_LABEL}（{default}）" if default else DEFAULT_LABEL, "")
        self.addItem(PDF_LABEL, PDF_PRINTER)
        for name in QPrinterInfo.availablePrinterNames():
            self.addItem(name, name)
        if keep is not None:
            self.set_value(keep)

    def printer_names(self) -> list[str]:
        """The system printers listed (the two fixed choices left out)."""
        return [self.itemData(i) for i in range(2, self.count())]

    def value(self) -> str:
        """The setting: the chosen item's value, or the typed printer name."""
        text = self.currentText().strip()
        for i in range(self.count()):
            if self.itemText(i) == text:
                return str(self.itemData(i))
        return text

    def set_value(self, value: str) -> None:
        value = (value or "").strip()
        if value.upper() == PDF_PRINTER:
            value = PDF_PRINTER
        index = self.findData(value)
        if index >= 0:
            self.setCurrentIndex(index)
        else:  # a printer this computer does not list (a network one, or one since removed)
            self.setCurrentIndex(-1)
            self.setEditText(value)


class ThermalPrinterBox(QWidget):
    """设置 → 热敏小票打印机: 连接方式 and its fields (USB ids, serial port and baud, or host and port).

    ``value()``/``set_value()`` speak the stored setting (``app.printing.thermal_connection``): the
    fields as typed, checked by ``parse_connection`` when saved; ``fields`` maps each field name a
    refusal names to its editor.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thermalPrinter")
        self.kind = QComboBox()
        self.kind.setObjectName("thermalKind")
        self.kind.addItem("不使用（收据由上面的收据打印机打印）", "")
        for kind, label in KINDS.items():
            self.kind.addItem(f"{label}连接", kind)
        self.kind.setMinimumWidth(300)
        self.kind.setMaximumWidth(400)

        def line(name: str, placeholder: str, width: int) -> QLineEdit:
            edit = QLineEdit()
            edit.setObjectName(name)
            edit.setPlaceholderText(placeholder)
            edit.setFixedWidth(width)
            return edit

        self.vendor = line("thermalVendor", "如 0416", 80)
        self.product = line("thermalProduct", "如 5011", 80)
        self.device = line("thermalDevice", "如 COM3", 130)
        self.baud = QComboBox()
        self.baud.setObjectName("thermalBaud")
        self.baud.setEditable(True)
        self.baud.addItems(BAUDS)
        self.baud.setFixedWidth(100)
        self.host = line("thermalHost", "如 192.168.1.50", 150)
        self.port = line("thermalPort", str(DEFAULT_NETWORK_PORT), 70)
        self.fields: dict[str, QWidget] = {"连接方式": self.kind, "厂商ID": self.vendor, "产品ID": self.product,
                                           "串口": self.device, "波特率": self.baud, "主机地址": self.host,
                                           "端口": self.port}

        self.pages = QStackedWidget()
        self.pages.addWidget(QWidget())
        for pairs in ((("厂商ID", self.vendor), ("产品ID", self.product)),
                      (("串口", self.device), ("波特率", self.baud)),
                      (("主机地址", self.host), ("端口", self.port))):
            page = QWidget()
            row = QHBoxLayout(page)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(8)
            for label, editor in pairs:
                row.addWidget(QLabel(label))
                row.addWidget(editor)
            row.addStretch(1)
            self.pages.addWidget(page)
        self.hint = QLabel("收据、冲正凭证改由此打印机打印，另存 PDF")
        self.hint.setToolTip("处方笺仍用收据打印机。网络打印机一般用端口 9100；USB 打印机的厂商ID和产品ID见说明书\n"
                             "或设备管理器。打印机没有响应时会提示检查什么，收据照常保存为 PDF")
        self.hint.setProperty("role", "hint")

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addWidget(self.kind)
        column.addWidget(self.pages)
        column.addWidget(self.hint)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.set_value("")

    def _kind_changed(self, index: int) -> None:
        self.pages.setCurrentIndex(max(0, index))
        self.pages.setVisible(index > 0)

    def value(self) -> str:
        kind = str(self.kind.currentData() or "")
        fields = {"usb": (self.vendor.text(), self.product.text()),
                  "serial": (self.device.text(), self.baud.currentText()),
                  "network": (self.host.text(), self.port.text())}.get(kind, ())
        return compose(kind, *fields)

    def set_value(self, value: str) -> None:
        kind, _, rest = (value or "").strip().partition(":")
        kind = kind if kind in KINDS else ""
        head, _, tail = rest.rpartition(":") if kind != "usb" else rest.partition(":")
        for edit in (self.vendor, self.product, self.device, self.host):
            edit.clear()
        self.port.setText(str(DEFAULT_NETWORK_PORT))
        self.baud.setCurrentText(str(DEFAULT_BAUD))
        if kind == "usb":
            self.vendor.setText(head.upper())
            self.product.setText(tail.upper())
        elif kind == "serial":
            self.device.setText(head)
            self.baud.setCurrentText(tail)
        elif kind == "network":
            self.host.setText(head)
            self.port.setText(tail)
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self._kind_changed(self.kind.currentIndex())
