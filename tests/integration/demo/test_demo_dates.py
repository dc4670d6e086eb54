"""The small demo obeys its rules on whatever day it is built: one build for each month of 2026 and
2027 (a different day of the month each time, month ends and New Year's Day among them), each read
back by the same checks as the session's demo. The date is fixed in the test, not on the machine."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import demo_checks as checks
import pytest

from app.services.demo.builder import build_demo

#: one day in every month of two years: the 1st, the last day, and days between
DAYS = [date(2026, 1, 1), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 9), date(2026, 5, 20),
        date(2026, 6, 30), date(2026, 7, 1), date(2026, 8, 15), date(2026, 9, 30), date(2026, 10, 8),
        date(2026, 11, 30), date(2026, 12, 2), date(2027, 1, 1), date(2027, 2, 28), date(2027, 3, 1),
        date(2027, 4, 30), date(2027, 5, 17), date(2027, 6, 1), date(2027, 7, 31), date(2027, 8, 2),
        date(2027, 9, 13), date(2027, 10, 31), date(2027, 11, 19), date(2027, 12, 31)]


def test_the_days_cover_every_month_of_two_years() -> None:
    assert sorted({(d.year, d.month) for d in DAYS}) == [(y, m) for y in (2026, 2027) for m in range(1, 13)]


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_the_demo_holds_on_any_day(today: date, today_is, tmp_path: Path) -> None:  # noqa: ANN001
    today_is(today)
    summary = build_demo(tmp_path / "data", progress=lambda _text: None)
    assert summary["sites"] == 4 and 400 <= summary["residents"] <= 520
    con = sqlite3.connect(f"file:{tmp_path / 'data' / 'cunyi.db'}?mode=ro", uri=True)
    try:
        checks.settlements_are_engine_splits(con, today)
        checks.ledgers_run_in_sequence(con, today)
        checks.residents_are_realistic(con, today)
        checks.stock_shows_every_situation(con, today)
        checks.history_spans_ninety_days(con, today)
        checks.cases_show_every_situation(con, today)
    finally:
        con.close()
