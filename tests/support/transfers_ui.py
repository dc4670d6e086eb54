"""调拨与报量 UI tests: a township's catalog, distributor and first purchase, written through the real services,
and the small helpers the tests drive the page with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stock_helpers import create_drugs, days
from stock_seed import codes

from app.services.catalog.service import DrugInfo


@dataclass
class Township:
    amox: DrugInfo  # 阿莫西林胶囊 24粒/盒, ¥11.00 a box from the distributor
    nife: DrugInfo  # 硝苯地平缓释片 30片/盒, ¥7.00
    vb1: DrugInfo  # 维生素B1片 100片/瓶, no codes, not bought
    distributor_id: str
    amox_codes: list[str]
    nife_codes: list[str]


def seed_township(sv: Any) -> Township:
    """Three catalog drugs, a distributor and a delivery: 10 boxes of 阿莫西林 (A2409) and 5 of 硝苯地平 (N2405),
    each box with its trace code."""
    from app.services.transfers.types import (
        DistributorForm,
        PurchaseForm,
        PurchaseLineForm,
    )

    amox, nife, vb1 = create_drugs(sv)
    distributor = sv.transfers.save_distributor(DistributorForm("国药控股示例医药有限公司", "91410100MA47000001",
                                                                "王经理", "0371-65550001"))
    amox_codes, nife_codes = codes("3000001", 10), codes("3000002", 5)
    sv.transfers.receive_purchase(PurchaseForm(distributor, "SH20260601", "FP0001", [
        PurchaseLineForm(amox.id, "A2409", days(500), "10", 1100, amox_codes),
        PurchaseLineForm(nife.id, "N2405", days(400), "5", 700, nife_codes)]))
    return Township(amox, nife, vb1, distributor, amox_codes, nife_codes)


def pdf_text(path: Any) -> str:
    """The words of a PDF, one space between them (pdftotext -layout)."""
    import subprocess

    return " ".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def cell_texts(model: Any, column: str) -> list[str]:
    col = list(model.COLUMNS).index(column)
    return [model.index(r, col).data() for r in range(model.rowCount())]


def type_cell(qtbot: Any, table: Any, text: str) -> None:
    """Type ``text`` into the current cell of an editable line table as a user does (the first key opens the
    editor) and press Enter (which commits and moves down)."""
    from op_keys import settle, type_text
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    table.setFocus()
    if text[0].isascii():
        qtbot.keyClick(table, text[0])
    else:
        type_text(text[0])
    editor = QApplication.focusWidget()
    assert editor is not table, "the cell did not open for editing"
    type_text(text[1:])
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    settle()
