"""What demo and simulated 帮办代办 cases look like: which types come how often, who may be the resident,
the agent 代办人 and his or her relation, the material brought at first, and the township's answers.

Shared by the demo builder (``app.services.demo.cases``, bulk rows) and ``cunyi simulate``
(``app.services.demo.simulate_cases``, through ``Services.cases``), so both tell the same story.
A village handles about one case a week (the seeds report 2,189 cases in January–July for a county).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.domain.enums import CaseType

#: how often each type comes to a village clinic (relative weights)
TYPE_WEIGHTS: dict[CaseType, int] = {
    CaseType.MANUAL_REIMBURSEMENT: 22, CaseType.REMOTE_CARE_FILING: 18, CaseType.CHRONIC_DISEASE: 16,
    CaseType.ENROLLMENT: 11, CaseType.MEDICAL_ASSISTANCE: 8, CaseType.FAMILY_ACCOUNT: 8,
    CaseType.SUBSIDIZED_ENROLLMENT: 6, CaseType.SPECIAL_DRUG: 4, CaseType.MATERNITY: 4,
}
#: new cases a village opens on a working day (on average); a weekend day sees a tenth of it
CASES_PER_WORKDAY = 0.22

REJECT_REASONS: dict[CaseType, tuple[str, ...]] = {
    CaseType.ENROLLMENT: ("经核查已在外地参加职工医保，不能重复参保",),
    CaseType.SUBSIDIZED_ENROLLMENT: ("经民政部门核查，申请人不在特困、低保或防返贫监测对象名单内",),
    CaseType.REMOTE_CARE_FILING: ("异地长期居住证明不符合要求，且本人未能补充其他证明",),
    CaseType.CHRONIC_DISEASE: ("诊断证明与病历资料不符合门诊慢特病认定标准", "检查结果未达到该病种的认定标准"),
    CaseType.SPECIAL_DRUG: ("所申请药品不在门诊特药目录内",),
    CaseType.MEDICAL_ASSISTANCE: ("经核查不属于医疗救助对象", "本年度救助额度已用完"),
    CaseType.MANUAL_REIMBURSEMENT: ("票据已超过零星报销申报时限", "费用已在定点医疗机构直接结算，不能重复报销"),
    CaseType.MATERNITY: ("居民医保参保人不享受生育津贴，住院费用已按居民医保结算",),
    CaseType.FAMILY_ACCOUNT: ("出资人职工医保个人账户已注销",),
}
APPROVE_NOTES = ("已办结，结果已告知本人", "已办结", "审核通过，已办结", "")
SUBMIT_NOTES = ("材料齐全，已报送县医保经办机构", "已报送", "")
UNCLEAR = "（复印件不清晰，请重新提供）"

#: an agent's relation to the resident, when one of the two is the head of the household (户主, 本人):
#: the member's ``relation_to_head`` → the word for the head as seen from the member, by the head's sex
_HEAD_AS_SEEN = {"配偶": ("配偶", "配偶"), "子": ("父亲", "母亲"), "女": ("父亲", "母亲"),
                 "孙子女": ("祖父", "祖母"), "父母": ("儿子", "女儿")}
#: … and the member as seen from the head, by the member's sex
_MEMBER_AS_SEEN = {"配偶": ("配偶", "配偶"), "子": ("儿子", "儿子"), "女": ("女儿", "女儿"),
                   "孙子女": ("孙子", "孙女"), "父母": ("父亲", "母亲")}


@dataclass(frozen=True)
class Member:
    """A resident as the case plan needs him or her (from the demo's people or a site's residents table)."""

    id: str
    household_id: str
    name: str
    sex: str
    birth: date
    id_number: str
    relation: str  # to the head of the household; "本人" is the head
    assistance: str | None = None
    chronic: bool = False


def relation(agent: Member, resident: Member) -> str:
    """The agent's relation to the resident ("" unless one of them is the head of their household)."""
    if agent.household_id != resident.household_id or agent.id == resident.id:
        return ""
    if agent.relation == "本人":
        return _HEAD_AS_SEEN.get(resident.relation, ("", ""))[agent.sex != "M"]
    if resident.relation == "本人":
        return _MEMBER_AS_SEEN.get(agent.relation, ("", ""))[agent.sex != "M"]
    return ""


