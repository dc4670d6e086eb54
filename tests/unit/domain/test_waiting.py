"""Waiting periods 待遇等待期 (国办发〔2024〕38号 as DESIGN §5 writes it) and visit eligibility."""

from __future__ import annotations

from datetime import date

import pytest
from policy_fixtures import build_case

from app.domain.errors import PolicyError
from app.domain.policy import ResidentCover, add_months, eligibility, settle, waiting_months, waiting_until
from app.domain.waiting import CoverageStatus, gap_years


def cover(covered: tuple[int, ...], enrolled: str | None, central: bool = False, newborn: bool = False, repaid: int = 0) -> ResidentCover:
    return ResidentCover(
        covered_years=frozenset(covered),
        enrolled_on=date.fromisoformat(enrolled) if enrolled else None,
        central_period=central,
        newborn=newborn,
        repaid_years=repaid,
    )


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2026-02-10", 4, "2026-06-10"),
        ("2026-01-31", 1, "2026-02-28"),
        ("2027-11-30", 3, "2028-02-29"),
        ("2026-08-31", 1, "2026-09-30"),
        ("2026-10-15", 3, "2027-01-15"),
        ("2026-03-31", 0, "2026-03-31"),
    ],
)
def test_add_months_clamps_to_month_end(start: str, months: int, expected: str) -> None:
    assert add_months(date.fromisoformat(start), months) == date.fromisoformat(expected)


def test_gap_years_counts_back_to_the_last_covered_year() -> None:
    assert gap_years(frozenset({2025, 2026}), 2026) == 0
    assert gap_years(frozenset({2024, 2026}), 2026) == 1
    assert gap_years(frozenset({2020, 2023, 2026}), 2026) == 2
    assert gap_years(frozenset({2021, 2026}), 2026) == 4
    assert gap_years(frozenset({2026}), 2026) == 0  # first time: no gap
    assert gap_years(frozenset({2026, 2027}), 2026) == 0  # later years do not count


def test_continuous_enrollment_in_the_central_period_has_no_waiting(policy) -> None:  # noqa: ANN001
    assert waiting_until(policy, cover((2025, 2026), "2025-11-20", central=True), 2026) is None


def test_continuous_but_paid_late_has_the_fixed_period(policy) -> None:  # noqa: ANN001
    assert waiting_until(policy, cover((2025, 2026), "2026-03-15"), 2026) == date(2026, 6, 15)


def test_first_time_in_the_central_period_has_no_waiting(policy) -> None:  # noqa: ANN001
    assert waiting_until(policy, cover((2026,), "2025-12-01", central=True), 2026) is None


def test_first_time_outside_the_central_period_has_the_fixed_period_only(policy) -> None:  # noqa: ANN001
    assert waiting_months(policy.waiting_period, cover((2026,), "2026-04-10"), 2026) == 3
    assert waiting_until(policy, cover((2026,), "2026-04-10"), 2026) == date(2026, 7, 10)


def test_one_gap_year_adds_one_month(policy) -> None:  # noqa: ANN001
    assert waiting_until(policy, cover((2024, 2026), "2026-02-10"), 2026) == date(2026, 6, 10)
    # paying in the central period does not make a broken enrollment continuous
    assert waiting_until(policy, cover((2024, 2026), "2025-12-01", central=True), 2026) == date(2026, 4, 1)
    # one repaid year removes the variable month; more repair never goes below the fixed part
    assert waiting_months(policy.waiting_period, cover((2024, 2026), "2026-02-10", repaid=1), 2026) == 3
    assert waiting_months(policy.waiting_period, cover((2024, 2026), "2026-02-10", repaid=3), 2026) == 3


def test_two_gap_years_between_covered_years(policy) -> None:  # noqa: ANN001
    assert waiting_months(policy.waiting_period, cover((2020, 2023, 2026), "2026-01-05"), 2026) == 5


def test_three_gap_years_repaired_is_not_a_long_gap(policy) -> None:  # noqa: ANN001
    assert waiting_months(policy.waiting_period, cover((2022, 2026), "2026-01-05", repaid=3), 2026) == 3


def test_four_or_more_gap_years_without_repair(policy) -> None:  # noqa: ANN001
    assert waiting_months(policy.waiting_period, cover((2021, 2026), "2026-01-15"), 2026) == 7
    assert waiting_until(policy, cover((2021, 2026), "2026-01-15"), 2026) == date(2026, 8, 15)
    assert waiting_months(policy.waiting_period, cover((2020, 2026), "2026-01-15"), 2026) == 8


