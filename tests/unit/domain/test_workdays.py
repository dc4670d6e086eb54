"""Working days for case due dates (DESIGN §6): Chinese public holidays and make-up workdays from
chinese-calendar; a year it does not know counts Monday to Friday, and says so."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.workdays import add_workdays, is_workday, workdays_between, year_known


def test_the_2026_spring_festival_is_skipped_and_its_make_up_saturdays_count() -> None:
    # 2026: 春节 2-15 … 2-23 off; Saturday 2-14 and Saturday 2-28 are worked (调休上班)
    assert is_workday(date(2026, 2, 14)) == (True, True)
    assert is_workday(date(2026, 2, 16)) == (False, True)
    assert is_workday(date(2026, 2, 28)) == (True, True)
    opened = date(2026, 2, 13)  # a Friday; the day itself is not counted
    assert add_workdays(opened, 1).due_on == date(2026, 2, 14)  # the make-up Saturday
    assert add_workdays(opened, 2).due_on == date(2026, 2, 24)  # after the whole holiday
    five = add_workdays(opened, 5)
    assert five.due_on == date(2026, 2, 27) and not five.fallback and five.warning == ""
    assert add_workdays(opened, 6).due_on == date(2026, 2, 28)  # the second make-up Saturday


def test_manual_reimbursement_within_30_working_days_across_the_spring_festival() -> None:
    due = add_workdays(date(2026, 2, 10), 30)
    # 2-11..2-13 (3), 2-14 Sat (4), 2-24..2-27 (8), 2-28 Sat (9), then 21 weekdays of March: 3-30
    assert due.due_on == date(2026, 3, 30)
    assert workdays_between(date(2026, 2, 10), date(2026, 3, 30)) == 30


#: the last year the installed chinese-calendar knows (each release adds the year just announced)
LAST_KNOWN = max(year for year in range(2004, 2100) if year_known(year))


def test_a_year_the_calendar_does_not_know_counts_monday_to_friday_with_a_warning() -> None:
    # 2101: no release of the calendar will know it, whatever version is installed
    assert year_known(2026) and not year_known(2101)
    assert is_workday(date(2101, 1, 3)) == (True, False)  # a Monday: counted, unknown
    assert is_workday(date(2101, 1, 1)) == (False, False)  # a Saturday
    due = add_workdays(date(2101, 3, 7), 5)  # Monday
    assert due.due_on == date(2101, 3, 14) and due.fallback_years == (2101,)
    assert "2101 年" in due.warning and "周一至周五" in due.warning and "2101-03-14" in due.warning
    # across the end of the last year the calendar knows: Mon–Fri from then on, and said so
    across = add_workdays(date(LAST_KNOWN, 12, 30), 5)
    assert across.due_on.year == LAST_KNOWN + 1 and across.due_on.weekday() < 5
    assert across.fallback_years == (LAST_KNOWN + 1,)
    assert not add_workdays(date(2026, 12, 1), 3).fallback


@pytest.mark.parametrize("bad", [0, -3, 501, 2.5, True, "5"])
def test_a_bad_number_of_working_days_is_refused(bad) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="工作日数"):
        add_workdays(date(2026, 6, 15), bad)
