"""The app's one clock on a fixed date: the real time of day, and never backwards across midnight;
or, with ``CUNYI_TIME``, a clock that starts at a given time and is shared with the commands it starts."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime

import pytest

from app.domain import clock


class _Real:
    """Stands in for ``datetime`` inside the clock: ``now()`` answers the next of the given instants."""

    def __init__(self, *instants: datetime) -> None:
        self.instants = list(instants)

    def now(self) -> datetime:
        return self.instants.pop(0)

    def combine(self, day: date, at) -> datetime:  # noqa: ANN001 - datetime.time
        return datetime.combine(day, at)


@pytest.fixture
def fixed(monkeypatch: pytest.MonkeyPatch, today_is):  # noqa: ANN001, ANN201
    today_is(date(2026, 6, 15))
    monkeypatch.delenv(clock.TIME_ENV)  # the suite's own running clock; these tests are about the real one
    monkeypatch.setattr(clock, "_first_real_day", None)

    def real(*instants: datetime) -> None:
        monkeypatch.setattr(clock, "datetime", _Real(*instants))

    return real


def test_a_fixed_date_keeps_the_real_time_of_day(fixed) -> None:  # noqa: ANN001
    fixed(datetime(2026, 12, 7, 9, 30, 5, 123456), datetime(2026, 12, 7, 9, 30, 6))
    assert clock.now() == datetime(2026, 6, 15, 9, 30, 5)
    assert clock.now() == datetime(2026, 6, 15, 9, 30, 6)


def test_past_midnight_the_fixed_date_stays_at_its_last_second(fixed) -> None:  # noqa: ANN001
    fixed(datetime(2026, 12, 7, 23, 59, 58), datetime(2026, 12, 8, 0, 0, 3), datetime(2026, 12, 8, 7, 0, 0))
    seen = [clock.now(), clock.now(), clock.now()]
    assert seen == [datetime(2026, 6, 15, 23, 59, 58)] + [datetime(2026, 6, 15, 23, 59, 59)] * 2
    assert seen == sorted(seen) and {s.date() for s in seen} == {clock.today()}


def test_the_real_calendar_is_the_real_time(monkeypatch: pytest.MonkeyPatch, today_is) -> None:  # noqa: ANN001
    today_is(None)
    monkeypatch.setattr(clock, "datetime", _Real(datetime(2026, 12, 8, 0, 0, 3, 9)))
    assert clock.now() == datetime(2026, 12, 8, 0, 0, 3)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, today_is):  # noqa: ANN001, ANN201
    """A fixed date whose clock reads 10:00 at the real instant 1000.0; ``at(t)`` moves the real clock."""
    today_is(date(2026, 6, 15))
    monkeypatch.setenv(clock.TIME_ENV, "10:00")
    monkeypatch.setenv(clock.EPOCH_ENV, "1000.0")

    def at(seconds: float) -> None:
        monkeypatch.setattr(clock._time, "time", lambda: seconds)

    return at


def test_a_set_time_runs_on_from_its_start_and_stops_at_the_days_last_second(started) -> None:  # noqa: ANN001
    started(1000.0)
    assert clock.now() == datetime(2026, 6, 15, 10, 0, 0)
    started(1065.7)
    assert clock.now() == datetime(2026, 6, 15, 10, 1, 5)
    started(1000.0 + 14 * 3600 - 1)
    assert clock.now() == datetime(2026, 6, 15, 23, 59, 59)
    started(1000.0 + 30 * 3600)  # a day and more later: still the fixed date's last second
    assert clock.now() == datetime(2026, 6, 15, 23, 59, 59)
    started(900.0)  # a real clock set back before the start: the day's clock does not go back
    assert clock.now() == datetime(2026, 6, 15, 10, 0, 0)


def test_the_first_reader_sets_the_start_and_a_command_it_starts_shares_the_clock(
        monkeypatch: pytest.MonkeyPatch, today_is) -> None:  # noqa: ANN001
    today_is(date(2026, 6, 15))
    monkeypatch.setenv(clock.TIME_ENV, "08:30")
    monkeypatch.delenv(clock.EPOCH_ENV)
    here = clock.now()
    assert datetime(2026, 6, 15, 8, 30) <= here <= datetime(2026, 6, 15, 8, 31)
    assert os.environ[clock.EPOCH_ENV]  # kept for the commands this process starts
    child = subprocess.run([sys.executable, "-c", "from app.domain import clock; print(clock.now().isoformat())"],
                           capture_output=True, text=True, check=True, env=dict(os.environ))
    there = datetime.fromisoformat(child.stdout.strip())
    assert here <= there <= datetime(2026, 6, 15, 8, 32)  # the same clock, a moment later


@pytest.mark.parametrize(("name", "value", "says"), [
    (clock.TIME_ENV, "10点", "应为时刻 HH:MM"),
    (clock.EPOCH_ENV, "昨天", "应为 Unix 秒数"),
])
def test_a_malformed_clock_setting_stops_with_a_message_naming_it(
        monkeypatch: pytest.MonkeyPatch, today_is, name: str, value: str, says: str) -> None:  # noqa: ANN001
    today_is(date(2026, 6, 15))
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        clock.now()
    assert name in str(stopped.value) and says in str(stopped.value) and value in str(stopped.value)
