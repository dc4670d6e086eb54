"""帮办代办 in the demo: each village's cases of the recent months and the township's reviews, as bulk rows.

The rows are what ``Services.cases`` writes: a ``cases`` row owned by the village (case number
``BD<day>-<n>``, due day from ``app.domain.workdays``), its timeline as ``case_events`` — 已受理 and a
resubmission 已报送 owned by the village; 已报送, 退回补件, 已办结 and 不予办理 owned by the township and
addressed to the village (``to_site_id``). Only the local site's actions get audit rows.

Besides about one case a week over the last months (most closed by now), every village holds a case
in each status and a few that the 工作台 must show relative to the demo's today: two overdue and two due
within 3 working days. Nothing happens after the build time.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.domain.cases import CaseTypes
from app.domain.enums import CaseStatus, CaseType
from app.domain.workdays import DueDate, add_workdays, is_workday
from app.services.demo.case_plan import (
    APPROVE_NOTES,
    CASES_PER_WORKDAY,
    REJECT_REASONS,
    SUBMIT_NOTES,
    Member,
    PlannedCase,
    first_material,
    missing_for_return,
    outcome,
    pick_case,
)
from app.services.demo.people import Person
from app.services.demo.rows import day_text, dt_text

#: columns of the demo's case tuples (after the sync columns)
CASE_COLUMNS = ("site_id", "case_no", "case_type", "resident_id", "agent_name", "agent_id_number", "agent_relation",
                "responsible_user_id", "responsible_name", "accepted_on", "due_workdays", "due_on", "due_fallback",
                "collected", "note")
EVENT_COLUMNS = ("case_id", "step", "status", "note", "missing", "user_id", "user_name", "occurred_at", "to_site_id")
#: the history of cases goes back at most this far (the large demo's ten years would be needless rows)
CASE_HISTORY_DAYS = 365


@dataclass(frozen=True)
class Staff:
    site_id: str
    user_id: str
    name: str


def _workday(day: date) -> bool:
    return is_workday(day)[0]


def workdays_back(today: date, n: int) -> date:
    """The ``n``-th working day before ``today`` (``today`` not counted)."""
    day = today
    while n:
        day -= timedelta(days=1)
        n -= _workday(day)
    return day


def _at(day: date, rng: random.Random, first: int = 8 * 60 + 30, last: int = 17 * 60) -> datetime:
    return datetime.combine(day, time()) + timedelta(minutes=rng.randint(first, last))


def _after_workdays(at: datetime, n: int, rng: random.Random) -> datetime:
    """A time on the ``n``-th working day after ``at`` (0: later the same day)."""
    if n <= 0:
        return at + timedelta(minutes=rng.randint(20, 180))
    return _at(add_workdays(at.date(), n).due_on, rng)


def members_of(people: list[Person]) -> tuple[list[Member], dict[str, list[Member]]]:
    out = [Member(p.id, p.household_id, p.name, p.sex, p.birth, p.id_number, p.relation, p.assistance,
                  bool(p.conditions)) for p in people]
    households: dict[str, list[Member]] = {}
    for m in out:
        households.setdefault(m.household_id, []).append(m)
    return out, households


class VillageCases:
    """Writes one village's cases and their timelines."""

    def __init__(self, *, ids: Callable[[], str], add: dict, types: CaseTypes, village: Staff, worker: Staff,
                 local_site_id: str, today: date, until: datetime, start: date, people: list[Person],
                 seed: str) -> None:
        self.ids, self.add, self.types = ids, add, types
        self.village, self.worker, self.local = village, worker, local_site_id
        self.today, self.until = today, until
        self.start = max(start, today - timedelta(days=CASE_HISTORY_DAYS))
        self.rng = random.Random(seed)
        self.people, self.households = members_of(people)
        self.numbers: dict[date, int] = {}
        self.count = 0

    # -- the history ------------------------------------------------------------------------------
    def run(self) -> int:
        """Write the cases; returns how many."""
        rng = self.rng
        recent = workdays_back(self.today, 6)
        day = self.start
        while day < recent:
            rate = CASES_PER_WORKDAY if _workday(day) else CASES_PER_WORKDAY / 10
            for _slot in range(2):
                if rng.random() < rate / 2 and (planned := pick_case(rng, day, self.people, self.households)):
                    self._story(planned, _at(day, rng), None)
            day += timedelta(days=1)
        self._situations()
        return self.count

    def _situations(self) -> None:
        """The cases the 帮办代办 screens and 工作台 must show: every status, overdue and due soon.

        A case of N working days accepted k working days before today is due within 3 working days of
        today (today included) when 0 ≤ N − k ≤ 2, and is overdue when k > N."""
        today, rng = self.today, self.rng
        back = lambda k: workdays_back(today, k)  # noqa: E731
        self._planted(rng.choice((CaseType.MANUAL_REIMBURSEMENT, CaseType.CHRONIC_DISEASE)), back(rng.randint(1, 2)),
                      [])  # 已受理, not forwarded yet
        # due within 3 working days: forwarded, and returned for material
        self._planted(CaseType.REMOTE_CARE_FILING, back(rng.randint(1, 3)), ["submit"])
        self._planted(rng.choice((CaseType.ENROLLMENT, CaseType.FAMILY_ACCOUNT)), back(rng.randint(3, 5)),
                      ["submit", "return"])
        # overdue by a few working days: the township has not decided, the resident has not brought what is missing
        self._planted(rng.choice((CaseType.ENROLLMENT, CaseType.FAMILY_ACCOUNT)), back(5 + rng.randint(2, 4)),
                      ["submit"])
        self._planted(CaseType.REMOTE_CARE_FILING, back(3 + rng.randint(2, 4)), ["submit", "return"])
        # closed not long ago
        self._planted(CaseType.CHRONIC_DISEASE, back(18 + rng.randrange(5)), ["submit", "approve"])
        self._planted(rng.choice((CaseType.MEDICAL_ASSISTANCE, CaseType.MANUAL_REIMBURSEMENT)),
                      back(14 + rng.randrange(5)), ["submit", "reject"])

    def _planted(self, case_type: CaseType, day: date, steps: list[str]) -> None:
        day = max(day, self.start)
        planned = pick_case(self.rng, day, self.people, self.households, case_type)
        if planned is not None:
            self._story(planned, _at(day, self.rng, 8 * 60 + 30, 11 * 60), steps)

    # -- one case -------------------------------------------------------------------------------
    def _story(self, planned: PlannedCase, accepted_at: datetime, steps: list[str] | None) -> None:
        """Open the case and write its timeline: ``steps`` as given, else as the township would go on
        (forward, then approve, return or reject; a return is answered by the village), up to the build time."""
        rng, village, worker = self.rng, self.village, self.worker
        spec = self.types[planned.case_type]
        day = accepted_at.date()
        due = add_workdays(day, spec.due_workdays)
        collected = list(first_material(rng, spec.materials))
        case_id = self.ids()
        self.numbers[day] = self.numbers.get(day, 0) + 1
        case_no = f"BD{day:%Y%m%d}-{self.numbers[day]:04d}"
        resident = planned.resident
        timeline: list[tuple[datetime, Staff, CaseStatus, str, tuple[str, ...]]] = [
            (accepted_at, village, CaseStatus.ACCEPTED, "", ())]
        at, returns, changed = accepted_at, 0, accepted_at
        todo = list(steps) if steps is not None else ["submit"]
        while todo:
            step = todo.pop(0)
            if step == "submit":
                at = _after_workdays(at, rng.choice((0, 1, 1, 2)), rng) if steps is None else \
                    at + timedelta(minutes=rng.randint(60, 180))
                entry = (at, worker, CaseStatus.SUBMITTED, rng.choice(SUBMIT_NOTES), ())
            elif step == "return":
                at = at + timedelta(minutes=rng.randint(30, 120)) if steps is not None else \
                    _after_workdays(at, rng.randint(1, max(2, spec.due_workdays // 3)), rng)
                note, missing = missing_for_return(rng, spec.materials, collected)
                entry = (at, worker, CaseStatus.RETURNED, note, missing)
                returns += 1
            elif step == "resubmit":
                at = _after_workdays(at, rng.randint(1, 4), rng)
                missing = timeline[-1][4]
                new = [m for m in missing if m not in collected]
                collected = [m for m in spec.materials if m in collected or m in new]
                note = f"已补交：{'、'.join(missing)}"
                entry = (at, village, CaseStatus.SUBMITTED, note, ())
                if new:
                    changed = at
            else:
                at = _after_workdays(at, rng.randint(2, 5) if steps is not None else
                                     rng.randint(1, max(2, spec.due_workdays * 2 // 3)), rng)
                if step == "approve":
                    entry = (at, worker, CaseStatus.APPROVED, rng.choice(APPROVE_NOTES), ())
                else:
                    entry = (at, worker, CaseStatus.REJECTED, rng.choice(REJECT_REASONS[planned.case_type]), ())
            if at > self.until or (steps is None and at.date() >= self.today):
                break
            timeline.append(entry)
            if steps is None:  # the township's answer, and the village's to a return
                if step in ("submit", "resubmit"):
                    answer = outcome(rng)
                    todo.append("approve" if answer == "return" and returns >= 2 else answer)
                elif step == "return":
                    todo.append("resubmit")
        self._write(case_id, case_no, planned, spec.due_workdays, due, collected, accepted_at, changed, timeline,
                    resident.name)

    def _write(self, case_id: str, case_no: str, planned: PlannedCase, due_workdays: int, due: DueDate,
               collected: list[str], accepted_at: datetime, changed: datetime, timeline: list, resident_name: str) -> None:
        village, add = self.village, self.add
        agent = planned.agent
        add["cases"]((case_id, village.site_id, dt_text(accepted_at), dt_text(changed), 1, village.site_id, case_no,
                      planned.case_type.value, planned.resident.id, agent.name if agent else "",
                      agent.id_number if agent else "", planned.agent_relation, village.user_id, village.name[:32],
                      day_text(accepted_at.date()), due_workdays, day_text(due.due_on), int(due.fallback),
                      json.dumps(collected, ensure_ascii=False), ""))
        for step, (at, who, status, note, missing) in enumerate(timeline, 1):
            stamp = dt_text(at)
            event_id = self.ids()
            to_site = village.site_id if who.site_id != village.site_id else None
            add["case_events"]((event_id, who.site_id, stamp, stamp, 1, case_id, step, status.value, note,
                                json.dumps(list(missing), ensure_ascii=False), who.user_id, who.name[:32], stamp,
                                to_site))
            if who.site_id == self.local:
                if step == 1:
                    detail = {"resident": resident_name, "case_no": case_no, "case_type": planned.case_type.value,
                              "due_on": due.due_on.isoformat()}
                    action = "case.open"
                else:
                    detail = {"resident": resident_name, "case_no": case_no, "status": status.value, "note": note,
                              "missing": "、".join(missing)}
                    action = "case.step"
                add["audit_log"]((stamp, who.site_id, who.user_id, who.name, action, "cases", case_id,
                                  json.dumps(detail, ensure_ascii=False)))
        self.count += 1


__all__ = ["CASE_COLUMNS", "CASE_HISTORY_DAYS", "EVENT_COLUMNS", "Staff", "VillageCases", "workdays_back"]
