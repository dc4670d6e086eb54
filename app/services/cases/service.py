"""Cases 帮办代办事项 (DESIGN §4, §6): opened at a village for a resident, followed along an append-only
timeline of ``CaseEvent`` rows, reviewed by the township's case worker.

- The village opens a case (``open``): the resident must exist here, an agent's ID number is checked like
  a resident's, 家庭共济 only for close relatives; the due day is the case type's number of working days
  after the day accepted (``app.domain.workdays``). The case row is the village's; nobody else changes it.
- Each step of the timeline is a ``CaseEvent`` owned by the site that acted: the township's case worker
  forwards (已报送), returns for material naming what is missing (退回补件), approves (已办结) or rejects
  with a reason (不予办理); the village resubmits after a return (已报送 again). An event of the township
  is addressed to the case's village (``to_site_id``), so the village pulls it. A step the timeline does
  not allow is refused (``app.domain.cases.check_step``) and nothing is written.
- Lists with filters, the 工作台's overdue and due-soon cases, monthly counts per type and village, and
  the rows of ``cunyi report cases``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import Case, CaseEvent, Resident, Site, User
from app.db.uow import Database, now
from app.domain import clock
from app.domain.cases import NEXT, CaseTypes, case_type_of, check_family_relation, check_step, load_case_types
from app.domain.enums import CaseStatus, CaseType, SiteKind
from app.domain.errors import ForeignRecordError, NotFoundError, RuleViolation, ValidationError
from app.domain.idcard import parse_id_number
from app.domain.workdays import add_workdays
from app.paths import resource
from app.services.cases.attachments import AttachmentsMixin
from app.services.core.audit import write_audit
from app.services.core.context import Session, requires
from app.services.cases.types import (
    Attention,
    CaseEventInfo,
    CaseFilter,
    CaseForm,
    CaseInfo,
    CaseOpened,
    MonthlyCount,
)

#: the case types shipped with the program (checklists and due times, example values)
CASE_TYPES_FILE = resource("cases", "case_types.toml")
#: the 工作台 lists cases due within this many working days
DUE_SOON_WORKDAYS = 3
MAX_NOTE = 500
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DIGITS = re.compile(r"^[0-9Xx]+$")


@cache
def _types(path: str) -> CaseTypes:
    return load_case_types(path)


def _texts(items: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.strip() for t in (items or ()) if t and t.strip()))


def _json_list(text: str | None) -> tuple[str, ...]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _note(text: str, field: str = "备注") -> str:
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(f"{field}最多 {MAX_NOTE} 个字，现在有 {len(text)} 个字", field)
    return text


def _case(s: OrmSession, case_id: str) -> Case:
    row = s.get(Case, case_id or "")
    if row is None:
        raise NotFoundError("帮办代办事项不存在（可能还没有同步到本站）", "事项")
    return row


class CaseService(AttachmentsMixin):
    """帮办代办 of this site: a village's own cases, or at the township every case of its villages."""

    def __init__(self, db: Database, session: Session, case_types_file: Path | str | None = None) -> None:
        self.db = db
        self.session = session
        self._file = str(case_types_file or CASE_TYPES_FILE)

    # -- the case types -----------------------------------------------------------------------------
    @requires("cases.read")
    def case_types(self) -> CaseTypes:
        """Every case type with its checklist (一次性告知) and due time in working days."""
        return _types(self._file)

    # -- opening (the village) ----------------------------------------------------------------------
    @requires("cases.open")
    def open(self, form: CaseForm) -> CaseOpened:
        """Open a case at this village (已受理). Raises ValidationError, NotFoundError or RuleViolation
        naming the field; nothing is written then."""
        spec = _types(self._file)[case_type_of(str(form.case_type))]
        today = clock.today()
        accepted_on = form.accepted_on or today
        if accepted_on > today:
            raise ValidationError(f"受理日期 {accepted_on.isoformat()} 晚于今天，请核对", "受理日期")
        agent = self._agent(form, spec.case_type)
        collected = _texts(form.collected)
        unknown = [c for c in collected if c not in spec.materials]
        if unknown:
            raise ValidationError(f"“{unknown[0]}”不在{spec.label}的材料清单中（清单：{'、'.join(spec.materials)}）",
                                  "已收材料")
        note = _note(form.note)
        due = add_workdays(accepted_on, spec.due_workdays)
        actor = self.session.actor
        with self.db.unit_of_work() as uow:
            s, site_id = uow.session, uow.local_site_id
            resident = s.get(Resident, form.resident_id or "")
            if resident is None:
                raise NotFoundError("居民不存在，请先在居民档案中登记", "居民")
            if agent[1] and agent[1] == resident.id_number:
                raise ValidationError("代办人就是居民本人，本人办理时请不填代办人", "代办人身份证号")
            user_id, user_name = self._responsible(s, site_id, form.responsible_user_id)
            row = Case(site_id=site_id, case_no=self._next_no(s, site_id, accepted_on), case_type=spec.case_type.value,
                       resident_id=resident.id, agent_name=agent[0], agent_id_number=agent[1], agent_relation=agent[2],
                       responsible_user_id=user_id, responsible_name=user_name, accepted_on=accepted_on,
                       due_workdays=spec.due_workdays, due_on=due.due_on, due_fallback=due.fallback,
                       collected=json.dumps(list(collected), ensure_ascii=False), note=note)
            s.add(row)
            s.flush()
            self._add_event(s, row, site_id, 1, CaseStatus.ACCEPTED, note, ())
            write_audit(s, actor, site_id, "case.open", "cases", row.id, resident=resident.name,
                        case_no=row.case_no, case_type=spec.case_type.value, due_on=due.due_on.isoformat())
            return CaseOpened(row.id, row.case_no, due.due_on, due.warning)

    def _agent(self, form: CaseForm, case_type: CaseType) -> tuple[str, str, str]:
        name, number, relation = (form.agent_name or "").strip(), (form.agent_id_number or "").strip(), (
            form.agent_relation or "").strip()
        if case_type is CaseType.FAMILY_ACCOUNT:
            if not (name or number):
                raise ValidationError("家庭共济请填写出资的职工医保参保人（姓名、身份证号、与居民关系）", "代办人")
            check_family_relation(relation)
        if not (name or number or relation):
            return "", "", ""
        if not name or len(name) > 32:
            raise ValidationError("请填写代办人姓名（最多 32 个字）", "代办人姓名")
        if not number:
            raise ValidationError("请填写代办人身份证号", "代办人身份证号")
        card = parse_id_number(number, "代办人身份证号", clock.today())
        if not relation or len(relation) > 16:
            raise ValidationError("请填写代办人与居民的关系（最多 16 个字）", "与居民关系")
        return name, card.number, relation

    def _responsible(self, s: OrmSession, site_id: str, user_id: str | None) -> tuple[str | None, str]:
        if user_id:
            user = s.get(User, user_id)
            if user is None or user.site_id != site_id or not user.active:
                raise NotFoundError("负责人不是本站在用的用户，请重新选择", "负责人")
            return user.id, user.display_name
        actor = self.session.actor
        return actor.user_id, actor.name

    @staticmethod
    def _next_no(s: OrmSession, site_id: str, day: date) -> str:
        prefix = f"BD{day:%Y%m%d}-"
        last = s.scalar(select(func.max(Case.case_no)).where(Case.owner_site_id == site_id,
                                                            Case.case_no.like(prefix + "%")))
        return f"{prefix}{int(last[len(prefix):]) + 1 if last else 1:04d}"

    # -- the timeline -------------------------------------------------------------------------------
    @requires("cases.submit")
    def submit(self, case_id: str, note: str = "") -> CaseInfo:
        """The township forwards an accepted case (已报送)."""
        return self._step(case_id, CaseStatus.SUBMITTED, _note(note), (), from_status=CaseStatus.ACCEPTED)

    @requires("cases.return_for_material")
    def return_for_material(self, case_id: str, missing: Sequence[str], note: str = "") -> CaseInfo:
        """The township returns a submitted case for material (退回补件), naming what is missing."""
        items = _texts(missing)
        if not items:
            raise ValidationError("退回补件时请写明缺少哪些材料", "缺少材料")
        if any(len(m) > 60 for m in items):
            raise ValidationError("每项缺少的材料最多 60 个字", "缺少材料")
        return self._step(case_id, CaseStatus.RETURNED, _note(note), items)

    @requires("cases.approve")
    def approve(self, case_id: str, note: str = "") -> CaseInfo:
        """The township records the case done (已办结)."""
        return self._step(case_id, CaseStatus.APPROVED, _note(note), ())

    @requires("cases.reject")
    def reject(self, case_id: str, reason: str) -> CaseInfo:
        """The township records that the case will not be handled (不予办理), with the reason."""
        reason = _note(reason, "不予办理原因")
        if not reason:
            raise ValidationError("不予办理时请写明原因", "不予办理原因")
        return self._step(case_id, CaseStatus.REJECTED, reason, ())

    @requires("cases.resubmit")
    def resubmit(self, case_id: str, collected: Sequence[str] | None = None, note: str = "") -> CaseInfo:
        """The village sends a returned case again (已报送) once the material is in; ``collected`` (when
        given) is the checklist items received by now."""
        return self._step(case_id, CaseStatus.SUBMITTED, _note(note), (), collected=collected,
                          from_status=CaseStatus.RETURNED)

    def _step(self, case_id: str, new: CaseStatus, note: str, missing: tuple[str, ...], *,
              collected: Sequence[str] | None = None, from_status: CaseStatus | None = None) -> CaseInfo:
        actor = self.session.actor
        with self.db.unit_of_work() as uow:
            s, site_id = uow.session, uow.local_site_id
            row = _case(s, case_id)
            last = s.execute(select(CaseEvent.step, CaseEvent.status).where(CaseEvent.case_id == row.id)
                             .order_by(CaseEvent.step.desc()).limit(1)).first()
            current = CaseStatus(last.status) if last else None
            if from_status is not None and current is not None and current is not from_status \
                    and new in NEXT[current]:
                # the same step from another status is the other side's: the township forwards a case just
                # accepted, the village sends a returned one again
                who = "乡镇医保专干" if current is CaseStatus.ACCEPTED else "村卫生室"
                raise RuleViolation(f"这件事项现在是“{current.label}”，这一步由{who}办理", "办理状态")
            check_step(current, new)
            if collected is not None:
                self._set_collected(row, site_id, collected)
            self._add_event(s, row, site_id, (last.step if last else 0) + 1, new, note, missing)
            resident = s.get(Resident, row.resident_id)
            write_audit(s, actor, site_id, "case.step", "cases", row.id, resident=resident.name if resident else "",
                        case_no=row.case_no, status=new.value, note=note, missing="、".join(missing))
            s.flush()
            return self._infos(s, [row], with_events=True)[0]

    @requires("cases.collect")
    def set_collected(self, case_id: str, collected: Sequence[str]) -> CaseInfo:
        """The checklist items this village's case has received by now (ticked on the 一次性告知单)."""
        actor = self.session.actor
        with self.db.unit_of_work() as uow:
            s, site_id = uow.session, uow.local_site_id
            row = _case(s, case_id)
            before = row.collected
            self._set_collected(row, site_id, collected)
            if row.collected != before:
                write_audit(s, actor, site_id, "case.collect", "cases", row.id, case_no=row.case_no,
                            collected="、".join(_json_list(row.collected)))
            s.flush()
            return self._infos(s, [row], with_events=True)[0]

    def _set_collected(self, row: Case, site_id: str, collected: Sequence[str]) -> None:
        if row.owner_site_id != site_id:
            raise ForeignRecordError("这件事项属于其他机构，本站不能修改它的已收材料", "已收材料")
        spec = _types(self._file)[CaseType(row.case_type)]
        items = _texts(collected)
        unknown = [c for c in items if c not in spec.materials]
        if unknown:
            raise ValidationError(f"“{unknown[0]}”不在{spec.label}的材料清单中", "已收材料")
        text = json.dumps([m for m in spec.materials if m in items], ensure_ascii=False)  # in checklist order
        if text != row.collected:
            row.collected = text

    def _add_event(self, s: OrmSession, case: Case, site_id: str, step: int, status: CaseStatus, note: str,
                   missing: tuple[str, ...]) -> CaseEvent:
        actor = self.session.actor
        event = CaseEvent(case_id=case.id, step=step, status=status.value, note=note,
                          missing=json.dumps(list(missing), ensure_ascii=False), user_id=actor.user_id,
                          user_name=actor.name[:32], occurred_at=now(),
                          to_site_id=case.owner_site_id if case.owner_site_id != site_id else None)
        s.add(event)
        s.flush()
        return event

    # -- reads --------------------------------------------------------------------------------------
    @requires("cases.read")
    def get(self, case_id: str) -> CaseInfo:
        """One case with its whole timeline."""
        with self.db.read() as s:
            row = _case(s, case_id)
            return self._infos(s, [row], with_events=True)[0]

    @requires("cases.read")
    def list(self, where: CaseFilter | None = None) -> list[CaseInfo]:
        """The cases that match ``where``, the most recently accepted first."""
        where = where or CaseFilter()
        with self.db.read() as s:
            return self._query(s, where)

    @requires("cases.read")
    def attention(self, within_workdays: int = DUE_SOON_WORKDAYS) -> Attention:
        """Open cases past their due day, and open cases due within ``within_workdays`` working days
        (today included), each list the soonest due first."""
        today = clock.today()
        until = add_workdays(today, within_workdays).due_on
        with self.db.read() as s:
            overdue = self._query(s, CaseFilter(overdue=True, limit=10_000))
            soon = [c for c in self._query(s, CaseFilter(overdue=False, limit=10_000))
                    if not c.status.closed and today <= c.due_on <= until]
        key = lambda c: (c.due_on, c.case_no)  # noqa: E731
        return Attention(tuple(sorted(overdue, key=key)), tuple(sorted(soon, key=key)))

    @requires("cases.read")
    def monthly_counts(self, start: date, end: date) -> list[MonthlyCount]:
        """Cases accepted from ``start`` to ``end`` (both included), counted per month, village and type."""
        if end < start:
            raise ValidationError("结束日期早于开始日期", "日期")
        with self.db.read() as s:
            month = func.strftime("%Y-%m", Case.accepted_on)  # a site's database is SQLite
            rows = s.execute(
                select(month.label("month"), Case.site_id, Site.name, Case.case_type, func.count())
                .join(Site, Site.id == Case.site_id)
                .where(self._mine(), Case.accepted_on >= start, Case.accepted_on <= end)
                .group_by("month", Case.site_id, Site.name, Case.case_type)
                .order_by("month", Site.name, Case.case_type)).all()
        return [MonthlyCount(r[0], r[1], r[2], CaseType(r[3]), int(r[4])) for r in rows]

    @requires("cases.read")
    def report_rows(self, month: str | None = None, site_id: str | None = None) -> list[dict[str, object]]:
        """``cunyi report cases`` (DESIGN §9): one row per case, of the month accepted when given:
        ``case_id, case_no, site_id, resident_id, type, opened_on, due_on, status, closed_on``."""
        start = end = None
        if month:
            if not _MONTH.match(month):
                raise ValidationError(f"月份“{month}”应为 YYYY-MM", "月份")
            start = date(int(month[:4]), int(month[5:]), 1)
            end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        with self.db.read() as s:
            cases = self._query(s, CaseFilter(site_id=site_id, opened_from=start, limit=0), before=end)
        return [{"case_id": c.id, "case_no": c.case_no, "site_id": c.site_id, "resident_id": c.resident_id,
                 "type": c.case_type.value, "opened_on": c.accepted_on.isoformat(), "due_on": c.due_on.isoformat(),
                 "status": c.status.value, "closed_on": c.closed_on.isoformat() if c.closed_on else None}
                for c in sorted(cases, key=lambda c: (c.accepted_on, c.site_id, c.case_no))]

    # -- queries ------------------------------------------------------------------------------------
    def _mine(self) -> ColumnElement[bool]:
        """The cases this site deals with: a village its own, a township those of its villages."""
        local = self.db.local_site_id or ""
        if self.db.local_site_kind == SiteKind.TOWNSHIP.value:
            return Case.site_id.in_(select(Site.id).where(Site.township_id == local))
        return Case.site_id == local

    def _query(self, s: OrmSession, where: CaseFilter, before: date | None = None) -> list[CaseInfo]:
        latest = (select(CaseEvent.case_id.label("case_id"), func.max(CaseEvent.step).label("step"))
                  .group_by(CaseEvent.case_id).subquery())
        status = (select(CaseEvent.case_id, CaseEvent.status, CaseEvent.occurred_at)
                  .join(latest, and_(CaseEvent.case_id == latest.c.case_id, CaseEvent.step == latest.c.step))
                  .subquery())
        stmt = select(Case).join(status, status.c.case_id == Case.id).where(self._mine())
        today = clock.today()
        closed = (CaseStatus.APPROVED.value, CaseStatus.REJECTED.value)
        if where.case_type:
            stmt = stmt.where(Case.case_type == case_type_of(str(where.case_type)).value)
        if where.status:
            stmt = stmt.where(status.c.status == _status_of(where.status).value)
        if where.overdue is True:
            stmt = stmt.where(Case.due_on < today, status.c.status.not_in(closed))
        elif where.overdue is False:
            stmt = stmt.where(or_(Case.due_on >= today, status.c.status.in_(closed)))
        if where.responsible_user_id:
            stmt = stmt.where(Case.responsible_user_id == where.responsible_user_id)
        if where.site_id:
            stmt = stmt.where(Case.site_id == where.site_id)
        if where.opened_from:
            stmt = stmt.where(Case.accepted_on >= where.opened_from)
        if where.opened_to:
            stmt = stmt.where(Case.accepted_on <= where.opened_to)
        if before:
            stmt = stmt.where(Case.accepted_on < before)
        text = (where.resident or "").strip()
        if text:
            residents = select(Resident.id)
            if _DIGITS.match(text):
                residents = residents.where(Resident.id_number.like(f"%{text.upper()}%"))
            else:
                residents = residents.where(or_(Resident.name.like(f"%{text}%"),
                                                Resident.pinyin_abbr.like(f"{text.lower()}%")))
            stmt = stmt.where(Case.resident_id.in_(residents))
        stmt = stmt.order_by(Case.accepted_on.desc(), Case.case_no.desc())
        if where.limit:
            stmt = stmt.limit(where.limit)
        rows = list(dict.fromkeys(s.scalars(stmt)))
        return self._infos(s, rows)

    def _infos(self, s: OrmSession, rows: list[Case], with_events: bool = False) -> list[CaseInfo]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        events: dict[str, list[CaseEvent]] = {i: [] for i in ids}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            stmt = select(CaseEvent).where(CaseEvent.case_id.in_(part)).order_by(CaseEvent.case_id, CaseEvent.step,
                                                                                 CaseEvent.occurred_at)
            for e in s.scalars(stmt):
                events[e.case_id].append(e)
        residents = {r.id: r for r in s.scalars(select(Resident).where(Resident.id.in_({r.resident_id for r in rows})))}
        sites = dict(s.execute(select(Site.id, Site.name).where(Site.id.in_({r.site_id for r in rows}))).all())
        types = _types(self._file)
        today, local = clock.today(), self.db.local_site_id
        out = []
        for r in rows:
            timeline = events[r.id]
            last = timeline[-1] if timeline else None
            status = CaseStatus(last.status) if last else CaseStatus.ACCEPTED
            at = last.occurred_at if last else datetime.combine(r.accepted_on, datetime.min.time())
            resident = residents.get(r.resident_id)
            kind = CaseType(r.case_type)
            out.append(CaseInfo(
                r.id, r.case_no, kind, r.site_id, sites.get(r.site_id, ""), r.resident_id,
                resident.name if resident else "", resident.id_number if resident else "", r.agent_name,
                r.agent_id_number, r.agent_relation, r.responsible_user_id, r.responsible_name, r.accepted_on,
                r.due_workdays, r.due_on, r.due_fallback, status, at, at.date() if status.closed else None,
                not status.closed and r.due_on < today, _json_list(r.collected), types[kind].materials, r.note,
                r.owner_site_id == local,
                tuple(CaseEventInfo(e.id, e.step, CaseStatus(e.status), e.note, _json_list(e.missing), e.user_name,
                                    e.occurred_at, e.owner_site_id) for e in timeline) if with_events else ()))
        return out


def _status_of(value: CaseStatus | str) -> CaseStatus:
    text = str(value).strip()
    for status in CaseStatus:
        if text.lower() == status.value or text == status.label:
            return status
    raise ValidationError(f"办理状态“{text}”不存在，可选：{'、'.join(s.label for s in CaseStatus)}", "办理状态")
