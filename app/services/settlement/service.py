"""Outpatient visits and pooling settlement 门诊收费与门诊统筹结算, reversal 冲正/退费, receipts.

``preview`` and ``settle`` share one path, ``_compute``: it reads the resident, the drugs and the
year-to-date figures, builds the policy engine's ``Case`` and calls ``app.domain.policy.settle`` —
so the live split on the page is exactly what is saved. ``settle`` then writes the visit, its
prescription lines, the FEFO stock movements (``app.services.stock.service.Dispensing``), the settlement
and an audit row in ONE unit of work; the outbox rows come from triggers in the same transaction.
The writes are Core inserts, one statement per table, with the base columns of synced rows set as
the unit of work sets them: a settle is what a doctor waits for 20–60 times a day.
``reverse`` cancels a whole settlement by a new ``Reversal`` row and puts the stock back into the
same batches; year-to-date figures are derived, so they come back by themselves.

Importing this module registers the ``cunyi check`` rules and the reports of the area.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import Drug, PrescriptionLine, ReceiptPrint, Resident, Reversal, Settlement, Store, Visit
from app.db.outbox import sync_columns
from app.db.uow import Database, now
from app.domain.errors import CunyiError, NotFoundError, PermissionDenied, RuleViolation, ValidationError
from app.domain.fefo import check_quantity
from app.domain.idcard import parse_id_number
from app.domain.permissions import allowed
from app.domain.policy import Case, Line, Split, settle
from app.domain.usage import check_usage
from app.services.core import policies
from app.services.core.audit import write_audit
from app.services.core.context import Session, requires
from app.services.settlement import queries as q
from app.services.settlement import receipts as printing
from app.services.settlement import reports as settlement_reports  # noqa: F401  (registers reports and check rules)
from app.services.settlement.types import (
    DraftLine,
    Preview,
    PricedLine,
    ReversalInfo,
    SettlementInfo,
    VisitDraft,
    split_columns,
    split_of,
)
from app.services.stock.service import Dispensing, reverse_document_in

if TYPE_CHECKING:
    # reportlab, qrcode and PIL load when a receipt or prescription is drawn, not with the service
    from app.printing.prescription import PrescriptionData
    from app.printing.receipt import ReceiptData

__all__ = ["DraftLine", "Preview", "ReversalInfo", "SettlementInfo", "SettlementService", "VisitDraft"]

_STORE = select(Store.id).where(Store.site_id == bindparam("site")).order_by(Store.id).limit(1)
_RESIDENT = select(Resident.id, Resident.name, Resident.id_number, Resident.assistance_category).where(
    Resident.id == bindparam("id"))
_DRUGS = select(Drug.__table__).where(Drug.id.in_(bindparam("ids", expanding=True)))
_INSERT_VISIT = Visit.__table__.insert()
_INSERT_LINE = PrescriptionLine.__table__.insert()
_INSERT_SETTLEMENT = Settlement.__table__.insert()


class SettlementService:
    """门诊收费: preview, settle, reverse, look up and print settlements of this site."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    # -- the shared engine path ----------------------------------------------------------------
    @requires("settlement.read")
    def preview(self, draft: VisitDraft, *, today: date | None = None) -> Split:
        """The engine's split for the draft, exactly as ``settle`` would save it now."""
        return self.preview_detail(draft, today=today).split

    @requires("settlement.read")
    def preview_detail(self, draft: VisitDraft, *, today: date | None = None) -> Preview:
        """The priced lines and the split (for the live preview on the page)."""
        with self.db.read() as s:
            return _compute(s, draft, today or now().date())[0]

    # -- writes ---------------------------------------------------------------------------------
    @requires("settlement.settle")
    def settle(self, draft: VisitDraft, *, at: datetime | None = None) -> SettlementInfo:
        """Save the visit and its settlement in one transaction and return it.

        Raises:
            NotFoundError: unknown resident (参保人) or drug (药品).
            ValidationError: a field of the draft is wrong (就诊日期, 数量, 用法用量, 代办人身份证号, 处方…).
            RuleViolation: not enough unexpired stock, no valid chronic qualification, …
            PolicyError: the policy file is wrong or does not cover the visit date.
        """
        actor = self.session.actor
        at = at or now()
        if not draft.lines:
            raise ValidationError("处方为空：请至少添加一种药品后再结算", "处方")
        with self.db.unit_of_work() as uow:
            s = uow.session
            preview, resident = _compute(s, draft, at.date())
            for priced in preview.lines:  # the 处方笺 needs every usage written out (never 遵医嘱)
                check_usage(priced.usage, priced.line_no, priced.drug_name)
            site_id = uow.local_site_id
            store_id = q.connection(s).execute(_STORE, {"site": site_id}).scalar()
            if store_id is None:
                raise RuleViolation("本机构没有药房，不能发药结算；请先完成建站", "药库")
            # Core inserts in the unit of work's transaction (one statement per table, the outbox rows
            # from the triggers): the base columns are set here exactly as the unit of work sets them
            stamp = now()
            visit = {
                **sync_columns(site_id, stamp), "site_id": site_id, "resident_id": resident.id, "visit_date": draft.visit_date,
                "occurred_at": at, "diagnosis": draft.diagnosis.strip(),
                "diagnosis_code": draft.diagnosis_code.strip().upper(), "chronic_code": draft.chronic_code or None,
                "general_fee": draft.general_fee, "doctor_user_id": actor.user_id,
                "agent_name": draft.agent_name.strip(), "agent_id_number": _agent_id(draft),
            }
            conn = s.connection()
            conn.execute(_INSERT_VISIT, visit)
            conn.execute(_INSERT_LINE, [{
                **sync_columns(site_id, stamp), "visit_id": visit["id"], "line_no": p.line_no, "drug_id": p.drug_id,
                "quantity_units": p.quantity_units, "amount_fen": p.amount_fen, "coverage_class": p.coverage_class,
                "class_b_self_bp": p.class_b_self_bp, "usage": p.usage,
            } for p in preview.lines])
            out = Dispensing(s, store_id, [p.drug_id for p in preview.lines], at=at, doc_type="visit",
                             doc_id=visit["id"], user_id=actor.user_id)
            batches = [_dispense(out, priced, line) for priced, line in zip(preview.lines, draft.lines, strict=True)]
            out.write()
            split = preview.split
            policy_version = policies.version_in_force(s, q.site_policy(s), site_id, stamp)
            settlement = {
                **sync_columns(site_id, stamp), "visit_id": visit["id"], "resident_id": resident.id, "site_id": site_id,
                "receipt_no": q.next_receipt_no(s, Settlement, site_id, at.date()), "settled_at": at,
                "policy_year": draft.visit_date.year, "pool": preview.pool, **split_columns(split),
                "general_fee_fen": preview.general_fee_fen, "doctor_user_id": actor.user_id,
                "policy_version": policy_version,
            }
            conn.execute(_INSERT_SETTLEMENT, settlement)
            write_audit(s, actor, site_id, "settlement.create", "settlements", settlement["id"],
                        receipt_no=settlement["receipt_no"], resident_id=resident.id, resident=resident.name,
                        total_fen=split.total_fen, fund_fen=split.fund_total_fen)
            return printing.new_settlement_info(settlement, visit, resident.name, preview.lines, batches)

    @requires("settlement.reverse")
    def reverse(self, settlement_id: str, reason: str, *, at: datetime | None = None) -> ReversalInfo:
        """冲正/退费 a whole settlement: stock back to the same batches, a reversal receipt number, audited.

        Raises:
            ValidationError: no reason (冲正原因).
            NotFoundError: unknown settlement.
            RuleViolation: already reversed.
            PermissionDenied: a doctor after the settlement's day (only an admin may then).
        """
        actor = self.session.actor
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("冲正原因不能为空，请写明退费/冲正的原因", "冲正原因")
        if len(reason) > 120:
            raise ValidationError("冲正原因太长（最多 120 字）", "冲正原因")
        at = at or now()
        with self.db.unit_of_work() as uow:
            s = uow.session
            row = _settlement(s, settlement_id)
            done = s.scalar(select(Reversal).where(Reversal.settlement_id == row.id))
            if done is not None:
                raise RuleViolation(
                    f"票据 {row.receipt_no} 已于 {done.reversed_at:%Y-%m-%d %H:%M} 冲正（{done.receipt_no}），不能重复冲正",
                    "结算",
                )
            if row.owner_site_id != uow.local_site_id:
                raise PermissionDenied("该结算属于其他机构，只能由结算的村卫生室冲正", "结算")
            if at.date() != row.settled_at.date() and not allowed(
                    "settlement.reverse_earlier_day", actor.role, self.db.local_site_kind):
                raise PermissionDenied(
                    f"票据 {row.receipt_no} 是 {row.settled_at:%Y-%m-%d} 结算的：村医只能冲正当天的结算，"
                    "以前日期的请由管理员冲正", "用户",
                )
            count = reverse_document_in(s, doc_type="visit", doc_id=row.visit_id, at=at, user_id=actor.user_id,
                                        reason=f"冲正 {row.receipt_no}：{reason}")
            reversal = Reversal(
                settlement_id=row.id, receipt_no=q.next_receipt_no(s, Reversal, uow.local_site_id, at.date(), "CZ"),
                reversed_at=at, reason=reason, user_id=actor.user_id,
            )
            s.add(reversal)
            s.flush()
            refund = split_of(row).patient_pays_fen
            write_audit(s, actor, uow.local_site_id, "settlement.reverse", "settlements", row.id,
                        reversal_id=reversal.id, receipt_no=row.receipt_no, reversal_receipt_no=reversal.receipt_no,
                        reason=reason, movements=count, refund_fen=refund)
            return ReversalInfo(reversal.id, row.id, reversal.receipt_no, row.receipt_no, at, reason, count, refund)

    # -- reads ----------------------------------------------------------------------------------
    @requires("settlement.read")
    def get(self, settlement_id: str) -> SettlementInfo:
        with self.db.read() as s:
            return printing.settlement_info(s, _settlement(s, settlement_id))

    @requires("settlement.read")
    def for_visit(self, visit_id: str) -> SettlementInfo:
        with self.db.read() as s:
            row = s.scalar(select(Settlement).where(Settlement.visit_id == visit_id))
            if row is None:
                raise NotFoundError("结算：该就诊没有结算记录", "结算")
            return printing.settlement_info(s, row)

    @requires("settlement.read")
    def list_day(self, day: date, site_id: str | None = None) -> list[SettlementInfo]:
        """The settlements made on ``day`` at this site (newest first), reversed ones included."""
        site_id = site_id or self.db.local_site_id
        with self.db.read() as s:
            rows = s.scalars(
                select(Settlement).where(
                    Settlement.site_id == site_id,
                    Settlement.settled_at >= datetime.combine(day, datetime.min.time()),
                    Settlement.settled_at < datetime.combine(day, datetime.max.time()),
                ).order_by(Settlement.settled_at.desc())
            )
            return [printing.settlement_info(s, r) for r in rows]

    @requires("settlement.read")
    def for_resident(self, resident_id: str, year: int | None = None, limit: int = 50) -> list[SettlementInfo]:
        """A resident's settlements (newest first), optionally of one policy year."""
        with self.db.read() as s:
            stmt = select(Settlement).where(Settlement.resident_id == resident_id)
            if year is not None:
                stmt = stmt.where(Settlement.policy_year == year)
            rows = s.scalars(stmt.order_by(Settlement.settled_at.desc()).limit(limit))
            return [printing.settlement_info(s, r) for r in rows]

    # -- printing -------------------------------------------------------------------------------
    @requires("settlement.print")
    def receipt_data(self, settlement_id: str, paper: str = "A5", *, reversal: bool = False,
                     record: bool = True) -> ReceiptData:
        """What to print; with ``record`` a ``ReceiptPrint`` row is written and any print after the first is 补打."""
        at = now()
        with self.db.unit_of_work() as uow:
            s = uow.session
            row = _settlement(s, settlement_id)
            rev = s.scalar(select(Reversal).where(Reversal.settlement_id == row.id)) if reversal else None
            if reversal and rev is None:
                raise RuleViolation(f"票据 {row.receipt_no} 没有冲正，不能打印冲正凭证", "结算")
            rev_id = rev.id if rev else None
            earlier = s.scalar(select(ReceiptPrint.id).where(
                ReceiptPrint.settlement_id == row.id,
                ReceiptPrint.reversal_id.is_(None) if rev_id is None else ReceiptPrint.reversal_id == rev_id,
            ).limit(1))
            reprint = earlier is not None
            if record:
                s.add(ReceiptPrint(settlement_id=row.id, reversal_id=rev_id, printed_at=at,
                                   user_id=self.session.actor.user_id, reprint=reprint, paper=paper))
            return printing.receipt_data(s, row, reprint=reprint, reversal=rev)

    @requires("settlement.print")
    def receipt_pdf(self, settlement_id: str, paper: str = "A5", path: Path | str | None = None, *,
                    reversal: bool = False) -> bytes:
        """Render (and record) the receipt or reversal slip; also write it to ``path`` if given."""
        from app.printing.receipt import receipt_pdf_bytes

        if paper not in ("A5", "80mm"):
            raise ValidationError(f"收据纸张“{paper}”不支持，请选择 A5 或 80mm", "收据纸张")
        pdf = receipt_pdf_bytes(self.receipt_data(settlement_id, paper, reversal=reversal), paper)
        if path is not None:
            Path(path).write_bytes(pdf)
        return pdf

    @requires("settlement.read")
    def prescription_data(self, settlement_id: str) -> PrescriptionData:
        with self.db.read() as s:
            return printing.prescription_data(s, _settlement(s, settlement_id))

    @requires("settlement.read")
    def prescription_pdf(self, settlement_id: str, path: Path | str | None = None) -> bytes:
        """The 处方笺 of the settlement's visit as PDF (A5); also written to ``path`` if given."""
        from app.printing.prescription import prescription_pdf_bytes

        pdf = prescription_pdf_bytes(self.prescription_data(settlement_id))
        if path is not None:
            Path(path).write_bytes(pdf)
        return pdf


