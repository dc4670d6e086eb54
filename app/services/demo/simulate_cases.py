"""帮办代办 in ``cunyi simulate``: a village's cases and the township's reviews, through ``Services.cases``.

- Village (as its village doctor, else its administrator): sends a returned case again once the
  resident has brought what was missing, ticks material brought for an open case, and on some days opens
  a case for one of its residents (``app.services.demo.case_plan``: about one a week, a realistic mix of
  types, a relative of the household as agent now and then, 家庭共济 only for a close relative).
- Township (as its case worker 医保专干, else its administrator): reviews its villages' cases that have
  arrived by sync — forwards the accepted ones, and decides the submitted ones: approves most, returns
  some for material naming what is missing, rejects a few with a reason.

A case is only acted on when its latest step is from an earlier day. Cases are read in a fixed order
(day accepted, village name, case number), never by id, so the same folder state and seed do the same.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import text

from app.domain.enums import CaseStatus, Role
from app.domain.errors import CunyiError
from app.domain.workdays import is_workday
from app.services.cases.types import CaseFilter, CaseForm, CaseInfo
from app.services.core.context import Actor
from app.services.demo.case_plan import (
    APPROVE_NOTES,
    CASES_PER_WORKDAY,
    REJECT_REASONS,
    SUBMIT_NOTES,
    Member,
    first_material,
    missing_for_return,
    outcome,
    pick_case,
)

Note = Callable[[str], None]


def cases_rng(seed: int, site: Any, day: date) -> random.Random:
    """The day's random stream for cases (apart from the other operations' stream, which it leaves as it was)."""
    return random.Random(f"cunyi-simulate-cases|{seed}|{site.kind}|{site.name}|{site.code}|{day.isoformat()}")


@contextmanager
def acting_as(sv: Any, site_id: str, *roles: Role) -> Iterator[None]:
    """Act as the first active user of this site with the first of ``roles`` it has (by user name), else as
    whoever acts now (the CLI); the actor is put back afterwards."""
    before = sv.session.actor
    with sv.db.read() as s:
        rows = list(s.execute(text("SELECT id, display_name, role FROM users WHERE site_id = :s AND active "
                                   "ORDER BY username"), {"s": site_id}))
    for role in roles:
        user = next((r for r in rows if r[2] == role.value), None)
        if user is not None:
            sv.session.actor = Actor(user[0], user[1], user[2])
            break
    try:
        yield
    finally:
        sv.session.actor = before


def _open_cases(sv: Any, status: CaseStatus, day: date, owned_here: bool) -> list[CaseInfo]:
    cases = [c for c in sv.cases.list(CaseFilter(status=status, limit=0))
             if c.owned_here is owned_here and c.status_at.date() < day]
    return sorted(cases, key=lambda c: (c.accepted_on, c.site_name, c.case_no))


def _members(sv: Any, site_id: str) -> tuple[list[Member], dict[str, list[Member]]]:
    with sv.db.read() as s:
        rows = list(s.execute(text(
            "SELECT r.id, coalesce(r.household_id, r.id), r.name, r.sex, r.birth_date, r.id_number, "
            "coalesce(r.relation_to_head, ''), r.assistance_category, "
            "EXISTS (SELECT 1 FROM chronic_qualifications q WHERE q.resident_id = r.id) "
            "FROM residents r WHERE r.site_id = :s ORDER BY r.id_number"), {"s": site_id}))
    people = [Member(r[0], r[1], r[2], r[3], date.fromisoformat(str(r[4])[:10]), r[5], r[6], r[7], bool(r[8]))
              for r in rows]
    households: dict[str, list[Member]] = {}
    for p in people:
        households.setdefault(p.household_id, []).append(p)
    return people, households


# -- the village -----------------------------------------------------------------------------------
def village_cases(sv: Any, site: Any, day: date, rng: random.Random, counts: Counter, note: Note) -> None:
    """The village's 帮办代办 of the day: resubmissions, material brought, new cases."""
    with acting_as(sv, site.site_id, Role.VILLAGE_DOCTOR, Role.ADMIN):
        for case in _open_cases(sv, CaseStatus.RETURNED, day, owned_here=True):
            if rng.random() < 0.4:
                _resubmit(sv, case, day, counts, note)
        for status in (CaseStatus.ACCEPTED, CaseStatus.SUBMITTED):
            for case in _open_cases(sv, status, day, owned_here=True):
                brought = [m for m in case.missing if "（" not in m]
                if brought and rng.random() < 0.15:
                    sv.cases.set_collected(case.id, case.collected + (rng.choice(brought),))
                    counts["case_material_ticks"] += 1
        rate = CASES_PER_WORKDAY if is_workday(day)[0] else CASES_PER_WORKDAY / 10
        people: list[Member] | None = None
        households: dict[str, list[Member]] = {}
        for _slot in range(2):
            if rng.random() >= rate / 2:
                continue
            if people is None:
                people, households = _members(sv, site.site_id)
            planned = pick_case(rng, day, people, households)
            if planned is None:
                continue
            spec = sv.cases.case_types()[planned.case_type]
            agent = planned.agent
            form = CaseForm(resident_id=planned.resident.id, case_type=planned.case_type,
                            agent_name=agent.name if agent else "", agent_id_number=agent.id_number if agent else "",
                            agent_relation=planned.agent_relation, collected=first_material(rng, spec.materials),
                            accepted_on=day)
            try:
                opened = sv.cases.open(form)
            except CunyiError as exc:
                counts["cases_refused"] += 1
                note(f"{day.isoformat()} 一件帮办代办事项未受理：{exc.message}")
                continue
            counts["cases_opened"] += 1
            if opened.warning:
                note(f"{day.isoformat()} {opened.case_no}：{opened.warning}")


