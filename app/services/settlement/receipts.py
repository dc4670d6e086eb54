"""Saved settlements as plain values: ``SettlementInfo`` for pages, ``ReceiptData`` for receipts and
reversal slips, ``PrescriptionData`` for the 处方笺. Reads only; used inside the caller's session.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import (
    Batch,
    Drug,
    PrescriptionLine,
    Resident,
    Reversal,
    Settlement,
    Site,
    StockMovement,
    User,
    Visit,
)
from app.domain.enums import AssistanceCategory, CoverageClass, MovementKind
from app.domain.errors import CunyiError, ValidationError
from app.domain.idcard import mask_id
from app.services.residents.types import SEX_LABELS
from app.services.settlement import queries as q
from app.services.settlement.types import PricedLine, SettledLine, SettlementInfo, split_of

if TYPE_CHECKING:
    # reportlab, qrcode and PIL load with the first receipt or prescription, not with the service
    from app.printing.prescription import PrescriptionData
    from app.printing.receipt import ReceiptData, ReversalPart


def _lines(s: OrmSession, visit_id: str) -> list[tuple[PrescriptionLine, Drug]]:
    return list(s.execute(
        select(PrescriptionLine, Drug).join(Drug, Drug.id == PrescriptionLine.drug_id)
        .where(PrescriptionLine.visit_id == visit_id).order_by(PrescriptionLine.line_no)
    ).all())


def settlement_info(s: OrmSession, row: Settlement) -> SettlementInfo:
    visit = s.get(Visit, row.visit_id)
    resident = s.get(Resident, row.resident_id)
    reversal = s.scalar(select(Reversal).where(Reversal.settlement_id == row.id))
    batches: dict[str, list[str]] = defaultdict(list)
    for m, batch in s.execute(
        select(StockMovement, Batch).join(Batch, Batch.id == StockMovement.batch_id)
        .where(StockMovement.doc_type == "visit", StockMovement.doc_id == row.visit_id,
               StockMovement.kind == MovementKind.DISPENSE.value).order_by(StockMovement.seq)
    ):
        batches[m.drug_id].append(f"{batch.batch_no} {batch.expiry.isoformat()} ×{-m.quantity}")
    lines = []
    seen: set[str] = set()
    for line, drug in _lines(s, row.visit_id):
        qty, price = q.quantity_and_price(line.quantity_units, drug)
        lines.append(SettledLine(
            line.line_no, drug.id, drug.generic_name, q.drug_spec(drug), line.quantity_units, qty, price,
            line.amount_fen, line.coverage_class, line.usage,
            tuple(batches.get(drug.id, ())) if drug.id not in seen else (),
        ))
        seen.add(drug.id)
    return SettlementInfo(
        id=row.id, visit_id=row.visit_id, resident_id=row.resident_id, resident_name=resident.name if resident else "",
        receipt_no=row.receipt_no, settled_at=row.settled_at, visit_date=visit.visit_date, policy_year=row.policy_year,
        pool=row.pool, split=split_of(row), general_fee_fen=row.general_fee_fen, lines=tuple(lines),
        reversed=reversal is not None, reversal_id=reversal.id if reversal else None,
        reversal_receipt_no=reversal.receipt_no if reversal else "", reversed_at=reversal.reversed_at if reversal else None,
    )


def new_settlement_info(row: Mapping[str, Any], visit: Mapping[str, Any], resident_name: str,
                        lines: tuple[PricedLine, ...], batches: list[tuple[str, ...]]) -> SettlementInfo:
    """The info of a settlement just written, from the rows the writer inserted (no second read)."""
    return SettlementInfo(
        id=row["id"], visit_id=visit["id"], resident_id=row["resident_id"], resident_name=resident_name,
        receipt_no=row["receipt_no"], settled_at=row["settled_at"], visit_date=visit["visit_date"],
        policy_year=row["policy_year"], pool=row["pool"], split=split_of(row), general_fee_fen=row["general_fee_fen"],
        lines=tuple(SettledLine(p.line_no, p.drug_id, p.drug_name, p.spec, p.quantity_units, p.quantity_text,
                                p.unit_price_text, p.amount_fen, p.coverage_class, p.usage, b)
                    for p, b in zip(lines, batches, strict=True)),
    )


def _user_name(s: OrmSession, user_id: str | None) -> str:
    user = s.get(User, user_id) if user_id else None
    return user.display_name if user else "—"


def _agent(visit: Visit) -> str:
    return f"{visit.agent_name}（{mask_id(visit.agent_id_number)}）" if visit.agent_name else ""


def receipt_data(s: OrmSession, row: Settlement, *, reprint: bool, reversal: Reversal | None) -> ReceiptData:
    """The receipt of ``row`` (or, with ``reversal``, its reversal slip) as plain values.

    The figures are those of the first print, whenever it is printed again: the year's fund used is
    taken as it stood at the settlement (a slip: at the reversal). A receipt of a reversed settlement
    carries the reversal (``reversed_by``), so it is printed marked 已冲正.
    """
    from app.printing.receipt import ReceiptData, ReceiptLine

    visit = s.get(Visit, row.visit_id)
    resident = s.get(Resident, row.resident_id)
    site = s.get(Site, row.site_id)
    try:
        policy = q.site_policy(s)
    except CunyiError:
        policy = None
    if row.pool == q.GENERAL_POOL:
        pool_label = "普通门诊统筹"
        cap = policy.outpatient.annual_cap_fen if policy else 0
    else:
        chronic = policy.chronic.get(row.pool) if policy else None
        pool_label = f"门诊慢特病（{chronic.name if chronic else row.pool}）"
        cap = chronic.annual_cap_fen if chronic else 0
    # a receipt shows the year's fund used up to it; a reversal slip what is left after the reversal
    ytd = q.year_to_date(s, row.resident_id, row.policy_year, None if row.pool == q.GENERAL_POOL else row.pool,
                         upto=reversal.reversed_at if reversal else row.settled_at)
    voided = None if reversal else s.scalar(select(Reversal).where(Reversal.settlement_id == row.id))
    used = ytd.fund_fen if row.pool == q.GENERAL_POOL else ytd.chronic_fund_fen
    lines = []
    for line, drug in _lines(s, row.visit_id):
        qty, price = q.quantity_and_price(line.quantity_units, drug)
        lines.append(ReceiptLine(drug.generic_name, q.drug_spec(drug), qty, price, line.amount_fen,
                                 CoverageClass(line.coverage_class).short))
    category = resident.assistance_category
    assist = (policy.assistance.get(category) if policy and category else None)
    assist_label = assist.name if assist else (AssistanceCategory(category).label if category else "")
    diagnosis = " ".join(x for x in (visit.diagnosis, visit.diagnosis_code) if x)
    return ReceiptData(
        settlement_id=row.id, clinic=site.name if site else "", region=policy.region if policy else site.region,
        receipt_no=row.receipt_no, settled_at=row.settled_at, visit_date=visit.visit_date,
        resident_name=resident.name, masked_id=mask_id(resident.id_number), sex=SEX_LABELS.get(resident.sex, ""),
        age=_age(resident, visit.visit_date), diagnosis=diagnosis, lines=tuple(lines),
        general_fee_fen=row.general_fee_fen, split=split_of(row), pool_label=pool_label, ytd_fund_fen=used,
        annual_cap_fen=cap, doctor=_user_name(s, row.doctor_user_id),
        assistance_label=assist_label if row.assistance_fen else "", agent=_agent(visit),
        reprint=reprint, reversal=_reversal_part(s, reversal) if reversal else None,
        reversed_by=_reversal_part(s, voided) if voided else None, clinic_code=site.code if site else "",
    )


def _reversal_part(s: OrmSession, reversal: Reversal) -> ReversalPart:
    from app.printing.receipt import ReversalPart

    return ReversalPart(reversal.receipt_no, reversal.reversed_at, reversal.reason, _user_name(s, reversal.user_id))


def prescription_data(s: OrmSession, row: Settlement) -> PrescriptionData:
    from app.printing.prescription import PrescriptionData, RxLine

    visit = s.get(Visit, row.visit_id)
    resident = s.get(Resident, row.resident_id)
    site = s.get(Site, row.site_id)
    lines = []
    rows = _lines(s, row.visit_id)
    missing = "、".join(f"第{line.line_no}行“{drug.generic_name}”" for line, drug in rows
                       if not (line.usage or "").strip())
    if missing:
        raise ValidationError(
            f"处方笺不能打印：{missing}用法用量为空（处方须写明用法用量，不能以“遵医嘱”代替）；"
            f"请手写处方笺，或冲正票据 {row.receipt_no} 后重新开具", "用法用量")
    for line, drug in rows:
        qty, _ = q.quantity_and_price(line.quantity_units, drug)
        lines.append(RxLine(drug.generic_name, q.drug_spec(drug), qty, line.usage))
    diagnosis = " ".join(x for x in (visit.diagnosis, visit.diagnosis_code) if x)
    return PrescriptionData(
        clinic=site.name if site else "", number=row.receipt_no, visit_date=visit.visit_date,
        fee_type="城乡居民医保" if row.eligible else "城乡居民医保（未享受统筹）",
        patient_name=resident.name, sex=SEX_LABELS.get(resident.sex, ""), age=_age(resident, visit.visit_date),
        masked_id=mask_id(resident.id_number), address=resident.address, diagnosis=diagnosis, lines=tuple(lines),
        total_fen=sum(line.amount_fen for line, _ in rows),
        doctor=_user_name(s, visit.doctor_user_id), agent=_agent(visit),
    )


def _age(resident: Resident, on) -> int:  # noqa: ANN001
    before = (on.month, on.day) < (resident.birth_date.month, resident.birth_date.day)
    return on.year - resident.birth_date.year - int(before)