def _age(person: Member, day: date) -> int:
    return day.year - person.birth.year - ((day.month, day.day) < (person.birth.month, person.birth.day))


def _fits(case_type: CaseType, p: Member, day: date) -> bool:
    age = _age(p, day)
    if case_type is CaseType.ENROLLMENT:
        return age < 3 or 16 <= age < 30
    if case_type is CaseType.SUBSIDIZED_ENROLLMENT or case_type is CaseType.MEDICAL_ASSISTANCE:
        return bool(p.assistance) or (case_type is CaseType.MEDICAL_ASSISTANCE and age >= 70)
    if case_type is CaseType.CHRONIC_DISEASE or case_type is CaseType.SPECIAL_DRUG:
        return p.chronic or age >= 55
    if case_type is CaseType.MATERNITY:
        return p.sex == "F" and 20 <= age <= 40
    if case_type is CaseType.REMOTE_CARE_FILING:
        return 18 <= age
    return age >= 1


@dataclass(frozen=True)
class PlannedCase:
    case_type: CaseType
    resident: Member
    agent: Member | None
    agent_relation: str


def pick_case(rng: random.Random, day: date, people: Sequence[Member], households: dict[str, Sequence[Member]],
              case_type: CaseType | None = None) -> PlannedCase | None:
    """A new case of the day: a type by its weight, a resident it fits, now and then a relative as agent.

    家庭共济 needs a close relative who holds the employee account, so its agent is always a relative
    related through the head of the household; without one the case becomes another type (unless
    ``case_type`` asks for that type: then None when no resident fits)."""
    living = [p for p in people if (day - p.birth).days > 30]
    if not living:
        return None
    types = list(TYPE_WEIGHTS)
    wanted = case_type
    for _ in range(6):
        case_type = wanted or rng.choices(types, weights=[TYPE_WEIGHTS[t] for t in types])[0]
        sample = [rng.choice(living) for _ in range(40)]
        fits = [p for p in sample if _fits(case_type, p, day)]
        if not fits:
            continue
        resident = fits[0]
        adults = [(m, relation(m, resident)) for m in households.get(resident.household_id, ())
                  if m.id != resident.id and _age(m, day) >= 18 and m.birth < day]
        adults = [(m, r) for m, r in adults if r]
        if case_type is CaseType.FAMILY_ACCOUNT:
            if not adults:
                continue
            agent, rel = rng.choice(adults)
            return PlannedCase(case_type, resident, agent, rel)
        needs_agent = _age(resident, day) < 16 or _age(resident, day) >= 80
        if adults and (needs_agent or rng.random() < 0.2):
            agent, rel = rng.choice(adults)
            return PlannedCase(case_type, resident, agent, rel)
        if _age(resident, day) < 16:
            continue  # a child's case is brought by a parent or grandparent
        return PlannedCase(case_type, resident, None, "")
    return None


def first_material(rng: random.Random, checklist: Sequence[str]) -> tuple[str, ...]:
    """What the resident brings the first time: the items that apply, now and then one of them left out."""
    usual = [m for m in checklist if "（" not in m or rng.random() < 0.3]
    if len(usual) > 1 and rng.random() < 0.35:
        usual.remove(rng.choice(usual[1:]))
    return tuple(m for m in checklist if m in usual)


def missing_for_return(rng: random.Random, checklist: Sequence[str], collected: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """(note, missing items) of a return for material: what was not brought, else a copy to be made again."""
    absent = [m for m in checklist if m not in collected and "（" not in m]
    if absent:
        return "请补齐材料后重新报送", (rng.choice(absent),)
    item = rng.choice(list(collected) or list(checklist))
    return f"{item}{UNCLEAR}", (item,)


def outcome(rng: random.Random) -> str:
    """The township's answer to a submitted case: mostly approve, sometimes return, now and then reject."""
    roll = rng.random()
    return "approve" if roll < 0.78 else "return" if roll < 0.93 else "reject"


__all__ = ["APPROVE_NOTES", "CASES_PER_WORKDAY", "REJECT_REASONS", "SUBMIT_NOTES", "TYPE_WEIGHTS", "Member",
           "PlannedCase", "first_material", "missing_for_return", "outcome", "pick_case", "relation"]
