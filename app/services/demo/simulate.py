"""``cunyi simulate``: realistic daily activity of this site, written through the real services.

Each simulated day runs as that day (``app.domain.clock`` is fixed to it, and every operation is
stamped at a time of that day): a village clinic receives stock now and then, sees 3–15 insured
residents and settles their visits, now and then reverses one, counts its store once a month, and
opens 帮办代办 cases for its residents (about one a week) and resubmits returned ones; a village of a township
receives its shipments, sends requisitions and marks ended months; a township edits its catalog, changes
prices, buys from its 配送企业, answers its villages' requisitions with shipments, finalises their
statements once their month-end marks have arrived, and reviews the cases its villages' sync brought (see
``app.services.demo.simulate_days``, ``simulate_transfers`` and ``simulate_cases``). Every write
goes through the service a user would use, so each one queues its outbox rows and audit entries
exactly as at the desk. Cases are handled as the site's village doctor or case worker (医保专干) when it
has one, the rest as the CLI.

The days run from ``start``, else from the day after the site's last simulated day (a local setting,
``simulate_last_day``), else ``days`` days before today; never past today. The random choices come
from ``random.Random`` seeded by the seed, the site's kind, name and code, and the day: the same folder
state, seed and days give the same operations, on any machine and in any fresh folder of that site.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.db.models import AppSetting
from app.domain import clock
from app.domain.errors import RuleViolation, ValidationError
from app.services.demo import simulate_cases as sc
from app.services.demo import simulate_days as ops

#: the local (never synced) setting holding the last simulated day, ISO date
LAST_DAY_SETTING = "simulate_last_day"
DAYS_FIELD = "模拟天数（--days）"
FROM_FIELD = "开始日期（--from）"
FOLDER_FIELD = "数据文件夹（--data）"


@dataclass
class SimulationResult:
    """What a run did: the day range (None when no day was due) and the count of each operation kind."""

    site_id: str
    kind: str
    first_day: date | None
    last_day: date | None
    counts: Counter = field(default_factory=Counter)

    @property
    def days(self) -> int:
        if self.first_day is None or self.last_day is None:
            return 0
        return (self.last_day - self.first_day).days + 1

    def as_json(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id, "kind": self.kind, "days": self.days,
            "from": self.first_day.isoformat() if self.first_day else None,
            "to": self.last_day.isoformat() if self.last_day else None,
            "counts": dict(sorted(self.counts.items())),
        }


def check_days(days: int) -> int:
    """The number of days to simulate, or ``ValidationError`` naming 模拟天数."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValidationError(f"{DAYS_FIELD}应为 0 或正整数，现在是“{days}”", DAYS_FIELD)
    return days


def parse_from(value: str | None, today: date) -> date | None:
    """The ``--from`` date (YYYY-MM-DD, not after today), or ``ValidationError`` naming 开始日期."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"{FROM_FIELD}应为日期 YYYY-MM-DD，如 2026-03-01；现在是“{value}”", FROM_FIELD) from None
    if day > today:
        raise ValidationError(f"{FROM_FIELD} {day.isoformat()} 晚于今天（{today.isoformat()}），不能模拟未来的日子",
                              FROM_FIELD)
    return day


def day_range(days: int, start: date | None, last_done: date | None, today: date) -> list[date]:
    """The days to run: from ``start``, else the day after ``last_done``, else ``days`` days before today."""
    if days == 0:
        return []
    first = start or (last_done + timedelta(days=1) if last_done else today - timedelta(days=days))
    last = min(first + timedelta(days=days - 1), today)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def last_simulated_day(sv: Any) -> date | None:
    """The site's last simulated day (the local ``simulate_last_day`` setting), if any."""
    with sv.db.read() as s:
        raw = s.execute(text("SELECT value FROM app_settings WHERE key = :k"), {"k": LAST_DAY_SETTING}).scalar()
    return date.fromisoformat(json.loads(raw)) if raw else None


def _remember(sv: Any, day: date) -> None:
    with sv.db.unit_of_work() as uow:
        row = uow.session.get(AppSetting, LAST_DAY_SETTING)
        if row is None:
            row = AppSetting(key=LAST_DAY_SETTING, value="")
            uow.session.add(row)
        row.value = json.dumps(day.isoformat())


def no_site() -> RuleViolation:
    return RuleViolation(f"{FOLDER_FIELD}里还没有机构：请先用 cunyi init 建站或 cunyi demo 生成演示数据，再模拟",
                         FOLDER_FIELD)


def check_folder(database: Path) -> None:
    """Refuse, before anything is opened or written, a data folder that holds no database."""
    if not database.is_file() or database.stat().st_size == 0:
        raise no_site()


def local_site(sv: Any) -> ops.SiteFacts:
    """This installation's site, or ``RuleViolation`` naming the data folder when it holds none."""
    site_id = sv.db.local_site_id
    if site_id is None:
        raise no_site()
    info = sv.sites.get(site_id)
    return ops.SiteFacts(site_id, str(info.kind.value), info.name, info.code, info.store_id or "",
                         bool(sv.db.local_site_enrolled))


def simulate(sv: Any, days: int, seed: int = 0, start: date | None = None,
             note: Callable[[str], None] = lambda _msg: None) -> SimulationResult:
    """Run ``days`` days of this site's activity through the services of ``sv`` (an ``app.bootstrap.Services``).

    Args:
        sv: the installation's services, acting as the CLI (or any administrator).
        days: how many days (0: nothing).
        seed: the random seed; with the folder's state it decides every operation.
        start: the first day (``--from``); else the day after the last simulated day, else ``days`` before today.
        note: receives a line for each thing set up because it was missing, and each day skipped in part.

    Raises:
        ValidationError: a negative ``days`` or a ``start`` after today, naming the field.
        RuleViolation: the folder holds no site.
    """
    check_days(days)
    today = clock.today()
    if start is not None and start > today:
        raise ValidationError(f"{FROM_FIELD} {start.isoformat()} 晚于今天（{today.isoformat()}），不能模拟未来的日子",
                              FROM_FIELD)
    site = local_site(sv)
    run = day_range(days, start, last_simulated_day(sv), today)
    result = SimulationResult(site.site_id, site.kind, run[0] if run else None, run[-1] if run else None)
    if days and not run:
        note(f"已模拟到今天（{today.isoformat()}），没有需要模拟的日子")
    fixed = clock.fixed_today()
    try:
        for day in run:
            clock.set_today(day)  # the services' "today" and "now" are that day while it runs
            kind_day = ops.village_day if site.kind == "village" else ops.township_day
            kind_day(sv, site, day, ops.day_rng(seed, site, day), result.counts, note)
            cases_day = sc.village_cases if site.kind == "village" else sc.township_reviews
            cases_day(sv, site, day, sc.cases_rng(seed, site, day), result.counts, note)
            _remember(sv, day)
    finally:
        clock.set_today(fixed)
    return result


__all__ = ["LAST_DAY_SETTING", "SimulationResult", "check_days", "check_folder", "day_range", "parse_from", "simulate"]
