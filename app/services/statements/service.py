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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session as OrmSession

from app.db.models import (
    Drug,
    DrugReferencePrice,
    EssentialDrugSubsidy,
    MonthClose,
    MonthlyStatement,
    ReturnReceipt,
    ShipmentLine,
    Site,
    StatementAcknowledgment,
    TransferReceipt,
    TransferReceiptLine,
)
from app.db.uow import Database, now
from app.domain import clock
from app.domain.enums import SiteKind
from app.domain.errors import ForeignRecordError, NotFoundError, RuleViolation, ValidationError
from app.domain.money import fen_to_yuan, round_half_up_div
from app.domain.statements import deduct, month_label, month_of, month_span, next_month, parse_month, previous_month
from app.services.core.audit import write_audit
from app.services.core.context import Session, requires
from app.services.settlement.reports import fund_receivable_fen
from app.services.statements.types import SavingsRow, StatementFigures, StatementInfo, SubsidyInfo

#: the largest subsidy one village gets in a month, in fen (a typo guard: 10 million yuan)
MAX_SUBSIDY_FEN = 10**9
MAX_NOTE = 200


@dataclass(frozen=True)
class SuppliedLine:
    """One shipment line as the village received it, priced (the statement's and the savings' raw rows)."""

    drug_id: str
    qty_received: int
    pack_price_fen: int
    units_per_pack: int
    amount_fen: int


def _note(value: str, field: str = "备注") -> str:
    value = (value or "").strip()
    if len(value) > MAX_NOTE:
        raise ValidationError(f"{field}最多 {MAX_NOTE} 个字，现在有 {len(value)} 个字", field)
    return value


def supplied_lines(s: OrmSession, site_id: str, month: str) -> list[SuppliedLine]:
    """The shipment lines ``site_id`` received in ``month`` (its receipts' ``received_at``), with their amount
    at the procurement price, rounded half-up per line."""
    lo, hi = month_span(month)
    out = []
    for drug_id, qty, price, per_pack in s.execute(
        select(TransferReceiptLine.drug_id, TransferReceiptLine.qty_received, ShipmentLine.pack_price_fen,
               Drug.units_per_pack)
        .join(TransferReceipt, TransferReceipt.id == TransferReceiptLine.receipt_id)
        .join(ShipmentLine, ShipmentLine.id == TransferReceiptLine.shipment_line_id)
        .join(Drug, Drug.id == TransferReceiptLine.drug_id)
        .where(TransferReceipt.site_id == site_id, TransferReceipt.received_at >= lo, TransferReceipt.received_at < hi)
        .order_by(TransferReceipt.received_at, TransferReceiptLine.id)
    ):
        per_pack = max(int(per_pack or 1), 1)
        out.append(SuppliedLine(drug_id, qty, price, per_pack, round_half_up_div(qty * price, per_pack)))
    return out


def returned_fen(s: OrmSession, site_id: str, month: str) -> int:
    lo, hi = month_span(month)
    return int(s.scalar(select(func.coalesce(func.sum(ReturnReceipt.amount_fen), 0)).where(
        ReturnReceipt.site_id == site_id, ReturnReceipt.received_at >= lo, ReturnReceipt.received_at < hi)) or 0)


def reference_prices(s: OrmSession) -> dict[str, int]:
    """drug → its pre-集采 reference price per pack (the township's row)."""
    return {d: p for d, p in s.execute(select(DrugReferencePrice.drug_id, DrugReferencePrice.reference_price_fen)
                                       .order_by(DrugReferencePrice.updated_at))}


def line_saving(line: SuppliedLine, reference_fen: int | None) -> int:
    """(reference − procurement price per pack) × packs received, rounded half-up; 0 without a reference."""
    if reference_fen is None:
        return 0
    return round_half_up_div((reference_fen - line.pack_price_fen) * line.qty_received, line.units_per_pack)