# -- helpers ------------------------------------------------------------------------------------
def _settlement(s: OrmSession, settlement_id: str) -> Settlement:
    row = s.get(Settlement, settlement_id) if settlement_id else None
    if row is None:
        raise NotFoundError("结算：找不到该结算记录（票据），请重新查询", "结算")
    return row


def _agent_id(draft: VisitDraft) -> str:
    name, number = draft.agent_name.strip(), draft.agent_id_number.strip()
    if not name and not number:
        return ""
    if not name:
        raise ValidationError("委托代购：请填写代办人姓名", "代办人姓名")
    if len(name) > 32:
        raise ValidationError("代办人姓名太长（最多 32 个字）", "代办人姓名")
    return parse_id_number(number, "代办人身份证号").number


def _dispense(out: Dispensing, priced: PricedLine, line: DraftLine) -> tuple[str, ...]:
    """Plan one line's FEFO movements; an error names the line and the drug."""
    try:
        allocations = out.take(priced.drug_id, priced.quantity_units, tuple(line.trace_codes))
    except CunyiError as exc:  # name the line and the drug: "第2行“阿莫西林胶囊”数量：库存不足…"
        field = exc.field or "数量"
        message = exc.message.removeprefix(field).lstrip("：: ")
        raise type(exc)(f"第{priced.line_no}行“{priced.drug_name}”{field}：{message}", field) from None
    return tuple(f"{a.batch_no} {a.expiry.isoformat()} ×{a.quantity}" for a in allocations)


