"""Reports: one registry behind the 报表 page and ``cunyi report NAME``.

An area registers a builder with ``@report(name, title)``. A builder takes the services, the site
to report on and the period, and returns a ``Table``; this module turns it into JSON rows, an XLSX
workbook or a PDF, the same for every report.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from app.domain.digits import ascii_text, is_ascii_digits
from app.domain.errors import ValidationError


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | fen | date


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    subtitle: str = ""
    totals: dict[str, Any] = field(default_factory=dict)
    #: ``cunyi report`` prints the one row as a JSON object, not a list (``statement``, DESIGN §9)
    one_object: bool = False


@dataclass(frozen=True)
class Period:
    site_id: str
    month: str | None  # YYYY-MM
    day: date | None


Builder = Callable[[Any, Period], Table]
REPORTS: dict[str, tuple[str, Builder]] = {}
#: per report: the use case a user needs to see it on the 报表 page (None: every user of the page), and
#: whether the page lists it at all (a report of ids for other programs is for ``cunyi report`` only)
PAGE_RULES: dict[str, tuple[str | None, bool]] = {}

#: modules whose builders register themselves
AREA_MODULES = ("app.services.stock.service", "app.services.settlement.service", "app.services.stock.mapping",
                "app.services.cases.reports", "app.services.transfers.overview_report",
                "app.services.statements.reports", "app.services.transfers.reports")


def report(name: str, title: str, *, use_case: str | None = None,
           on_page: bool = True) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        REPORTS[name] = (title, fn)
        PAGE_RULES[name] = (use_case, on_page)
        return fn

    return register


def page_reports(allows: Callable[[str], bool]) -> list[str]:
    """The reports the 报表 page lists for a user (``allows``: may this user do that use case)."""
    names = []
    for name in load_reports():
        use_case, on_page = PAGE_RULES.get(name, (None, True))
        if on_page and (use_case is None or allows(use_case)):
            names.append(name)
    return names


def load_reports() -> dict[str, tuple[str, Builder]]:
    for module in AREA_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return REPORTS


def parse_period(site_id: str, month: str | None, day: str | None) -> Period:
    if month:
        month = ascii_text(month, "月份").strip()
        try:
            year, mon = month.split("-")
            if not (is_ascii_digits(year) and is_ascii_digits(mon) and len(year) == 4 and len(mon) <= 2):
                raise ValueError(month)
            date(int(year), int(mon), 1)
        except ValueError:
            raise ValidationError(f"月份“{month}”格式不对，应为 YYYY-MM，如 2026-03", "月份") from None
    parsed_day = None
    if day:
        try:
            parsed_day = date.fromisoformat(ascii_text(day, "日期").strip())
        except ValueError:
            raise ValidationError(f"日期“{day}”格式不对，应为 YYYY-MM-DD", "日期") from None
    return Period(site_id, month, parsed_day)


def build(services: Any, name: str, period: Period) -> Table:
    reports = load_reports()
    if name not in reports:
        known = "、".join(sorted(reports)) or "（暂无）"
        raise ValidationError(f"没有名为“{name}”的报表；可用的有：{known}", "报表")
    return reports[name][1](services, period)


def write_xlsx(table: Table, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from app.printing.xlsx import text_safe_row

    wb = Workbook()
    ws = wb.active
    ws.title = table.title[:31]
    ws.append([table.title])
    ws["A1"].font = Font(bold=True, size=14)
    if table.subtitle:
        ws.append(text_safe_row(ws, [table.subtitle]))
    ws.append([c.label for c in table.columns])
    for row in table.rows:
        ws.append(text_safe_row(ws, [_cell(c, row.get(c.key)) for c in table.columns]))
    if table.totals:
        ws.append(text_safe_row(ws, [_cell(c, table.totals.get(c.key, "")) if i else "合计"
                                     for i, c in enumerate(table.columns)]))
    for c in table.columns:
        if c.kind == "fen":
            letter = ws.cell(row=1, column=table.columns.index(c) + 1).column_letter
            for cell in ws[letter][2:]:
                cell.number_format = "0.00"
    wb.save(path)


def _cell(column: Column, value: Any) -> Any:
    if column.kind == "fen" and isinstance(value, int):
        return round(value / 100, 2)
    return value


def run_report(services: Any, name: str, *, site: str | None, month: str | None, day: str | None,
               as_json: bool, xlsx: str | None, pdf: str | None) -> int:
    """The ``cunyi report`` command: JSON rows on stdout by default, or a file."""
    site_id = site or services.db.local_site_id
    if site_id is None:
        raise ValidationError("本机尚未建站，没有可报告的数据", "机构")
    services.sites.get(site_id)  # names an unknown --site in Chinese
    table = build(services, name, parse_period(site_id, month, day))
    if xlsx:
        write_xlsx(table, Path(xlsx))
        print(json.dumps({"xlsx": xlsx, "rows": len(table.rows)}, ensure_ascii=False))
    elif pdf:
        from app.printing.table import write_table_pdf

        write_table_pdf(table, Path(pdf))
        print(json.dumps({"pdf": pdf, "rows": len(table.rows)}, ensure_ascii=False))
    else:
        json.dump(table.rows[0] if table.one_object and table.rows else table.rows, sys.stdout, ensure_ascii=False,
                  default=str)
        sys.stdout.write("\n")
    return 0