def test_four_or_more_gap_years_with_repair_keeps_the_minimum(policy) -> None:  # noqa: ANN001
    rules = policy.waiting_period
    assert waiting_months(rules, cover((2021, 2026), "2026-01-15", repaid=4), 2026) == 6
    assert waiting_months(rules, cover((2021, 2026), "2026-01-15", repaid=2), 2026) == 6  # 3 + 2 = 5 → 6
    assert waiting_months(rules, cover((2021, 2026), "2026-01-15", repaid=1), 2026) == 6  # 3 + 3
    assert waiting_months(rules, cover((2019, 2026), "2026-01-15", repaid=1), 2026) == 8  # 3 + 6 − 1
    assert waiting_until(policy, cover((2021, 2026), "2026-01-15", repaid=4), 2026) == date(2026, 7, 15)


def test_newborn_has_no_waiting(policy) -> None:  # noqa: ANN001
    newborn = cover((2026,), "2026-05-20", newborn=True)
    assert waiting_until(policy, newborn, 2026) is None
    assert eligibility(policy, newborn, date(2026, 5, 21)).eligible


def test_month_end_clamping_through_the_policy(make_policy) -> None:  # noqa: ANN001
    policy = make_policy(waiting_period={"fixed_months": 1, "extra_month_per_gap_year": 0})
    assert waiting_until(policy, cover((2026,), "2026-01-31"), 2026) == date(2026, 2, 28)
    assert waiting_until(policy, cover((2024, 2026), "2026-03-31"), 2026) == date(2026, 4, 30)
    three = make_policy()
    assert waiting_until(three, cover((2026,), "2025-11-30"), 2026) == date(2026, 2, 28)


def test_a_zero_month_policy_means_no_waiting(make_policy) -> None:  # noqa: ANN001
    policy = make_policy(waiting_period={"fixed_months": 0, "extra_month_per_gap_year": 0, "min_months_after_long_gap": 0})
    assert waiting_until(policy, cover((2020, 2026), "2026-04-01"), 2026) is None


def test_first_covered_day_is_the_waiting_until_day(policy) -> None:  # noqa: ANN001
    resident = cover((2024, 2026), "2026-02-10")
    before = eligibility(policy, resident, date(2026, 6, 9))
    assert not before.eligible and before.waiting_until == date(2026, 6, 10)
    assert before.reason == "待遇等待期内（至2026-06-10）"
    on = eligibility(policy, resident, date(2026, 6, 10))
    assert on.eligible and on.waiting_until == date(2026, 6, 10)


def test_not_covered_for_the_year(policy) -> None:  # noqa: ANN001
    status = eligibility(policy, cover((2024, 2025), "2025-01-01", central=True), date(2026, 3, 1))
    assert (status.eligible, status.waiting_until, status.reason) == (False, None, "2026年度未参保")
    assert waiting_until(policy, cover((2024, 2025), "2025-01-01"), 2026) is None
    newborn = eligibility(policy, cover((), None, newborn=True), date(2026, 3, 1))
    assert not newborn.eligible


def test_enrollment_date_is_required_when_a_waiting_period_applies(policy) -> None:  # noqa: ANN001
    with pytest.raises(PolicyError, match="resident.enrolled_on") as err:
        settle(policy, build_case([(100, "A")], covered=(2024, 2026), central=False, enrolled=None))
    assert err.value.field == "resident.enrolled_on"
    # not needed when none applies
    assert settle(policy, build_case([(100, "A")], covered=(2025, 2026), central=True, enrolled=None)).eligible


def test_covered_years_are_normalised_to_a_frozenset() -> None:
    resident = ResidentCover(covered_years=[2026, 2025, 2026], enrolled_on=None)  # type: ignore[arg-type]
    assert resident.covered_years == frozenset({2025, 2026})


def test_coverage_status_names_the_waiting_period_in_the_words_of_the_outpatient_header(policy) -> None:  # noqa: ANN001
    from app.domain.waiting import coverage_status

    late = cover((2026,), "2026-04-10")
    assert coverage_status(policy, late, date(2026, 5, 1)) == CoverageStatus("等待期至2026-07-10", False, date(2026, 7, 10))
    assert coverage_status(policy, late, date(2026, 7, 10)) == CoverageStatus("已参保", True, date(2026, 7, 10))
    assert coverage_status(policy, cover((2025,), "2024-12-01", central=True), date(2026, 5, 1)) == CoverageStatus("未参保", False)
    assert coverage_status(policy, cover((2026,), "2025-12-01", central=True), date(2026, 5, 1)) == CoverageStatus("已参保", True)
