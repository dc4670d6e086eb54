"""XLSX exports are data, not formulas: a name typed as ``=HYPERLINK(…)`` stays text in every export."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from stock_helpers import Clinic, days

from app.services.core.reports import Column, Table, write_xlsx

HOSTILE = ['=HYPERLINK("http://example.com/x","点我")', "+1+2", "-3+4", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def _read_back(value: str) -> str:
    """``value`` as a workbook reads it back: XML turns a carriage return into a line feed."""
    return value.replace("\r", "\n")


def _formulas(path: Path) -> list[str]:
    """The ``<f>`` (formula) elements of every sheet of the workbook, read from its XML."""
    with zipfile.ZipFile(path) as z:
        return [name for name in z.namelist() if name.startswith("xl/worksheets/") and b"<f>" in z.read(name)]


def _texts(path: Path) -> list[tuple[str, str, bool]]:
    """(text, cell type, quote prefix) of every text cell: a formula-like text is marked to stay text."""
    ws = load_workbook(path).worksheets[0]
    return [(c.value, c.data_type, c.quotePrefix) for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


@pytest.mark.parametrize("name", HOSTILE, ids=["hyperlink", "plus", "minus", "at", "tab", "cr"])
def test_stock_exports_write_formula_like_names_as_text(clinic: Clinic, tmp_path: Path, name: str) -> None:
    drug = clinic.sv.catalog.create(generic_name="布洛芬片", strength="0.1g", units_per_pack=100, price_fen=350,
                                    coverage_class="B")
    clinic.sv.stock.receive(drug.id, "L1", days(300), 100)
    with clinic.sv.db.unit_of_work() as uow:  # a name from sync or an old import, as stored
        uow.session.execute(text("UPDATE drugs SET generic_name = :n WHERE id = :id"), {"n": name, "id": drug.id})
    clinic.sv.stock.export_stock_list(tmp_path / "list.xlsx")
    clinic.sv.stock.export_stock_card(drug.id, tmp_path / "card.xlsx")
    for path in (tmp_path / "list.xlsx", tmp_path / "card.xlsx"):
        assert _formulas(path) == []
    assert (_read_back(name), "s", True) in _texts(tmp_path / "list.xlsx")
    assert any(_read_back(name) in value for value, _kind, _quoted in _texts(tmp_path / "card.xlsx"))  # in the title


def test_report_export_writes_formula_like_text_as_text_and_numbers_as_numbers(tmp_path: Path) -> None:
    table = Table("月度统筹汇总", (Column("name", "姓名"), Column("total", "合计", "fen")),
                  [{"name": value, "total": -1250} for value in HOSTILE], subtitle="=示例村")
    path = tmp_path / "report.xlsx"
    write_xlsx(table, path)
    assert _formulas(path) == []
    ws = load_workbook(path).active
    cells = [(c.value, c.data_type, c.quotePrefix) for row in ws.iter_rows(min_row=4) for c in row]
    assert cells == [v for value in HOSTILE for v in ((_read_back(value), "s", True), (-12.5, "n", False))]
    assert (ws["A2"].value, ws["A2"].data_type, ws["A2"].quotePrefix) == ("=示例村", "s", True)
