"""Rows for XLSX exports: text is written as text, never as a formula.

A drug or resident name typed as ``=HYPERLINK(…)`` (or starting with ``+ - @``, a tab or a carriage
return, which spreadsheet programs also read as the start of a formula) would become a live formula
when the export is opened. Every XLSX writer passes its rows through :func:`text_safe_row`, which
turns such a string into a text cell (marked with Excel's quote prefix, so editing it keeps it text).
Numbers stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: first characters that make a spreadsheet read a cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_safe_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    """``values`` ready for ``ws.append``: strings that would read as formulas become text cells."""
    from openpyxl.cell import WriteOnlyCell

    out: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"
            cell.quotePrefix = True
            value = cell
        out.append(value)
    return out
