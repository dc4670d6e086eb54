"""Waiting periods 待遇等待期 (国办发〔2024〕38号) as DESIGN §5 writes them, and visit eligibility.

Interpretation (``Y`` is the visit's year; ``covered_years`` are the years the resident was insured;
``enrolled_on`` and ``central_period`` describe the enrollment for ``Y``):

- Not covered for ``Y`` → not eligible, no waiting period (``waiting_until`` is None).
- Newborn → no waiting period.
- First enrollment ever (no covered year before ``Y``) → no waiting period when paid in the central
  period (集中参保期); otherwise ``fixed_months`` only (there is no gap to add months for).
- Covered in ``Y - 1`` (continuous) → no waiting period when paid in the central period; otherwise
  ``fixed_months`` (late payment, no gap).
- Otherwise the resident has ``gap`` consecutive uncovered years just before ``Y`` (counted back
  from ``Y - 1`` to the last covered year). The variable part is
  ``max(0, extra_month_per_gap_year × gap − repaid_years)`` (one month less per repaid year, never
  below 0) and the waiting period is ``fixed_months + variable``; when ``gap ≥ 4`` it is at least
  ``min_months_after_long_gap`` (after repair). This applies whether or not the payment was in the
  central period: a broken enrollment is never "continuous".
- A waiting period of 0 months means none applies. Otherwise the first covered day is
  ``enrolled_on`` plus that many calendar months, a day missing in the target month becoming its
  last day (2026-01-31 + 1 month → 2026-02-28); a visit before that day is not covered.
  ``enrolled_on`` is required whenever a waiting period applies.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from .errors import PolicyError
from .policy_file import Policy, WaitingPeriodPolicy

LONG_GAP_YEARS = 4  # 连续断保4年及以上


@dataclass(frozen=True)
class ResidentCover:
    """What the settlement needs to know about a resident's insurance for the visit's year.

    Attributes:
        covered_years: every year the resident was insured (参保年度).
        enrolled_on: the payment date of the enrollment for the visit's year (None if unknown).
        central_period: whether that payment was made in the central enrollment period 集中参保期.
        newborn: a newborn 新生儿 (no waiting period).
        repaid_years: years of missed contributions paid back (缴费修复), one month less each.
        assistance: the medical-assistance category (tekun/dibao/monitor) or None.
    """

    covered_years: frozenset[int]
    enrolled_on: date | None
    central_period: bool = False
    newborn: bool = False
    repaid_years: int = 0
    assistance: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.covered_years, frozenset):
            object.__setattr__(self, "covered_years", frozenset(self.covered_years))


@dataclass(frozen=True)
class Eligibility:
    """Whether a visit on a day is covered by the fund, and why not."""

    eligible: bool
    waiting_until: date | None
    reason: str


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the target month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def gap_years(covered_years: frozenset[int], year: int) -> int:
    """Consecutive uncovered years just before ``year``; 0 if never covered before (first time)."""
    earlier = [y for y in covered_years if y < year]
    if not earlier:
        return 0
    return year - 1 - max(earlier)


def waiting_months(rules: WaitingPeriodPolicy, resident: ResidentCover, year: int) -> int:
    """Length of the waiting period for the enrollment of ``year`` in months (0 = none)."""
    if year not in resident.covered_years or resident.newborn:
        return 0
    first_time = not any(y < year for y in resident.covered_years)
    continuous = (year - 1) in resident.covered_years
    if resident.central_period and (first_time or continuous):
        return 0
    gap = gap_years(resident.covered_years, year)
    variable = max(0, rules.extra_month_per_gap_year * gap - resident.repaid_years)
    months = rules.fixed_months + variable
    if gap >= LONG_GAP_YEARS:
        months = max(months, rules.min_months_after_long_gap)
    return months


def waiting_until(policy: Policy, resident: ResidentCover, year: int) -> date | None:
    """The first covered day when a waiting period applies to the enrollment of ``year``, else None.

    Raises:
        PolicyError: when a waiting period applies but ``enrolled_on`` is missing.
    """
    months = waiting_months(policy.waiting_period, resident, year)
    if months == 0:
        return None
    if resident.enrolled_on is None:
        raise PolicyError(
            f"resident.enrolled_on 缺失：{year}年度参保有待遇等待期（{months}个月），需要参保缴费日期",
            field="resident.enrolled_on",
        )
    return add_months(resident.enrolled_on, months)


def eligibility(policy: Policy, resident: ResidentCover, on: date) -> Eligibility:
    """Whether the fund pays for a visit on ``on`` (enrolled for that year and past any waiting)."""
    if on.year not in resident.covered_years:
        return Eligibility(False, None, f"{on.year}年度未参保")
    until = waiting_until(policy, resident, on.year)
    if until is not None and on < until:
        return Eligibility(False, until, f"待遇等待期内（至{until.isoformat()}）")
    return Eligibility(True, until, "")


@dataclass(frozen=True)
class CoverageStatus:
    """A resident's coverage on a day in a few words, the same wherever it is shown.

    Attributes:
        label: 已参保, 未参保 or 等待期至YYYY-MM-DD.
        eligible: the fund pays for a visit that day (enrolled and past any waiting period).
        waiting_until: the first covered day when a waiting period applies, else None.
    """

    label: str
    eligible: bool
    waiting_until: date | None = None


def coverage_status(policy: Policy, resident: ResidentCover, on: date) -> CoverageStatus:
    """已参保 / 未参保 / 等待期至… for ``on`` (the 门诊收费 header and the resident list use this rule).

    Raises:
        PolicyError: when a waiting period applies but ``enrolled_on`` is missing.
    """
    if on.year not in resident.covered_years:
        return CoverageStatus("未参保", False)
    until = waiting_until(policy, resident, on.year)
    if until is not None and on < until:
        return CoverageStatus(f"等待期至{until.isoformat()}", False, until)
    return CoverageStatus("已参保", True, until)
