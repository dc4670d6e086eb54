"""Policy TOML validation: every missing, unknown or mistyped key is refused, naming the key."""

from __future__ import annotations

from datetime import date

import pytest
from policy_fixtures import BASE_SECTIONS, policy_sections, render_policy

from app.domain.errors import PolicyError, ValidationError
from app.domain.policy import parse_policy

REQUIRED_KEYS = [(section, key) for section, keys in BASE_SECTIONS.items() for key in keys]


def _parse(sections: dict[str, dict[str, object]]):  # noqa: ANN202
    return parse_policy(render_policy(sections))


def test_design_figures_parse_into_nested_policy(policy) -> None:  # noqa: ANN001
    assert policy.region == "测试县（示例数值）"
    assert (policy.year, policy.valid_from, policy.valid_to) == (2026, date(2026, 1, 1), date(2026, 12, 31))
    assert policy.outpatient.ratio_bp == 6000
    assert policy.outpatient.per_visit_cap_fen == 5000
    assert policy.general_fee.fund_fen == 800
    assert policy.chronic["I10"].name == "高血压"
    assert policy.chronic["I10"].ratio_bp == 6500
    assert sorted(policy.assistance) == ["dibao", "monitor", "tekun"]
    assert policy.assistance["tekun"].annual_cap_fen == 100000
    assert policy.waiting_period.min_months_after_long_gap == 6
    assert policy.note == ""
    assert policy.covers(date(2026, 12, 31)) and not policy.covers(date(2027, 1, 1))


def test_note_and_toml_dates_are_accepted() -> None:
    text = render_policy(policy_sections(meta={"note": "示例数值"})).replace('"2026-01-01"', "2026-01-01")
    policy = parse_policy(text)
    assert policy.note == "示例数值"
    assert policy.valid_from == date(2026, 1, 1)


def test_chronic_and_assistance_sections_are_optional() -> None:
    sections = {k: v for k, v in policy_sections().items() if not k.startswith(("chronic", "assistance"))}
    policy = _parse(sections)
    assert policy.chronic == {} and policy.assistance == {}


@pytest.mark.parametrize(("section", "key"), REQUIRED_KEYS)
def test_missing_key_is_named(section: str, key: str) -> None:
    sections = policy_sections()
    del sections[section][key]
    with pytest.raises(PolicyError) as err:
        _parse(sections)
    assert f"[{section}] 缺少 {key}" in str(err.value)
    assert err.value.field == f"{section}.{key}"


def test_missing_key_message_matches_the_design_wording() -> None:
    sections = policy_sections()
    del sections["outpatient"]["ratio_bp"]
    with pytest.raises(PolicyError, match=r"^政策文件 \[outpatient\] 缺少 ratio_bp"):
        _parse(sections)


def test_policy_error_is_a_validation_error_with_source() -> None:
    sections = policy_sections()
    del sections["general_fee"]["fund_fen"]
    with pytest.raises(ValidationError, match="demo-2026.toml"):
        parse_policy(render_policy(sections), source="demo-2026.toml")


@pytest.mark.parametrize("section", ["meta", "outpatient", "general_fee", "chronic.I10", "assistance.dibao", "waiting_period"])
def test_unknown_key_is_named(section: str) -> None:
    sections = policy_sections()
    sections[section]["ratio"] = 6000
    with pytest.raises(PolicyError, match=rf"\[{section}\] 有未知的键 ratio") as err:
        _parse(sections)
    assert err.value.field == f"{section}.ratio"


def test_unknown_section_and_missing_section() -> None:
    sections = policy_sections()
    sections["inpatient"] = {"ratio_bp": 8000}
    with pytest.raises(PolicyError, match=r"未知的节或键 \[inpatient\]"):
        _parse(sections)
    sections = policy_sections()
    del sections["waiting_period"]
    with pytest.raises(PolicyError, match=r"缺少 \[waiting_period\] 节") as err:
        _parse(sections)
    assert err.value.field == "waiting_period"


def test_unknown_assistance_category() -> None:
    sections = policy_sections()
    sections["assistance.wubao"] = {"name": "五保", "ratio_bp": 7000, "annual_cap_fen": 1}
    with pytest.raises(PolicyError, match=r"\[assistance.wubao\] 不是已知的救助类别"):
        _parse(sections)


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("outpatient", "ratio_bp", 0.6, "0 到 10000"),
        ("outpatient", "ratio_bp", 10001, "0 到 10000"),
        ("outpatient", "class_b_self_bp", -1, "0 到 10000"),
        ("chronic.I10", "ratio_bp", 20000, "0 到 10000"),
        ("assistance.tekun", "ratio_bp", "70%", "0 到 10000"),
        ("outpatient", "deductible_fen", 12.5, "非负整数（单位：分）"),
        ("outpatient", "annual_cap_fen", "40000", "非负整数（单位：分）"),
        ("general_fee", "amount_fen", True, "非负整数（单位：分）"),
        ("general_fee", "fund_fen", -800, "非负整数（单位：分）"),
        ("waiting_period", "fixed_months", 2.5, "非负整数（月）"),
        ("meta", "year", "2026", "年份整数"),
        ("meta", "region", "", "非空文字"),
        ("meta", "region", 12, "非空文字"),
        ("chronic.E11", "name", 7, "非空文字"),
        ("meta", "valid_from", "2026/01/01", "应为日期"),
        ("meta", "valid_to", "2026-02-30", "应为日期"),
    ],
)
def test_wrong_types_and_ranges_are_named(section: str, key: str, value: object, expected: str) -> None:
    with pytest.raises(PolicyError) as err:
        _parse(policy_sections(**{section.replace(".", "__"): {key: value}}))
    assert f"[{section}] {key}" in str(err.value)
    assert expected in str(err.value)
    assert err.value.field == f"{section}.{key}"


def test_consistency_rules() -> None:
    with pytest.raises(PolicyError, match="valid_from 不能晚于 valid_to"):
        _parse(policy_sections(meta={"valid_from": "2026-12-31", "valid_to": "2026-01-01"}))
    with pytest.raises(PolicyError, match="应在 2026 年内"):
        _parse(policy_sections(meta={"valid_to": "2027-06-30"}))
    with pytest.raises(PolicyError, match="fund_fen 不能大于 amount_fen"):
        _parse(policy_sections(general_fee={"fund_fen": 1200}))


def test_not_toml_and_not_a_table() -> None:
    with pytest.raises(PolicyError, match="不是有效的 TOML"):
        parse_policy("[meta\nregion = 1")
    text = "general_fee = 5\n" + render_policy(policy_sections()).replace("[general_fee]\namount_fen = 1000\nfund_fen = 800\n", "")
    with pytest.raises(PolicyError, match=r"\[general_fee\] 应为一节"):
        parse_policy(text)
