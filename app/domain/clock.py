"""The one clock of the app: what day it is, and what time.

Everything that asks "today?" or "now?" asks here, never ``date.today()`` or ``datetime.now()``
directly, so the date can be fixed in one place:

- ``CUNYI_TODAY=YYYY-MM-DD`` in the environment (tests, their subprocesses, demo recordings), or
- :func:`set_today` in the running process (a test that walks through several dates).

A fixed date keeps the time of day running, so settlements made one after another still sort. By
default it is the real time of day. ``CUNYI_TIME=HH:MM`` fixes that too: the day's clock reads that
time at the instant ``CUNYI_TIME_EPOCH`` (Unix seconds; the first reading process sets it, so the
commands it starts share its clock) and runs on from there. The tests use it, so that a run gives the
same answer at 00:05 as at noon.
"""

from __future__ import annotations

import os
import time as _time
from datetime import date, datetime, time, timedelta

ENV = "CUNYI_TODAY"
TIME_ENV = "CUNYI_TIME"
EPOCH_ENV = "CUNYI_TIME_EPOCH"
#: the last second of a fixed day: its clock never runs into the next day
_LAST = time(23, 59, 59)

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


def _started() -> tuple[time, float] | None:
    """``CUNYI_TIME`` and the real instant it was read at (set in the environment on first use)."""
    text = os.environ.get(TIME_ENV, "").strip()
    if not text:
        return None
    try:
        at = time.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"环境变量 {TIME_ENV} 应为时刻 HH:MM，现在是“{text}”") from None
    epoch = os.environ.get(EPOCH_ENV, "").strip()
    if not epoch:
        started = _time.time()
        os.environ[EPOCH_ENV] = repr(started)
        return at, started
    try:
        return at, float(epoch)
    except ValueError:
        raise SystemExit(f"环境变量 {EPOCH_ENV} 应为 Unix 秒数，现在是“{epoch}”") from None


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
    """The local time now, without microseconds; on a fixed date, that date at the real time of day
    (or at ``CUNYI_TIME`` plus the time since ``CUNYI_TIME_EPOCH``).

    On a fixed date the time never goes back and never leaves the day: once the real calendar has
    passed midnight since this process first asked (or the running clock reaches midnight), it stays at
    the fixed date's 23:59:59 (a run that crosses midnight keeps its records in order).
    """
    global _first_real_day
    day = fixed_today()
    started = _started() if day is not None else None
    if started is not None:
        at, epoch = started
        moment = datetime.combine(day, at) + timedelta(seconds=max(0.0, _time.time() - epoch))
        return min(moment, datetime.combine(day, _LAST)).replace(microsecond=0)
    real = datetime.now().replace(microsecond=0, tzinfo=None)
    if day is None:
        return real
    if _first_real_day is None:
        _first_real_day = real.date()
    if real.date() > _first_real_day:
        return datetime.combine(day, _LAST)
    return datetime.combine(day, real.time())


def reset() -> None:
    """Forget a date fixed by :func:`set_today`; the environment is read again."""
    global _fixed, _fixed_read
    _fixed, _fixed_read = None, False
