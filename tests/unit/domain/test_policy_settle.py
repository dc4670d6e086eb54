"""settle(): every rule of DESIGN §5 on small hand-computed visits (amounts in fen)."""

from __future__ import annotations

from datetime import date

from policy_fixtures import DESIGN_CASE, build_case

from app.domain.policy import Split, YearToDate, case_from_json, settle


def parts(split: Split) -> int:
    return split.fund_fen + split.general_fee_fund_fen + split.assistance_fen + split.self_paid_fen + split.self_funded_fen


def test_design_example(policy) -> None:  # noqa: ANN001
    result = settle(policy, case_from_json(DESIGN_CASE)).to_json()
    reason = result.pop("reason")
    assert result == {
        "total_fen": 3050, "fund_fen": 0, "general_fee_fund_fen": 0, "assistance_fen": 0, "self_paid_fen": 3050,
        "self_funded_fen": 0, "b_pre_self_fen": 120, "deductible_fen": 0, "eligible": False,
        "waiting_until": "2026-06-10",
    }  # fmt: skip
    assert "2026-06-10" in reason and "等待期" in reason


def test_to_json_has_exactly_the_design_keys_in_order(policy) -> None:  # noqa: ANN001
    keys = list(settle(policy, build_case([(100, "A")])).to_json())
    assert keys == [
        "total_fen", "fund_fen", "general_fee_fund_fen", "assistance_fen", "self_paid_fen", "self_funded_fen",
        "b_pre_self_fen", "deductible_fen", "eligible", "waiting_until", "reason",
    ]  # fmt: skip


def test_class_a_b_c_lines(policy) -> None:  # noqa: ANN001
    split = settle(policy, build_case([(1000, "A"), (2000, "B"), (500, "C")]))
    # B: 200 pre-self (10% default); eligible 1000 + 1800 = 2800 → fund 1680
    assert (split.b_pre_self_fen, split.fund_fen, split.self_funded_fen) == (200, 1680, 500)
    assert split.self_paid_fen == 200 + 1120
    assert split.total_fen == 3500 == parts(split)
    assert split.eligible and split.waiting_until is None


def test_class_b_per_drug_override(policy) -> None:  # noqa: ANN001
    assert settle(policy, build_case([(800, "B", 1500)])).b_pre_self_fen == 120
    assert settle(policy, build_case([(800, "B", 0)])).b_pre_self_fen == 0
    full = settle(policy, build_case([(800, "B", 10000)]))
    assert (full.b_pre_self_fen, full.fund_fen, full.self_paid_fen) == (800, 0, 800)
    # the override on a class A line means nothing
    assert settle(policy, build_case([(800, "A", 1500)])).b_pre_self_fen == 0


def test_half_fen_rounds_up_per_line(make_policy) -> None:  # noqa: ANN001
    policy = make_policy()
    # 5 × 10% = 0.5 → 1 on each line (per line, not round(10 × 10%) = 1 for both)
    assert settle(policy, build_case([(5, "B"), (5, "B")])).b_pre_self_fen == 2
    assert settle(policy, build_case([(4, "B")])).b_pre_self_fen == 0
    # chronic 65% of 10 = 6.5 → 7
    assert settle(policy, build_case([(10, "A")], kind="chronic", chronic_code="I10")).fund_fen == 7
    # 60% of 12 = 7.2 → 7; of 13 = 7.8 → 8
    assert settle(policy, build_case([(12, "A")])).fund_fen == 7
    assert settle(policy, build_case([(13, "A")])).fund_fen == 8
    # assistance 70% of (12 − 7) = 3.5 → 4
    assert settle(policy, build_case([(12, "A")], assistance="tekun")).assistance_fen == 4
    # 50% of an odd fen
    half = make_policy(outpatient={"ratio_bp": 5000})
    assert settle(half, build_case([(1, "A")])).fund_fen == 1


