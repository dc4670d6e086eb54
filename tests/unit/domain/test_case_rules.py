"""Assisted filing rules (DESIGN §6): the case types file, the timeline's legal steps, close relatives."""

from __future__ import annotations

import pytest

from app.domain.cases import (
    CLOSE_RELATIVES,
    NEXT,
    case_type_of,
    check_family_relation,
    check_step,
    load_case_types,
    parse_case_types,
)
from app.domain.enums import CaseStatus, CaseType
from app.domain.errors import RuleViolation, ValidationError
from app.paths import resource

SHIPPED = resource("cases", "case_types.toml")


def test_the_shipped_file_has_every_type_and_the_manual_reimbursement_checklist_of_the_issue() -> None:
    types = load_case_types(SHIPPED)
    assert set(types.types) == set(CaseType)
    manual = types[CaseType.MANUAL_REIMBURSEMENT]
    assert manual.due_workdays == 30
    assert manual.materials == ("身份证件或医保电子凭证或社保卡", "医疗机构收费票据", "门诊急诊费用清单", "处方底方")
    assert "示例数值" in types.note and "示例数值" in SHIPPED.read_text(encoding="utf-8").splitlines()[0]
    assert any("新生儿" in m for m in types[CaseType.ENROLLMENT].materials)
    for spec in types.types.values():
        assert spec.materials and 1 <= spec.due_workdays <= 60




@pytest.mark.parametrize(("edit", "field", "words"), [
    (lambda t: t.replace("due_workdays = 30", "due_workdays = 0"), "[types.manual_reimbursement] due_workdays", "1 到"),
    (lambda t: t.replace("due_workdays = 30", 'due_workdays = "三十"'), "[types.manual_reimbursement] due_workdays", "整数"),
    (lambda t: t.replace("[types.maternity]", "[types.maternity_leave]"), "[types.maternity_leave]", "没有这个事项类型"),
    (lambda t: t.replace("[types.family_account]", "[types.family_account]\ncolour = 1"), "[types.family_account] colour",
     "不认识这个键"),
    (lambda t: t.replace('materials = ["身份证件或医保电子凭证或社保卡", "医疗机构收费票据"',
                         'materials = ["医疗机构收费票据", "医疗机构收费票据"'),
     "[types.manual_reimbursement] materials 第 2 项", "重复"),
    (lambda t: t.split("[types.family_account]")[0], "[types.family_account]", "缺少"),
    (lambda t: t + "\n[extra]\n", "[extra]", "不认识这一节"),
])
def test_a_malformed_file_is_refused_naming_the_file_and_the_field(edit, field: str, words: str) -> None:  # noqa: ANN001
    with pytest.raises(ValidationError) as err:
        parse_case_types(edit(SHIPPED.read_text(encoding="utf-8")), "县里的事项.toml")
    assert "县里的事项.toml" in err.value.message and field in err.value.message and words in err.value.message
    assert err.value.field == field


def test_a_file_that_is_not_toml_is_refused() -> None:
    with pytest.raises(ValidationError, match="坏文件.toml 不是有效的 TOML"):
        parse_case_types("[types\n", "坏文件.toml")


def test_a_case_type_is_named_by_its_code_or_its_chinese_name() -> None:
    assert case_type_of("manual_reimbursement") is CaseType.MANUAL_REIMBURSEMENT
    assert case_type_of("MANUAL_REIMBURSEMENT") is CaseType.MANUAL_REIMBURSEMENT
    assert case_type_of("零星报销") is CaseType.MANUAL_REIMBURSEMENT
    with pytest.raises(ValidationError, match="事项类型“报销”不存在") as err:
        case_type_of("报销")
    assert err.value.field == "事项类型"


def test_the_timeline_allows_only_its_own_steps() -> None:
    check_step(None, CaseStatus.ACCEPTED)
    path = [CaseStatus.ACCEPTED, CaseStatus.SUBMITTED, CaseStatus.RETURNED, CaseStatus.SUBMITTED, CaseStatus.RETURNED,
            CaseStatus.SUBMITTED, CaseStatus.APPROVED]
    for current, new in zip(path, path[1:]):
        check_step(current, new)
    legal = {(a, b) for a, nexts in NEXT.items() for b in nexts}
    for current in [None, *CaseStatus]:
        for new in CaseStatus:
            if (current, new) in legal:
                continue
            with pytest.raises(RuleViolation) as err:
                check_step(current, new)
            assert err.value.field == "办理状态" and new.label in err.value.message or current is None
    with pytest.raises(RuleViolation, match="这件事项已经“已办结”，办理已结束，不能再“退回补件”"):
        check_step(CaseStatus.APPROVED, CaseStatus.RETURNED)
    with pytest.raises(RuleViolation, match="现在是“已受理”，不能直接“已办结”，下一步只能是“已报送”"):
        check_step(CaseStatus.ACCEPTED, CaseStatus.APPROVED)


@pytest.mark.parametrize("relation", ["配偶", "妻子", "父亲", "母亲", "儿子", "女儿", "哥哥", "妹妹", "爷爷", "外婆",
                                      "孙女", "外孙"])
def test_close_relatives_may_share_a_family_account(relation: str) -> None:
    assert check_family_relation(relation) in set(CLOSE_RELATIVES.values())


@pytest.mark.parametrize("relation", ["侄子", "舅舅", "儿媳", "女婿", "岳父", "表哥", "邻居", ""])
def test_anyone_else_is_refused_with_the_reason(relation: str) -> None:
    with pytest.raises(RuleViolation) as err:
        check_family_relation(relation)
    assert err.value.field == "与居民关系"
    assert "只能用于近亲属（配偶、父母、子女、兄弟姐妹、祖父母、外祖父母、孙子女、外孙子女）" in err.value.message
    assert (f"“{relation}”不是近亲属" if relation else "没有填写与居民的关系") in err.value.message
