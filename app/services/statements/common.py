"""What every part of ``StatementService`` shares (``StatementBase``): the villages this site may see, the
statement rows and their month-end marks, the statement number, the copy of figures onto a draft, the
``StatementInfo`` read back, the note check."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import MonthClose, MonthlyStatement, Site, StatementAcknowledgment
from app.db.uow import Database
from app.domain.enums import SiteKind
from app.domain.errors import NotFoundError, RuleViolation, ValidationError
from app.services.core.context import Session
from app.services.statements.types import StatementFigures, StatementInfo

MAX_NOTE = 200


def _note(value: str, field: str = "备注") -> str:
    value = (value or "").strip()
    if len(value) > MAX_NOTE:
        raise ValidationError(f"{field}最多 {MAX_NOTE} 个字，现在有 {len(value)} 个字", field)
    return value


class StatementBase:
    """The helpers of ``StatementService``'s parts (their mixins derive from it)."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    def _villages(self, s: OrmSession) -> list[Site]:
        local = self.db.local_site_id
        if self.db.local_site_kind == SiteKind.VILLAGE.value:
            site = s.get(Site, local)
            return [site] if site else []
        return list(s.scalars(select(Site).where(Site.kind == SiteKind.VILLAGE.value,
                                                 (Site.township_id == local) | Site.township_id.is_(None))
                              .order_by(Site.name)))

    def _village(self, s: OrmSession, site_id: str) -> Site:
        site = s.get(Site, site_id or "")
        local = self.db.local_site_id
        if site is None or site.kind != SiteKind.VILLAGE.value:
            raise NotFoundError(f"村卫生室“{site_id}”不存在（或还没有同步到本站）", "村卫生室")
        if self.db.local_site_kind == SiteKind.VILLAGE.value and site.id != local:
            raise NotFoundError("村卫生室只能查看本村卫生室的统一结算单", "村卫生室")
        if self.db.local_site_kind == SiteKind.TOWNSHIP.value and site.township_id not in (None, local):
            raise NotFoundError(f"{site.name}不是本乡镇卫生院的村卫生室", "村卫生室")
        return site

    @staticmethod
    def _statement_of(s: OrmSession, site_id: str, month: str) -> MonthlyStatement | None:
        return s.scalar(select(MonthlyStatement).where(MonthlyStatement.site_id == site_id,
                                                       MonthlyStatement.month == month))

    @staticmethod
    def _statement(s: OrmSession, statement_id: str) -> MonthlyStatement:
        row = s.get(MonthlyStatement, statement_id or "")
        if row is None:
            raise NotFoundError("统一结算单不存在（可能还没有同步到本站）", "结算单")
        return row

    @staticmethod
    def _mark(s: OrmSession, site_id: str, month: str) -> int | None:
        return s.scalar(select(MonthClose.last_local_seq).where(MonthClose.site_id == site_id,
                                                                MonthClose.month == month))

    @staticmethod
    def _status(s: OrmSession, row: MonthlyStatement) -> str:
        if row.status == "final" and s.scalar(select(StatementAcknowledgment.id).where(
                StatementAcknowledgment.statement_id == row.id)):
            return "acknowledged"
        return row.status

    @staticmethod
    def _fill(s: OrmSession, row: MonthlyStatement, f: StatementFigures) -> None:
        if row.status != "draft":  # a final statement never changes
            raise RuleViolation("统一结算单已定稿，不能修改", "结算单")
        for key in ("supplied_fen", "returned_fen", "carried_in_fen", "due_fen", "fund_receivable_fen", "subsidy_fen",
                    "from_fund_fen", "from_subsidy_fen", "carried_out_fen", "savings_fen", "covers_local_seq"):
            if getattr(row, key) != getattr(f, key):
                setattr(row, key, getattr(f, key))

    @staticmethod
    def _next_no(s: OrmSession, owner: str, month: str) -> str:
        prefix = f"JS{month.replace('-', '')}-"
        last = s.scalar(select(func.max(MonthlyStatement.statement_no)).where(
            MonthlyStatement.owner_site_id == owner, MonthlyStatement.statement_no.like(prefix + "%")))
        return f"{prefix}{int(last[len(prefix):]) + 1 if last else 1:03d}"

    def _info(self, s: OrmSession, row: MonthlyStatement) -> StatementInfo:
        return self._infos(s, [row])[0]

    @staticmethod
    def _infos(s: OrmSession, rows: Iterable[MonthlyStatement]) -> list[StatementInfo]:
        rows = list(rows)
        if not rows:
            return []
        ids = [r.id for r in rows]
        acks = {a.statement_id: a for a in s.scalars(select(StatementAcknowledgment).where(
            StatementAcknowledgment.statement_id.in_(ids)))}
        names = dict(s.execute(select(Site.id, Site.name).where(Site.id.in_({r.site_id for r in rows}))).all())
        out = []
        for r in rows:
            ack = acks.get(r.id)
            status = "acknowledged" if ack is not None and r.status == "final" else r.status
            out.append(StatementInfo(
                r.id, r.site_id, names.get(r.site_id, ""), r.month, r.statement_no, r.supplied_fen, r.returned_fen,
                r.due_fen, r.carried_in_fen, r.fund_receivable_fen, r.subsidy_fen, r.from_fund_fen,
                r.from_subsidy_fen, r.carried_out_fen, r.savings_fen, status, r.covers_local_seq, r.drafted_at,
                r.finalised_at, ack.acknowledged_at if ack else None, r.user_name, ack.user_name if ack else "",
                ack.note if ack else ""))
        return out



def _desc(month: str) -> str:
    """Sort key putting later months first."""
    return "".join(chr(ord("9") - ord(c) + ord("0")) if c.isdigit() else c for c in month)