def _compute(s: OrmSession, draft: VisitDraft, today: date) -> tuple[Preview, Row]:
    """Validate the draft, price its lines, build the engine's Case from the DB and settle it.

    Returns the preview and the resident's row (``id``, ``name``, ``id_number``, ``assistance_category``).
    """
    conn = q.connection(s)
    resident = conn.execute(_RESIDENT, {"id": draft.resident_id}).first() if draft.resident_id else None
    if resident is None:
        raise NotFoundError("参保人：找不到该居民，请先搜索选择参保人（或新建居民档案）", "参保人")
    if not isinstance(draft.visit_date, date) or isinstance(draft.visit_date, datetime):
        raise ValidationError("就诊日期必须是日期，如 2026-03-05", "就诊日期")
    if draft.visit_date > today:
        raise ValidationError(f"就诊日期 {draft.visit_date.isoformat()} 晚于今天，不能预先结算；请改为今天或以前的日期",
                              "就诊日期")
    if not isinstance(draft.general_fee, bool):
        raise ValidationError("一般诊疗费只能是收或不收", "一般诊疗费")
    if len(draft.diagnosis.strip()) > 64 or len(draft.diagnosis_code.strip()) > 16:
        raise ValidationError("诊断太长（诊断最多 64 字，编码最多 16 位）", "诊断")
    _agent_id(draft)
    if draft.agent_id_number.strip() and parse_id_number(draft.agent_id_number).number == resident.id_number:
        raise ValidationError("委托代购的代办人不能是患者本人；本人就诊请清空代办人", "代办人身份证号")
    policy = q.site_policy(s)
    q.check_policy_covers(policy, draft.visit_date)
    pool = q.GENERAL_POOL
    if draft.chronic_code:
        code = draft.chronic_code.strip().upper()
        if code not in policy.chronic:
            known = "、".join(f"{k}（{v.name}）" for k, v in policy.chronic.items()) or "无"
            raise ValidationError(f"慢特病病种“{code}”不在待遇政策中（可选：{known}）", "慢特病")
        if q.valid_qualification(s, resident.id, code, draft.visit_date) is None:
            raise RuleViolation(
                f"{resident.name}在 {draft.visit_date.isoformat()} 没有有效的“{policy.chronic[code].name}”门诊慢特病资格，"
                "请按普通门诊结算，或先办理慢特病申报", "慢特病",
            )
        pool = code
    ids = sorted({line.drug_id for line in draft.lines if line.drug_id})
    drugs = {d.id: d for d in conn.execute(_DRUGS, {"ids": ids})} if ids else {}
    priced = tuple(_price(drugs.get(line.drug_id), i, line) for i, line in enumerate(draft.lines, 1))
    case = Case(
        visit_date=draft.visit_date, kind="chronic" if pool != q.GENERAL_POOL else "outpatient",
        chronic_code=pool if pool != q.GENERAL_POOL else None, general_fee=draft.general_fee,
        resident=q.resident_cover(s, resident, draft.visit_date.year, policy),
        year_to_date=q.year_to_date(s, resident.id, draft.visit_date.year, pool if pool != q.GENERAL_POOL else None),
        lines=tuple(Line(p.amount_fen, p.coverage_class, p.class_b_self_bp) for p in priced),
    )
    split = settle(policy, case)
    fee = policy.general_fee.amount_fen if draft.general_fee else 0
    return Preview(priced, fee, split, pool, policy.region), resident