def _resubmit(sv: Any, case: CaseInfo, day: date, counts: Counter, note: Note) -> None:
    full = sv.cases.get(case.id)
    returned = next((e for e in reversed(full.events) if e.status is CaseStatus.RETURNED), None)
    missing = returned.missing if returned else ()
    collected = case.collected + tuple(m for m in missing if m in case.checklist and m not in case.collected)
    try:
        sv.cases.resubmit(case.id, collected=collected, note=f"已补交：{'、'.join(missing)}" if missing else "已补齐材料")
    except CunyiError as exc:
        note(f"{day.isoformat()} {case.case_no} 未能重新报送：{exc.message}")
        return
    counts["cases_resubmitted"] += 1


# -- the township ----------------------------------------------------------------------------------
def township_reviews(sv: Any, site: Any, day: date, rng: random.Random, counts: Counter, note: Note) -> None:
    """The township case worker's day: forward accepted cases, decide submitted ones."""
    if not is_workday(day)[0] and rng.random() < 0.8:
        return  # the case worker works on a weekend now and then
    with acting_as(sv, site.site_id, Role.CASE_WORKER, Role.ADMIN):
        for case in _open_cases(sv, CaseStatus.ACCEPTED, day, owned_here=False):
            if rng.random() < 0.7:
                _step(sv.cases.submit, (case.id, rng.choice(SUBMIT_NOTES)), case, day, counts, "cases_forwarded", note)
        for case in _open_cases(sv, CaseStatus.SUBMITTED, day, owned_here=False):
            if rng.random() >= 0.35:
                continue
            answer = outcome(rng)
            if answer == "return":
                returns = sum(e.status is CaseStatus.RETURNED for e in sv.cases.get(case.id).events)
                answer = "approve" if returns >= 2 else answer
            if answer == "approve":
                _step(sv.cases.approve, (case.id, rng.choice(APPROVE_NOTES)), case, day, counts, "cases_approved", note)
            elif answer == "reject":
                reason = rng.choice(REJECT_REASONS[case.case_type])
                _step(sv.cases.reject, (case.id, reason), case, day, counts, "cases_rejected", note)
            else:
                words, missing = missing_for_return(rng, case.checklist, case.collected)
                _step(sv.cases.return_for_material, (case.id, missing, words), case, day, counts, "cases_returned",
                      note)


def _step(call: Callable[..., object], args: tuple, case: CaseInfo, day: date, counts: Counter, key: str,
          note: Note) -> None:
    try:
        call(*args)
    except CunyiError as exc:
        note(f"{day.isoformat()} {case.site_name} {case.case_no} 未能办理：{exc.message}")
        return
    counts[key] += 1


__all__ = ["acting_as", "cases_rng", "township_reviews", "village_cases"]