class StatementService:
    """Month-end marks, the basic-drug subsidy, statements, their finalising and acknowledgment."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

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

    # -- the figures -----------------------------------------------------------------------------------
    @requires("statements.read")
    def compute(self, site_id: str, month: str) -> StatementFigures:
        """The village's statement figures for ``month`` (DESIGN §9 ``report statement``): a final statement's
        as they were finalised, otherwise computed now from the rows held here."""
        month = parse_month(month)
        with self.db.read() as s:
            village = self._village(s, site_id)
            row = self._statement_of(s, village.id, month)
            if row is not None and row.status != "draft":
                return self._info(s, row).figures
            return self._compute(s, village.id, month)

    def _compute(self, s: OrmSession, site_id: str, month: str) -> StatementFigures:
        lines = supplied_lines(s, site_id, month)
        supplied = sum(line.amount_fen for line in lines)
        refs = reference_prices(s)
        savings = sum(line_saving(line, refs.get(line.drug_id)) for line in lines)
        returned = returned_fen(s, site_id, month)
        previous = self._statement_of(s, site_id, previous_month(month))
        carried_in = previous.carried_out_fen if previous is not None else 0
        due = supplied - returned + carried_in
        fund = fund_receivable_fen(s, site_id, month)
        subsidy = int(s.scalar(select(EssentialDrugSubsidy.amount_fen).where(
            EssentialDrugSubsidy.site_id == site_id, EssentialDrugSubsidy.month == month)) or 0)
        d = deduct(due, fund, subsidy)
        mark = self._mark(s, site_id, month)
        row = self._statement_of(s, site_id, month)
        status = self._status(s, row) if row is not None else "draft"
        return StatementFigures(site_id, month, supplied, returned, due, carried_in, fund, subsidy, d.from_fund_fen,
                                d.from_subsidy_fen, d.carried_out_fen, mark, status, savings)

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
                raise RuleViolation(f"{name}{month_label(waiting[0])}的统一结算单还没有定稿：请按月份顺序定稿"
                                    f"（上月结转金额要从上月的定稿结算单来）", "结算单")
            previous = previous_month(row.month)
            if earlier and earlier[-1].month != previous:
                raise RuleViolation(f"{name}{month_label(previous)}还没有统一结算单：请先生成并定稿"
                                    f"{month_label(previous)}的结算单，上月结转金额才有依据", "结算单")
            mark = self._mark(s, row.site_id, row.month)
            if mark is None:
                raise RuleViolation(f"{name}{label}的月结数据还没有同步到本站，暂不能定稿：请等{name}同步后再定稿"
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

    @requires("statements.read")
    def savings(self, month: str, *, site_id: str | None = None) -> list[SavingsRow]:
        """节约医保基金 for ``month``: per drug and procurement price, the packs supplied to the village (every
        village when ``site_id`` is None) × (pre-集采 reference price − procurement price)."""
        month = parse_month(month)
        with self.db.read() as s:
            sites = [self._village(s, site_id).id] if site_id else [v.id for v in self._villages(s)]
            refs = reference_prices(s)
            groups: dict[tuple[str, int], list[SuppliedLine]] = defaultdict(list)
            for sid in sites:
                for line in supplied_lines(s, sid, month):
                    groups[(line.drug_id, line.pack_price_fen)].append(line)
            drugs = {d.id: d for d in s.scalars(select(Drug).where(Drug.id.in_({k[0] for k in groups})))}
            out = []
            for (drug_id, price), lines in groups.items():
                drug = drugs[drug_id]
                out.append(SavingsRow(site_id, drug_id, drug.generic_name, drug.strength or "",
                                      drug.national_code or "", drug.pack_unit, drug.base_unit,
                                      lines[0].units_per_pack, sum(x.qty_received for x in lines), refs.get(drug_id),
                                      price, sum(x.amount_fen for x in lines),
                                      sum(line_saving(x, refs.get(drug_id)) for x in lines)))
            return sorted(out, key=lambda r: (-r.saving_fen, r.generic_name, r.pack_price_fen))

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

    # -- helpers ---------------------------------------------------------------------------------------
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