def _price(drug: Row | None, line_no: int, line: DraftLine) -> PricedLine:
    """Price one line from the drug's catalog row (the ``drugs`` columns)."""
    if drug is None:
        raise NotFoundError(f"第{line_no}行药品：找不到该药品，请从药品目录中重新选择", "药品")
    if not drug.active:
        raise RuleViolation(f"第{line_no}行药品“{drug.generic_name}”已停用，不能开具", "药品")
    try:
        quantity = check_quantity(line.quantity_units, f"第{line_no}行“{drug.generic_name}”数量")
    except ValidationError as exc:
        raise ValidationError(exc.message, "数量") from None
    usage = (line.usage or "").strip()
    if len(usage) > 64:
        raise ValidationError(f"第{line_no}行用法用量太长（最多 64 字）", "用法用量")
    qty_text, price_text = q.quantity_and_price(quantity, drug)
    return PricedLine(
        line_no=line_no, drug_id=drug.id, drug_name=drug.generic_name, spec=q.drug_spec(drug),
        quantity_units=quantity, quantity_text=qty_text, unit_price_text=price_text,
        amount_fen=q.line_amount(quantity, drug.retail_price_fen, drug.units_per_pack),
        coverage_class=drug.coverage_class, class_b_self_bp=drug.class_b_self_bp, usage=usage,
    )
