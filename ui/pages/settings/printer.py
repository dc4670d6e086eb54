"""设置 → 收据打印机: a combo box of this computer's printers, the system default and "save as PDF".

The stored ``printer_name`` setting keeps its meaning (``ui.printing``): ``""`` is the system's
default printer, ``"PDF"`` saves receipts as PDF files, anything else is a printer's name. The box is
editable, so a network printer the computer does not list yet (``\\\\server\\printer``) can be typed.
"""

from __future__ import annotations

from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import QComboBox, QWidget

from ui.printing import PDF_PRINTER

DEFAULT_LABEL = "系统默认打印机"
PDF_LABEL = "保存为PDF文件"


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
