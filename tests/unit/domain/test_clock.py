"""The app's one clock on a fixed date: the real time of day, and never backwards across midnight."""

from __future__ import annotations

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
