"""What a village's monthly statement waits for and takes from outside its rows: the village's month-end
marks (``close_months``; see ``service``'s docstring) and the township's 基药补助 (``set_subsidy``,
``subsidies``): ``MonthEndMixin``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session as OrmSession

from app.db.models import EssentialDrugSubsidy, MonthClose, MonthlyStatement
from app.db.uow import now
from app.domain import clock
from app.domain.errors import ForeignRecordError, RuleViolation, ValidationError
from app.domain.money import fen_to_yuan
from app.domain.statements import (
    month_label,
    month_of,
    next_month,
    parse_month,
    previous_month,
)
from app.services.core.audit import write_audit
from app.services.core.context import requires
from app.services.statements.common import _note
from app.services.statements.figures import FiguresMixin
from app.services.statements.types import SubsidyInfo

#: the largest subsidy one village gets in a month, in fen (a typo guard: 10 million yuan)
MAX_SUBSIDY_FEN = 10**9


class MonthEndMixin(FiguresMixin):
    """A village's month-end marks; the township's 基药补助 (a draft of its month is recomputed with it)."""

    # -- the village's month-end marks ----------------------------------------------------------------
    @requires("statements.close_month")
    def close_months(self, *, today: date | None = None) -> list[str]:
        """Write this village's month-end mark for each month that has ended since its last mark (the first
        time: only the month before ``today``). Each mark holds the last outbox sequence written before it:
        everything the village did in that month is at or below it. Returns the months marked."""
        current = month_of(today or clock.today())
        with self.db.read() as s:  # every sync asks: nothing is written (no write lock taken) on most days
            if not self._months_to_close(s, self.db.local_site_id, current):
                return []
        with self.db.unit_of_work() as uow:
            s, site_id = uow.session, uow.local_site_id
            months = self._months_to_close(s, site_id, current)
            if not months:
                return []
            seq = self._last_local_seq(s)
            stamp = now()
            for m in months:
                s.add(MonthClose(site_id=site_id, month=m, last_local_seq=seq, closed_at=stamp))
            s.flush()
            write_audit(s, self.session.actor, site_id, "statement.close_month", "month_closes", None,
                        months="、".join(months), last_local_seq=seq)
            return months

    @staticmethod
    def _months_to_close(s: OrmSession, site_id: str | None, current: str) -> list[str]:
        last = s.scalar(select(func.max(MonthClose.month)).where(MonthClose.site_id == site_id))
        month = next_month(last) if last else previous_month(current)
        months = []
        while month < current:
            months.append(month)
            month = next_month(month)
        return months

    @staticmethod
    def _last_local_seq(s: OrmSession) -> int:
        """The last outbox sequence used here (rows already pushed may have left the outbox)."""
        in_outbox = s.scalar(text("SELECT coalesce(max(local_seq), 0) FROM outbox")) or 0
        pushed = s.scalar(text("SELECT coalesce(max(pushed_seq), 0) FROM local_site")) or 0
        used = s.scalar(text("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'outbox'")) or 0
        return int(max(in_outbox, pushed, used))

    # -- 基药补助 --------------------------------------------------------------------------------------
    @requires("statements.set_subsidy")
    def set_subsidy(self, site_id: str, month: str, amount_fen: int, note: str = "") -> str:
        """Enter (or change) the basic-drug subsidy of a village for a month; refused once that month's
        statement is final. A draft statement of the month is recomputed with it. Returns the row's id."""
        month = parse_month(month)
        if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
            raise ValidationError("基药补助金额应为整数（分）", "基药补助")
        if amount_fen < 0:
            raise ValidationError("基药补助金额不能为负数", "基药补助")
        if amount_fen > MAX_SUBSIDY_FEN:
            raise ValidationError(f"基药补助金额 {fen_to_yuan(amount_fen)} 元太大，请检查是否输错", "基药补助")
        note = _note(note)
        with self.db.unit_of_work() as uow:
            s, local = uow.session, uow.local_site_id
            village = self._village(s, site_id)
            statement = self._statement_of(s, village.id, month)
            if statement is not None and statement.status != "draft":
                raise RuleViolation(f"{village.name}{month_label(month)}的统一结算单已定稿，基药补助不能再修改", "基药补助")
            row = s.scalar(select(EssentialDrugSubsidy).where(EssentialDrugSubsidy.site_id == village.id,
                                                              EssentialDrugSubsidy.month == month))
            old = None
            if row is None:
                row = EssentialDrugSubsidy(site_id=village.id, month=month, amount_fen=amount_fen, note=note,
                                           to_site_id=village.id)
                s.add(row)
            else:
                if row.owner_site_id != local:
                    raise ForeignRecordError("这条基药补助由其他机构录入，本机不能修改", "基药补助")
                old = row.amount_fen
                row.amount_fen, row.note = amount_fen, note
            s.flush()
            if statement is not None:
                self._fill(s, statement, self._compute(s, village.id, month))
            write_audit(s, self.session.actor, local, "statement.set_subsidy", "essential_drug_subsidies", row.id,
                        village=village.name, month=month, amount_fen=amount_fen,
                        **({"old_amount_fen": old} if old is not None else {}), note=note)
            return row.id

    @requires("statements.read")
    def subsidies(self, month: str) -> list[SubsidyInfo]:
        """Every village (of this township; at a village: itself) with its subsidy for ``month``."""
        month = parse_month(month)
        with self.db.read() as s:
            villages = self._villages(s)
            found = {r.site_id: r for r in s.scalars(select(EssentialDrugSubsidy).where(
                EssentialDrugSubsidy.month == month, EssentialDrugSubsidy.site_id.in_([v.id for v in villages])))}
            locked = {sid for sid, status in s.execute(select(MonthlyStatement.site_id, MonthlyStatement.status).where(
                MonthlyStatement.month == month)) if status != "draft"}
            out = []
            for v in villages:
                row = found.get(v.id)
                out.append(SubsidyInfo(v.id, v.name, month, row.amount_fen if row else None, row.note if row else "",
                                       row.id if row else None, v.id in locked))
            return out
