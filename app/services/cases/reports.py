"""``cunyi report cases`` and the 报表 page's 帮办代办事项 (DESIGN §9): one row per case."""

from __future__ import annotations

from typing import Any

from app.domain.enums import SiteKind
from app.services.core.reports import Column, Period, Table, report

COLUMNS = (
    Column("case_id", "事项编号（内部）"), Column("case_no", "事项编号"), Column("site_id", "村卫生室"),
    Column("resident_id", "居民"), Column("type", "事项类型"), Column("opened_on", "受理日期", "date"),
    Column("due_on", "办结时限", "date"), Column("status", "办理状态"), Column("closed_on", "办结日期", "date"),
)


# for ``cunyi report cases`` and other programs: ids, as DESIGN §9 fixes them. The 报表 page leaves it out;
# people read cases by name on the 帮办代办 screens.
@report("cases", "帮办代办事项", use_case="cases.read", on_page=False)
def cases_report(services: Any, period: Period) -> Table:
    """The cases of a village (the one named, or this one), of the month accepted when given; at a
    township without ``--site``, the cases of all its villages."""
    db = services.db
    site_id: str | None = period.site_id
    if site_id == db.local_site_id and db.local_site_kind == SiteKind.TOWNSHIP.value:
        site_id = None
    rows = services.cases.report_rows(period.month, site_id)
    return Table("帮办代办事项", COLUMNS, rows, subtitle=f"受理月份：{period.month}" if period.month else "")
