"""Invalid settlement cases: each is refused with a Chinese message naming the field (JSON path)."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest
from policy_fixtures import DESIGN_CASE, build_case

from app.domain.calc import calc_text
from app.domain.errors import PolicyError
from app.domain.policy import Line, case_from_json, settle


def mutated(path: str, value: object) -> dict:
    """DESIGN_CASE with the key at ``path`` set to ``value`` (removed when ``value`` is DELETE)."""
    case = copy.deepcopy(DESIGN_CASE)
    *parents, last = path.replace("[", ".").replace("]", "").split(".")
    target = case
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return case


DELETE = object()

INVALID = [
    # (path to change, new value, field named in the error, words in the message)
    ("lines[1].class", "D", "lines[1].class", "医保类别“D”未知"),
    ("lines[0].class", "a", "lines[0].class", "第1条明细"),
    ("lines[0].amount_fen", -1, "lines[0].amount_fen", "非负整数"),
    ("lines[0].amount_fen", 12.5, "lines[0].amount_fen", "非负整数"),
    ("lines[0].amount_fen", 1250.0, "lines[0].amount_fen", "非负整数"),
    ("lines[0].amount_fen", "1250", "lines[0].amount_fen", "非负整数"),
    ("lines[0].amount_fen", True, "lines[0].amount_fen", "非负整数"),
    ("lines[0].amount_fen", DELETE, "lines[0].amount_fen", "缺少这一项"),
    ("lines[1].class_b_self_bp", 15000, "lines[1].class_b_self_bp", "0 到 10000"),
    ("lines[0].price", 5, "lines[0].price", "未知的字段"),
    ("lines[0]", 1250, "lines[0]", "JSON 对象"),
    ("lines", "none", "lines", "明细列表"),
    ("resident.assistance", "wubao", "resident.assistance", "救助类别“wubao”未知"),
    ("resident.assistance", 3, "resident.assistance", "文字"),
    ("resident.enrolled_on", "2026-2-10", "resident.enrolled_on", "YYYY-MM-DD"),
    ("resident.covered_years", "2026", "resident.covered_years", "年份列表"),
    ("resident.covered_years", [2024, "2026"], "resident.covered_years[1]", "整数年份"),
    ("resident.central_period", "no", "resident.central_period", "true 或 false"),
    ("resident.repaid_years", -1, "resident.repaid_years", "修复缴费年数"),
    ("resident.covered_years", DELETE, "resident.covered_years", "缺少这一项"),
    ("resident", None, "resident", "JSON 对象"),
    ("year_to_date.fund_fen", -5, "year_to_date.fund_fen", "非负整数"),
    ("year_to_date.fund", 5, "year_to_date.fund", "未知的字段"),
    ("visit_date", "2026-3-5", "visit_date", "YYYY-MM-DD"),
    ("visit_date", "2026-02-30", "visit_date", "YYYY-MM-DD"),
    ("visit_date", "20260305", "visit_date", "YYYY-MM-DD"),
    ("visit_date", 20260305, "visit_date", "YYYY-MM-DD"),
    ("visit_date", "2025-12-31", "visit_date", "不在政策文件有效期"),
    ("visit_date", "2027-01-01", "visit_date", "不在政策文件有效期"),
    ("visit_date", DELETE, "visit_date", "缺少这一项"),
    ("kind", "inpatient", "kind", "就诊类型“inpatient”未知"),
    ("kind", "chronic", "chronic_code", "需要慢特病编码"),
    ("chronic_code", "I10", "chronic_code", "chronic_code 应为 null"),
    ("general_fee", 1, "general_fee", "true 或 false"),
    ("extra", 1, "extra", "未知的字段"),
]


@pytest.mark.parametrize(("path", "value", "field", "words"), INVALID, ids=[f"{p}={'DELETE' if v is DELETE else repr(v)}" for p, v, *_ in INVALID])
def test_invalid_case_names_the_field(policy, path: str, value: object, field: str, words: str) -> None:  # noqa: ANN001
    with pytest.raises(PolicyError) as err:
        settle(policy, case_from_json(mutated(path, value)))
    assert err.value.field == field
    assert field in str(err.value)
    assert words in str(err.value)


def test_unknown_chronic_code(policy) -> None:  # noqa: ANN001
    case = mutated("kind", "chronic")
    case["chronic_code"] = "J45"
    with pytest.raises(PolicyError, match="慢特病编码“J45”不在政策文件中") as err:
        settle(policy, case_from_json(case))
    assert err.value.field == "chronic_code"
    case["chronic_code"] = "E11"
    assert settle(policy, case_from_json(case)).total_fen == 3050


def test_optional_keys_have_defaults(policy) -> None:  # noqa: ANN001
    minimal = {
        "visit_date": "2026-03-05", "kind": "outpatient", "general_fee": False,
        "resident": {"covered_years": [2025, 2026], "central_period": True}, "lines": [{"amount_fen": 100, "class": "A"}],
    }  # fmt: skip
    case = case_from_json(minimal)
    assert case.chronic_code is None and case.year_to_date.fund_fen == 0
    assert case.resident.enrolled_on is None and case.resident.assistance is None
    assert settle(policy, case).fund_fen == 60


def test_dataclass_callers_are_checked_too(policy) -> None:  # noqa: ANN001
    bad = build_case([(100, "A")])
    bad = type(bad)(**{**bad.__dict__, "lines": (Line(-3, "A"),)})
    with pytest.raises(PolicyError) as err:
        settle(policy, bad)
    assert err.value.field == "lines[0].amount_fen"
    with pytest.raises(PolicyError) as err:
        settle(policy, build_case([(100, "A")], assistance="wubao"))
    assert err.value.field == "resident.assistance"
    with pytest.raises(PolicyError) as err:
        settle(policy, build_case([(100, "A")], kind="chronic", chronic_code="X99"))
    assert err.value.field == "chronic_code"
    with pytest.raises(PolicyError):
        settle(policy, build_case([(100, "A", 20000)]))


def test_calc_text(policy) -> None:  # noqa: ANN001
    result = calc_text(policy, json.dumps(DESIGN_CASE))
    assert result["total_fen"] == 3050 and result["waiting_until"] == "2026-06-10"
    with pytest.raises(PolicyError, match="不是有效的 JSON"):
        calc_text(policy, "{visit_date: 1}")
    with pytest.raises(PolicyError, match="JSON 对象"):
        calc_text(policy, "[1, 2]")


def test_visit_date_on_the_policy_boundaries_is_valid(policy) -> None:  # noqa: ANN001
    for day in ("2026-01-01", "2026-12-31"):
        split = settle(policy, build_case([(100, "A")], visit=day))
        assert split.fund_fen == 60
    assert date(2026, 1, 1) == policy.valid_from
