"""Working days 工作日 (DESIGN §6): Chinese public holidays and make-up workdays from chinese-calendar.

A case's ``due_on`` is the N-th working day after the day it is opened, that day not counted. A working
day is what the State Council's yearly notice says: Monday to Friday except public holidays, plus the
make-up workdays 调休上班 (a Saturday or Sunday worked in exchange for a longer holiday). chinese-calendar
knows the years whose notice it carries; a year it does not know counts Monday to Friday, and the result
says so (``fallback_years``, ``warning``) so the caller can show it and the case can record it.

Pure: no database, no clock (the start day is passed in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

#: the most working days a case type may be given (about two years): keeps a bad setting from looping long
MAX_WORKDAYS = 500


@cache
def _calendar_day(day: date) -> bool | None:
    """chinese-calendar's answer for ``day``: a working day or not; None for a year it does not know."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # "no available data for year …"
        return None


def year_known(year: int) -> bool:
    """Whether chinese-calendar carries the holiday notice of ``year``."""
    return _calendar_day(date(year, 1, 1)) is not None


def is_workday(day: date) -> tuple[bool, bool]:
    """(whether ``day`` is a working day, whether the answer comes from the holiday calendar).

    A day of a year the calendar does not know is a working day when it is Monday to Friday.
    """
    known = _calendar_day(day)
    if known is None:
        return day.weekday() < 5, False
    return known, True


@dataclass(frozen=True)
class DueDate:
    """The day N working days after a start day, and the years counted Monday–Friday for want of a calendar."""

    due_on: date
    workdays: int
    fallback_years: tuple[int, ...] = ()

    @property
    def fallback(self) -> bool:
        return bool(self.fallback_years)

    @property
    def warning(self) -> str:
        """What to tell the user when a year was counted Monday to Friday ("" when none was)."""
        if not self.fallback_years:
            return ""
        years = "、".join(f"{y} 年" for y in self.fallback_years)
        return (f"节假日日历没有 {years}的法定节假日和调休安排，这段时间按周一至周五计算工作日，"
                f"到期日 {self.due_on.isoformat()} 请按当年的放假通知人工核对")


def add_workdays(start: date, workdays: int) -> DueDate:
    """The ``workdays``-th working day after ``start`` (``start`` itself not counted).

    Raises:
        ValueError: ``workdays`` is not a whole number from 1 to ``MAX_WORKDAYS``.
    """
    if isinstance(workdays, bool) or not isinstance(workdays, int) or not 1 <= workdays <= MAX_WORKDAYS:
        raise ValueError(f"工作日数应为 1 到 {MAX_WORKDAYS} 的整数，现在是 {workdays!r}")
    day, left, fallback = start, workdays, set()
    while left:
        day += timedelta(days=1)
        working, known = is_workday(day)
        if not known:
            fallback.add(day.year)
        if working:
            left -= 1
    return DueDate(day, workdays, tuple(sorted(fallback)))


def workdays_between(start: date, end: date) -> int:
    """How many working days lie after ``start`` up to and including ``end`` (0 when ``end`` ≤ ``start``)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_workday(day)[0]
    return count


__all__ = ["MAX_WORKDAYS", "DueDate", "add_workdays", "is_workday", "workdays_between", "year_known"]
