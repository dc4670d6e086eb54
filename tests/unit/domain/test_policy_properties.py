"""Property tests: for any valid visit, total = sum of parts exactly, every part ≥ 0, caps hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from policy_fixtures import policy_sections, render_policy

from app.domain.money import apply_bp
from app.domain.policy import Case, Line, Policy, ResidentCover, YearToDate, parse_policy, settle

BASE = parse_policy(render_policy(policy_sections()))
fen = st.integers(min_value=0, max_value=200_000)
bp = st.integers(min_value=0, max_value=10_000)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    out = replace(
        BASE.outpatient,
        deductible_fen=draw(st.integers(0, 10_000)), ratio_bp=draw(bp), per_visit_cap_fen=draw(st.integers(0, 20_000)),
        annual_cap_fen=draw(fen), class_b_self_bp=draw(bp),
    )  # fmt: skip
    fee_amount = draw(st.integers(0, 2000))
    fee = replace(BASE.general_fee, amount_fen=fee_amount, fund_fen=draw(st.integers(0, fee_amount)))
    chronic = {code: replace(c, ratio_bp=draw(bp), annual_cap_fen=draw(fen)) for code, c in BASE.chronic.items()}
    assistance = {k: replace(a, ratio_bp=draw(bp), annual_cap_fen=draw(fen)) for k, a in BASE.assistance.items()}
    return replace(BASE, outpatient=out, general_fee=fee, chronic=chronic, assistance=assistance)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(["outpatient", "chronic"]))
    resident = ResidentCover(
        covered_years=frozenset(draw(st.sets(st.integers(2018, 2026)))),
        enrolled_on=date(2025, 9, 1) + timedelta(days=draw(st.integers(0, 480))),
        central_period=draw(st.booleans()),
        newborn=draw(st.booleans()),
        repaid_years=draw(st.integers(0, 8)),
        assistance=draw(st.sampled_from([None, "tekun", "dibao", "monitor"])),
    )
    lines = draw(
        st.lists(
            st.builds(Line, fen, st.sampled_from(["A", "B", "C"]), st.none() | bp),
            max_size=6,
        )
    )
    return Case(
        visit_date=date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 364))),
        kind=kind,
        chronic_code=draw(st.sampled_from(["I10", "E11"])) if kind == "chronic" else None,
        general_fee=draw(st.booleans()),
        resident=resident,
        year_to_date=YearToDate(draw(st.integers(0, 12_000)), draw(fen), draw(fen), draw(fen)),
        lines=tuple(lines),
    )


@settings(max_examples=300, deadline=None, database=None)  # no example database on disk
@given(policies(), cases())
def test_total_is_the_sum_of_parts_and_parts_are_not_negative(policy: Policy, case: Case) -> None:
    split = settle(policy, case)
    parts = (split.fund_fen, split.general_fee_fund_fen, split.assistance_fen, split.self_paid_fen, split.self_funded_fen)
    assert split.total_fen == sum(parts)
    assert all(p >= 0 for p in parts)
    assert split.b_pre_self_fen >= 0 and split.deductible_fen >= 0
    fee = policy.general_fee.amount_fen if case.general_fee else 0
    assert split.total_fen == sum(line.amount_fen for line in case.lines) + fee
    assert split.self_funded_fen == sum(line.amount_fen for line in case.lines if line.coverage_class == "C")
    # the resident pays at least the B pre-self part, the C lines and the deductible themselves
    assert split.self_paid_fen >= split.b_pre_self_fen + split.deductible_fen - split.assistance_fen
    assert split.self_paid_fen >= split.b_pre_self_fen
    if not split.eligible:
        assert split.fund_fen == split.general_fee_fund_fen == split.assistance_fen == split.deductible_fen == 0
        return
    ytd = case.year_to_date
    if case.kind == "outpatient":
        if policy.outpatient.per_visit_cap_fen:
            assert split.fund_fen <= policy.outpatient.per_visit_cap_fen
        assert split.fund_fen <= max(0, policy.outpatient.annual_cap_fen - ytd.fund_fen)
        assert split.deductible_fen <= max(0, policy.outpatient.deductible_fen - ytd.deductible_fen)
    else:
        assert split.deductible_fen == 0
        assert split.fund_fen <= max(0, policy.chronic[case.chronic_code].annual_cap_fen - ytd.chronic_fund_fen)
    if case.resident.assistance:
        rule = policy.assistance[case.resident.assistance]
        assert split.assistance_fen <= max(0, rule.annual_cap_fen - ytd.assistance_fen)
        in_scope_self = split.total_fen - split.fund_fen - split.general_fee_fund_fen - split.self_funded_fen - split.b_pre_self_fen
        assert split.assistance_fen <= apply_bp(in_scope_self, rule.ratio_bp) <= in_scope_self
    else:
        assert split.assistance_fen == 0