def test_deductible_across_visits(make_policy) -> None:  # noqa: ANN001
    policy = make_policy(outpatient={"deductible_fen": 5000})
    first = settle(policy, build_case([(3000, "A")]))
    assert (first.deductible_fen, first.fund_fen, first.self_paid_fen) == (3000, 0, 3000)
    assert "起付线" in first.reason
    second = settle(policy, build_case([(3000, "A")], ytd=YearToDate(deductible_fen=3000)))
    assert (second.deductible_fen, second.fund_fen, second.self_paid_fen) == (2000, 600, 2400)
    third = settle(policy, build_case([(3000, "A")], ytd=YearToDate(deductible_fen=5000)))
    assert (third.deductible_fen, third.fund_fen) == (0, 1800)
    # only eligible money counts toward the deductible (class C and B pre-self do not)
    mixed = settle(policy, build_case([(1000, "C"), (1000, "B")]))
    assert (mixed.deductible_fen, mixed.b_pre_self_fen, mixed.self_funded_fen) == (900, 100, 1000)
    # an uninsured visit does not use the deductible
    uninsured = settle(policy, build_case([(3000, "A")], covered=(2025,)))
    assert uninsured.deductible_fen == 0 and uninsured.self_paid_fen == 3000


def test_per_visit_cap(make_policy) -> None:  # noqa: ANN001
    split = settle(make_policy(), build_case([(10000, "A")]))
    assert split.fund_fen == 5000 and split.self_paid_fen == 5000
    assert "单次最高支付限额" in split.reason
    uncapped = settle(make_policy(outpatient={"per_visit_cap_fen": 0}), build_case([(10000, "A")]))
    assert uncapped.fund_fen == 6000


def test_annual_cap_crossed_within_a_visit(policy) -> None:  # noqa: ANN001
    crossing = settle(policy, build_case([(5000, "A")], ytd=YearToDate(fund_fen=38000)))
    assert crossing.fund_fen == 2000 and crossing.self_paid_fen == 3000
    assert "年度统筹限额" in crossing.reason
    # the per-visit cap applies first, then the annual cap left
    both = settle(policy, build_case([(10000, "A")], ytd=YearToDate(fund_fen=36000)))
    assert both.fund_fen == 4000
    used_up = settle(policy, build_case([(5000, "A")], ytd=YearToDate(fund_fen=40000)))
    assert used_up.fund_fen == 0 and used_up.eligible
    assert "年度统筹限额已用完" in used_up.reason
    over = settle(policy, build_case([(5000, "A")], ytd=YearToDate(fund_fen=45000)))
    assert over.fund_fen == 0 and over.self_paid_fen == 5000


def test_chronic_pool_is_separate_from_the_general_pool(make_policy) -> None:  # noqa: ANN001
    policy = make_policy(outpatient={"deductible_fen": 5000})
    general_used_up = YearToDate(deductible_fen=0, fund_fen=40000, chronic_fund_fen=0)
    chronic = settle(policy, build_case([(20000, "A")], kind="chronic", chronic_code="I10", ytd=general_used_up))
    # own ratio 65%, no deductible, no per-visit cap, general annual cap irrelevant
    assert (chronic.fund_fen, chronic.deductible_fen) == (13000, 0)
    assert "高血压" in chronic.reason
    near_cap = YearToDate(fund_fen=0, chronic_fund_fen=195000)
    capped = settle(policy, build_case([(20000, "A")], kind="chronic", chronic_code="I10", ytd=near_cap))
    assert capped.fund_fen == 5000
    # a general visit ignores the chronic year-to-date
    general = settle(policy, build_case([(10000, "A")], ytd=YearToDate(deductible_fen=5000, chronic_fund_fen=200000)))
    assert general.fund_fen == 5000


