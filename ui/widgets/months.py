"""The months a month picker or a month chart offers: ``recent_months(today, count)``, newest first."""

from __future__ import annotations

from datetime import date

from app.domain.statements import month_of, previous_month


def recent_months(today: date, count: int) -> list[str]:
    """``count`` months as 'YYYY-MM', today's first, then back: 2026-06-15, 3 → 2026-06, 2026-05, 2026-04."""
    months = [month_of(today)]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months
