"""A saved 配货单 or 统一结算单 opens in the system's viewer to be printed, except on the virtual printer "PDF"."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QDesktopServices

from ui.printing import open_to_print


@pytest.mark.parametrize(("printer", "opens"), [("", True), ("HP LaserJet", True), ("PDF", False), (" pdf ", False)])
def test_the_pdf_opens_unless_the_printer_is_the_virtual_pdf(printer: str, opens: bool, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Path] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(Path(url.toLocalFile())) or True)
    pdf = tmp_path / "配货单.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    said = open_to_print(pdf, printer, "配货单")
    assert opened == ([pdf] if opens else [])
    assert said == (f"配货单已保存并打开，在阅读器中打印：{pdf}" if opens else f"配货单已输出为 PDF：{pdf}")


def test_no_viewer_is_reported_as_not_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    pdf = tmp_path / "结算单.pdf"
    assert open_to_print(pdf, "", "统一结算单") == f"统一结算单已输出为 PDF：{pdf}"
