"""The deduction of the unified statement (DESIGN §9): the fund receivable first, then the subsidy, the rest
carried over; and months typed as text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.statements import (
    deduct,
    month_span,
    next_month,
    parse_month,
    previous_month,
)

FEN = st.integers(min_value=-10**9, max_value=10**9)


@given(due=FEN, fund=FEN, subsidy=FEN)
def test_the_parts_add_up_and_each_source_gives_at_most_what_it_has(due: int, fund: int, subsidy: int) -> None:
    d = deduct(due, fund, subsidy)
    assert d.from_fund_fen + d.from_subsidy_fen + d.carried_out_fen == due
    assert 0 <= d.from_fund_fen <= max(fund, 0)
    assert 0 <= d.from_subsidy_fen <= max(subsidy, 0)
    # the order: the subsidy is touched only once the fund is used up (or the due is)
    if d.from_subsidy_fen > 0:
        assert d.from_fund_fen == max(fund, 0)
    # something is carried only when both sources are exhausted; a credit (due < 0) is carried whole
    if d.carried_out_fen > 0:
        assert d.from_fund_fen == max(fund, 0) and d.from_subsidy_fen == max(subsidy, 0)
    if due <= 0:
        assert (d.from_fund_fen, d.from_subsidy_fen, d.carried_out_fen) == (0, 0, due)


@pytest.mark.parametrize(("due", "fund", "subsidy", "expected"), [
    (10000, 6000, 3000, (6000, 3000, 1000)),
    (10000, 12000, 3000, (10000, 0, 0)),
    (10000, 6000, 5000, (6000, 4000, 0)),
    (0, 6000, 3000, (0, 0, 0)),
    (-250, 6000, 3000, (0, 0, -250)),
    (10000, -800, 3000, (0, 3000, 7000)),  # reversals of last month's settlements exceed this month's
    (10000, 0, 0, (0, 0, 10000)),
])
def test_worked_examples(due: int, fund: int, subsidy: int, expected: tuple[int, int, int]) -> None:
    d = deduct(due, fund, subsidy)
    assert (d.from_fund_fen, d.from_subsidy_fen, d.carried_out_fen) == expected


def test_months() -> None:
    assert parse_month("2026-5") == "2026-05" and parse_month(" ２０２６-１２ ") == "2026-12"
    assert previous_month("2026-01") == "2025-12" and next_month("2026-12") == "2027-01"
    assert previous_month("2026-07") == "2026-06" and next_month("2026-02") == "2026-03"
    start, end = month_span("2026-12")
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00", "2027-01-01T00:00:00")


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-05", "2026/05", "", "五月", "2026-0５x", "2026-٣"])
def test_a_bad_month_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_month(text)
    assert err.value.field == "月份" and "月份" in err.value.message
