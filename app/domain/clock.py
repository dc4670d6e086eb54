"""The one clock of the app: what day it is, and what time.

Everything that asks "today?" or "now?" asks here, never ``date.today()`` or ``datetime.now()``
directly, so the date can be fixed in one place:

- ``CUNYI_TODAY=YYYY-MM-DD`` in the environment (tests, their subprocesses, demo recordings), or
- :func:`set_today` in the running process (a test that walks through several dates).

A fixed date keeps the time of day running, so settlements made one after another still sort.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time

ENV = "CUNYI_TODAY"

_fixed: date | None = None
_fixed_read = False
#: the real date when this process first asked for the time on a fixed date
_first_real_day: date | None = None


def _from_env() -> date | None:
    text = os.environ.get(ENV, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"环境变量 {ENV} 应为日期 YYYY-MM-DD，现在是“{text}”") from None


def fixed_today() -> date | None:
    """The fixed date, or None when the real calendar is used."""
    global _fixed, _fixed_read
    if not _fixed_read:
        _fixed, _fixed_read = _from_env(), True
    return _fixed


def set_today(day: date | None) -> None:
    """Fix the date for this process (None: back to the real calendar, ignoring the environment)."""
    global _fixed, _fixed_read
    _fixed, _fixed_read = day, True


def today() -> date:
    """Today's date (fixed or real)."""
    return fixed_today() or date.today()


def now() -> datetime:
    """The local time now, without microseconds; on a fixed date, that date at the real time of day.

    On a fixed date the time never goes back: once the real calendar has passed midnight since this
    process first asked, it stays at the fixed date's 23:59:59 (a run that crosses midnight keeps its
    records in order).
    """
    global _first_real_day
    real = datetime.now().replace(microsecond=0, tzinfo=None)
    day = fixed_today()
    if day is None:
        return real
    if _first_real_day is None:
        _first_real_day = real.date()
    if real.date() > _first_real_day:
        return datetime.combine(day, time(23, 59, 59))
    return datetime.combine(day, real.time())


def reset() -> None:
    """Forget a date fixed by :func:`set_today`; the environment is read again."""
    global _fixed, _fixed_read
    _fixed, _fixed_read = None, False
