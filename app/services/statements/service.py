"""Monthly unified statements 统一结算单 (DESIGN §1, §4, §9).

The township supplies its villages' drugs and settles centrally (代扣代结): each month, per village,

- ``supplied_fen``: Σ over the shipment lines the village received that month (its ``transfer_receipts``
  with ``received_at`` in the month) of ``round_half_up(qty_received × pack_price_fen / units_per_pack)``,
  the procurement price of the shipment line (the ``transfers`` report's ``amount_fen``);
- ``returned_fen``: Σ ``amount_fen`` of the township's receipts of that village's returns that month;
- ``due_fen = supplied − returned + carried_in`` (``carried_in``: the previous month's ``carried_out``);
- ``fund_receivable_fen``: fund + general-fee fund of the village's settlements that month, net of
  reversals on the day reversed (Σ over the ``settlements`` report, ``fund_receivable_fen``);
- ``subsidy_fen``: the 基药补助 the township entered for the village and month;
- the deduction (``app.domain.statements.deduct``): the fund first, then the subsidy, the rest carried.

A village marks each ended month (``close_months``, on its first sync after the month): a ``MonthClose``
with the last outbox sequence of its operations then. Its rows reach the hub in sequence order, so once the
township holds the mark it holds everything the village did that month: only then may the statement be
finalised (``covers_local_seq``). A draft is recomputed on each ``draft``; a final statement never changes;
the village acknowledges a final statement with a row of its own.

Parts, each a mixin of ``StatementService`` in a module of its own: ``month_end`` (the month-end marks and the
基药补助), ``figures`` (the figures and the savings), ``common`` (what they share); drafting, finalising,
acknowledging, the lists and printing are here.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from app.db.models import MonthlyStatement, Site, StatementAcknowledgment
from app.db.uow import now
from app.domain import clock
from app.domain.enums import SiteKind
from app.domain.errors import ForeignRecordError, NotFoundError, RuleViolation
from app.domain.statements import month_label, month_of, parse_month, previous_month
from app.services.core.audit import write_audit
from app.services.core.context import requires
from app.services.statements.common import _desc, _note
from app.services.statements.month_end import MonthEndMixin
from app.services.statements.types import DataNotArrived, OutOfOrder, StatementInfo


class StatementService(MonthEndMixin):
    """Month-end marks, the basic-drug subsidy, statements, their finalising and acknowledgment."""

    # -- drafting, finalising, acknowledging -----------------------------------------------------------
    @requires("statements.draft")
    def draft(self, site_id: str, month: str, *, at: datetime | None = None) -> StatementInfo:
        """Compute the village's statement for an ended month and save it as a draft (again: recomputed).
        Refused for a month not yet ended and for a statement already final."""
        month = parse_month(month)
        if month >= month_of(clock.today()):
            raise RuleViolation(f"{month_label(month)}还没有结束，月末之后才能生成该月的统一结算单", "月份")
        with self.db.unit_of_work() as uow:
            s, local = uow.session, uow.local_site_id
            village = self._village(s, site_id)
            row = self._statement_of(s, village.id, month)
            if row is not None and row.status != "draft":
                raise RuleViolation(f"{village.name}{month_label(month)}的统一结算单已定稿（{row.statement_no}），"
                                    "不能重新生成", "结算单")
            later = s.scalar(select(func.min(MonthlyStatement.month)).where(
                MonthlyStatement.site_id == village.id, MonthlyStatement.month > month,
                MonthlyStatement.status != "draft"))
            if row is None and later is not None:
                raise RuleViolation(f"{village.name}{month_label(later)}的统一结算单已定稿，不能再补开更早月份"
                                    f"（{month_label(month)}）的结算单：结转金额已按当时的结算单计入", "月份")
            figures = self._compute(s, village.id, month)
            actor = self.session.actor
            if row is None:
                row = MonthlyStatement(site_id=village.id, month=month, statement_no=self._next_no(s, local, month),
                                       status="draft", to_site_id=village.id, drafted_at=at or now())
                s.add(row)
            row.drafted_at = at or now()
            row.user_id, row.user_name = actor.user_id, actor.name
            self._fill(s, row, figures)
            s.flush()
            write_audit(s, actor, local, "statement.draft", "statements", row.id, village=village.name, month=month,
                        statement_no=row.statement_no, due_fen=row.due_fen, carried_out_fen=row.carried_out_fen)
            return self._info(s, row)

    @requires("statements.finalise")
    def finalise(self, statement_id: str, *, at: datetime | None = None) -> StatementInfo:
        """Recompute a draft one last time and make it final (never changed again). Refused before the
        village's month-end mark of that month has arrived here (its data may not all be here yet), while an
        earlier month's statement of the village is not final, and for a statement already final."""
        with self.db.unit_of_work() as uow:
            s, local = uow.session, uow.local_site_id
            row = self._statement(s, statement_id)
            if row.owner_site_id != local:
                raise ForeignRecordError("这张统一结算单由其他机构开具，本机不能定稿", "结算单")
            village = s.get(Site, row.site_id)
            name, label = (village.name if village else row.site_id), month_label(row.month)
            if row.status != "draft":
                raise RuleViolation(f"{name}{label}的统一结算单已经定稿，不能再次定稿", "结算单")
            earlier = s.scalars(select(MonthlyStatement).where(
                MonthlyStatement.site_id == row.site_id, MonthlyStatement.month < row.month)
                .order_by(MonthlyStatement.month)).all()
            waiting = [e.month for e in earlier if e.status == "draft"]
            if waiting:
                raise OutOfOrder(f"{name}{month_label(waiting[0])}的统一结算单还没有定稿：请按月份顺序定稿"
                                    f"（上月结转金额要从上月的定稿结算单来）", "结算单")
            previous = previous_month(row.month)
            if earlier and earlier[-1].month != previous:
                raise OutOfOrder(f"{name}{month_label(previous)}还没有统一结算单：请先生成并定稿"
                                    f"{month_label(previous)}的结算单，上月结转金额才有依据", "结算单")
            mark = self._mark(s, row.site_id, row.month)
            if mark is None:
                raise DataNotArrived(f"{name}{label}的月结数据还没有同步到本站，暂不能定稿：请等{name}同步后再定稿"
                                    "（该村卫生室月末后第一次同步时会上传月结标记）", "同步")
            self._fill(s, row, self._compute(s, row.site_id, row.month))
            row.covers_local_seq = mark
            row.status = "final"
            row.finalised_at = at or now()
            actor = self.session.actor
            row.user_id, row.user_name = actor.user_id, actor.name
            s.flush()
            write_audit(s, actor, local, "statement.finalise", "statements", row.id, village=name, month=row.month,
                        statement_no=row.statement_no, due_fen=row.due_fen, from_fund_fen=row.from_fund_fen,
                        from_subsidy_fen=row.from_subsidy_fen, carried_out_fen=row.carried_out_fen)
            return self._info(s, row)

    @requires("statements.acknowledge")
    def acknowledge(self, statement_id: str, note: str = "", *, at: datetime | None = None) -> str:
        """The village confirms a final statement of its own (确认), once. Returns the acknowledgment's id."""
        note = _note(note)
        with self.db.unit_of_work() as uow:
            s, local = uow.session, uow.local_site_id
            row = self._statement(s, statement_id)
            if row.site_id != local:
                raise NotFoundError("这张统一结算单不是本村卫生室的", "结算单")
            label = month_label(row.month)
            if row.status == "draft":
                raise RuleViolation(f"{label}的统一结算单还是草稿，乡镇卫生院定稿后才能确认", "结算单")
            done = s.scalar(select(StatementAcknowledgment).where(StatementAcknowledgment.statement_id == row.id))
            if done is not None:
                raise RuleViolation(f"{label}的统一结算单已于 {done.acknowledged_at:%Y-%m-%d %H:%M} 由{done.user_name}"
                                    "确认过，不能重复确认", "结算单")
            actor = self.session.actor
            ack = StatementAcknowledgment(statement_id=row.id, site_id=local, acknowledged_at=at or now(),
                                          user_id=actor.user_id, user_name=actor.name, note=note)
            s.add(ack)
            s.flush()
            write_audit(s, actor, local, "statement.acknowledge", "statement_acknowledgments", ack.id, month=row.month,
                        statement_no=row.statement_no, note=note)
            return ack.id

    # -- lists -----------------------------------------------------------------------------------------
    @requires("statements.read")
    def statements(self, *, month: str | None = None, site_id: str | None = None) -> list[StatementInfo]:
        """Saved statements, newest month first, then by village name."""
        month = parse_month(month) if month else None
        with self.db.read() as s:
            stmt = select(MonthlyStatement)
            if month:
                stmt = stmt.where(MonthlyStatement.month == month)
            if site_id:
                stmt = stmt.where(MonthlyStatement.site_id == site_id)
            if self.db.local_site_kind == SiteKind.VILLAGE.value:
                stmt = stmt.where(MonthlyStatement.site_id == self.db.local_site_id)
            rows = list(s.scalars(stmt))
            infos = self._infos(s, rows)
            return sorted(infos, key=lambda i: (_desc(i.month), i.site_name, i.statement_no))

    @requires("statements.read")
    def get(self, statement_id: str) -> StatementInfo:
        with self.db.read() as s:
            return self._info(s, self._statement(s, statement_id))

    # -- printing --------------------------------------------------------------------------------------
    @requires("statements.read")
    def print_statement(self, statement_id: str, path: Path | str) -> Path:
        """The 统一结算单 as an A4 PDF at ``path``."""
        from app.printing.statement import StatementPrint, write_statement_pdf

        with self.db.read() as s:
            info = self._info(s, self._statement(s, statement_id))
            township = s.get(Site, s.scalar(select(MonthlyStatement.owner_site_id).where(
                MonthlyStatement.id == info.id)))
            data = StatementPrint(township=township.name if township else "", info=info, printed_at=now())
        return write_statement_pdf(Path(path), data)