def test_general_fee(policy) -> None:  # noqa: ANN001
    paid = settle(policy, build_case([], general_fee=True))
    assert (paid.total_fen, paid.general_fee_fund_fen, paid.self_paid_fen, paid.fund_fen) == (1000, 800, 200, 0)
    # outside ratio and caps: still paid when the annual cap is used up
    capped = settle(policy, build_case([(1000, "A")], general_fee=True, ytd=YearToDate(fund_fen=40000)))
    assert (capped.fund_fen, capped.general_fee_fund_fen) == (0, 800)
    uninsured = settle(policy, build_case([(1000, "A")], general_fee=True, covered=(2024, 2025)))
    assert (uninsured.general_fee_fund_fen, uninsured.self_paid_fen, uninsured.total_fen) == (0, 2000, 2000)
    assert not uninsured.eligible and uninsured.waiting_until is None
    assert "2026年度未参保" in uninsured.reason


def test_assistance_on_in_scope_self_only(policy) -> None:  # noqa: ANN001
    # B 1000: pre-self 100, eligible 900 → fund 540, in-scope self 360 → 70% = 252; C never assisted
    split = settle(policy, build_case([(1000, "B"), (700, "C")], assistance="tekun"))
    assert (split.fund_fen, split.b_pre_self_fen, split.assistance_fen, split.self_funded_fen) == (540, 100, 252, 700)
    assert split.self_paid_fen == 100 + 360 - 252
    only_c = settle(policy, build_case([(1000, "C")], assistance="tekun"))
    assert only_c.assistance_fen == 0 and only_c.self_funded_fen == 1000
    fee = settle(policy, build_case([], general_fee=True, assistance="dibao"))
    assert fee.assistance_fen == 120  # 60% of the 200 fen general-fee rest


def test_assistance_includes_the_deductible(make_policy) -> None:  # noqa: ANN001
    policy = make_policy(outpatient={"deductible_fen": 1000})
    split = settle(policy, build_case([(3000, "A")], assistance="monitor"))
    # deductible 1000, fund 60% of 2000 = 1200, in-scope self 1800 → 50% = 900
    assert (split.deductible_fen, split.fund_fen, split.assistance_fen, split.self_paid_fen) == (1000, 1200, 900, 900)


def test_assistance_annual_cap(policy) -> None:  # noqa: ANN001
    near = settle(policy, build_case([(10000, "A")], assistance="tekun", ytd=YearToDate(assistance_fen=99900)))
    assert near.assistance_fen == 100
    assert "特困人员" in near.reason
    spent = settle(policy, build_case([(10000, "A")], assistance="tekun", ytd=YearToDate(assistance_fen=100000)))
    assert spent.assistance_fen == 0 and spent.self_paid_fen == 5000
    assert "年度限额已用完" in spent.reason


def test_no_fund_nor_assistance_while_waiting(policy) -> None:  # noqa: ANN001
    waiting = build_case([(1000, "A")], general_fee=True, covered=(2024, 2026), central=False, enrolled="2026-02-10", assistance="tekun")
    split = settle(policy, waiting)
    assert (split.fund_fen, split.general_fee_fund_fen, split.assistance_fen, split.self_paid_fen) == (0, 0, 0, 2000)
    assert split.waiting_until == date(2026, 6, 10)
    later = settle(policy, build_case([(1000, "A")], visit="2026-06-10", covered=(2024, 2026), central=False, enrolled="2026-02-10"))
    assert later.eligible and later.fund_fen == 600
    assert later.waiting_until == date(2026, 6, 10)  # reported whenever a waiting period applied


def test_total_is_the_sum_of_parts(policy) -> None:  # noqa: ANN001
    split = settle(policy, build_case([(1234, "A"), (567, "B", 1500), (89, "C")], general_fee=True, assistance="dibao"))
    assert split.total_fen == 1234 + 567 + 89 + 1000 == parts(split)


def test_empty_visit(policy) -> None:  # noqa: ANN001
    split = settle(policy, build_case([]))
    assert split.total_fen == 0 == parts(split)
