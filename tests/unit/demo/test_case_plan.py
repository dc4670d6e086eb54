"""The pure parts of the demo's and the simulation's 帮办代办: who may be the resident and the agent, the
agent's relation (always a close relative for 家庭共济), the first material and the township's answers."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

from app.domain.cases import check_family_relation, load_case_types
from app.domain.enums import CaseType
from app.paths import resource
from app.services.demo.case_history import workdays_back
from app.services.demo.case_plan import Member, first_material, missing_for_return, outcome, pick_case, relation

DAY = date(2026, 6, 15)
TYPES = load_case_types(resource("cases", "case_types.toml"))


def _m(i: str, relation_to_head: str, sex: str, born: date, household: str = "h1", **kw: object) -> Member:
    return Member(i, household, f"居民{i}", sex, born, f"41010219{i:0>2}", relation_to_head, **kw)  # type: ignore[arg-type]


HEAD = _m("1", "本人", "M", date(1958, 3, 1))
WIFE = _m("2", "配偶", "F", date(1960, 5, 1))
SON = _m("3", "子", "M", date(1985, 1, 1))
GRANDCHILD = _m("4", "孙子女", "F", date(2015, 1, 1))
MOTHER = _m("5", "父母", "F", date(1935, 1, 1))
FAMILY = [HEAD, WIFE, SON, GRANDCHILD, MOTHER]


def test_the_agents_relation_is_seen_from_the_resident_through_the_head() -> None:
    assert [relation(HEAD, p) for p in (WIFE, SON, GRANDCHILD, MOTHER)] == ["配偶", "父亲", "祖父", "儿子"]
    assert [relation(p, HEAD) for p in (WIFE, SON, GRANDCHILD, MOTHER)] == ["配偶", "儿子", "孙女", "母亲"]
    assert relation(WIFE, SON) == "" and relation(HEAD, HEAD) == ""  # not through the head: left out
    assert relation(HEAD, _m("9", "配偶", "F", date(1960, 1, 1), household="h2")) == ""
    for agent in FAMILY:
        for resident in FAMILY:
            if relation(agent, resident):
                check_family_relation(relation(agent, resident))  # every word is a close relative's


def test_cases_fit_their_residents_and_family_mutual_aid_has_a_close_relative() -> None:
    rng = random.Random(3)
    kinds = Counter()
    for _ in range(400):
        planned = pick_case(rng, DAY, FAMILY, {"h1": FAMILY})
        assert planned is not None
        kinds[planned.case_type] += 1
        if planned.case_type is CaseType.FAMILY_ACCOUNT:
            assert planned.agent is not None and check_family_relation(planned.agent_relation)
        if DAY.year - planned.resident.birth.year < 16:
            assert planned.agent is not None  # a child's case is brought by a relative
        if planned.case_type is CaseType.MATERNITY:
            raise AssertionError("nobody here could have given birth")
    assert kinds[CaseType.MANUAL_REIMBURSEMENT] > kinds[CaseType.SPECIAL_DRUG] and len(kinds) >= 5
    alone = [_m("7", "本人", "M", date(1950, 1, 1), household="h7")]
    assert pick_case(rng, DAY, alone, {"h7": alone}, CaseType.FAMILY_ACCOUNT) is None  # nobody to pay for him
    assert pick_case(rng, DAY, [], {}) is None


def test_the_first_material_and_the_townships_answers() -> None:
    rng = random.Random(5)
    checklist = TYPES[CaseType.REMOTE_CARE_FILING].materials
    for _ in range(200):
        brought = first_material(rng, checklist)
        assert brought and set(brought) <= set(checklist) and list(brought) == [m for m in checklist if m in brought]
        note, missing = missing_for_return(rng, checklist, brought)
        assert len(missing) == 1 and missing[0] in checklist and note
    answers = Counter(outcome(rng) for _ in range(2000))
    assert answers["approve"] > answers["return"] > answers["reject"] > 0


def test_working_days_back_skip_weekends_and_holidays() -> None:
    assert workdays_back(date(2026, 6, 15), 1) == date(2026, 6, 12)  # Monday → Friday
    assert workdays_back(date(2026, 10, 8), 1) == date(2026, 9, 30)  # after the National Day holiday
    assert workdays_back(date(2026, 10, 12), 1) == date(2026, 10, 10)  # a make-up Saturday
    assert workdays_back(date(2026, 2, 24), 1) == date(2026, 2, 14)  # the Spring Festival, then its make-up day
