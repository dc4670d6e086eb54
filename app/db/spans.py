"""Which day or month a stored time falls in, in SQL that SQLite and PostgreSQL both run.

``substr(settled_at, 1, 10)`` works only while times are stored as text (SQLite); on PostgreSQL they
are timestamps. A ``CASE`` over the ends of the spans compares times with times on either database,
and the rows are still found by the index range of the query's ``WHERE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, case, literal_column


def span_of(column: ColumnElement, spans: Sequence[tuple[str, datetime]]) -> ColumnElement:
    """The label of the span ``column`` falls in: ``spans`` are (label, end) in time order, the end excluded.

    The first span starts wherever the query's ``WHERE`` starts it; a time past the last end is NULL.
    Labels are ISO dates or months made here, never user text.
    """
    return case(*((column < end, literal_column(f"'{label}'")) for label, end in spans), else_=None)


def day_of(column: ColumnElement, first: date, days: int) -> ColumnElement:
    """The ISO date (``YYYY-MM-DD``) of ``column`` among the ``days`` days from ``first``."""
    return span_of(column, [((first + timedelta(days=i)).isoformat(),
                             datetime.combine(first + timedelta(days=i + 1), time.min)) for i in range(days)])


def month_of(column: ColumnElement, year: int, months: int) -> ColumnElement:
    """The month (``YYYY-MM``) of ``column`` among the first ``months`` months of ``year``."""
    return span_of(column, [(f"{year}-{m:02d}", datetime(year + m // 12, m % 12 + 1, 1)) for m in range(1, months + 1)])
