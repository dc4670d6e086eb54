"""Trace codes 药品追溯码: recorded at receipt, marked sold at dispensing, un-sold by a reversal.

A code is sold at most once. A second sale is refused with the date and the visit of the first one.
Stock that arrived without codes is flagged on its batch (``no_trace_codes``, the 无码库 list) and
stays sellable; a code scanned at sale that was never received is recorded there and then.
A 拆零 sale scans the box's code on the first split only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Drug, Settlement, TraceCode, Visit
from app.domain.codes import TRACE_FIELD, check_trace_code
from app.domain.errors import RuleViolation, ValidationError


@dataclass(frozen=True)
class TraceCodeInfo:
    code: str
    drug_id: str
    batch_id: str | None
    received_at: datetime | None
    sold_at: datetime | None
    sold_visit_id: str | None


def _info(row: TraceCode) -> TraceCodeInfo:
    return TraceCodeInfo(row.code, row.drug_id, row.batch_id, row.received_at, row.sold_at, row.sold_visit_id)


def normalise_codes(codes: Sequence[str]) -> list[str]:
    """Check every code's format and refuse a code scanned twice in one list."""
    seen: set[str] = set()
    result = []
    for raw in codes:
        code = check_trace_code(raw)
        if code in seen:
            raise ValidationError(f"{TRACE_FIELD} {code} 重复扫描了两次，请删除重复的一条", TRACE_FIELD)
        seen.add(code)
        result.append(code)
    return result


def _existing(session: Session, codes: list[str]) -> dict[str, TraceCode]:
    if not codes:
        return {}
    rows = session.scalars(select(TraceCode).where(TraceCode.code.in_(codes)))
    return {r.code: r for r in rows}


def first_sale_text(session: Session, row: TraceCode) -> str:
    """'2026-03-01 14:05 售出（就诊 …，收据号 …）' — where a sold code went."""
    when = row.sold_at.strftime("%Y-%m-%d %H:%M") if row.sold_at else "?"
    where = f"单据 {row.sold_visit_id}"
    visit = session.get(Visit, row.sold_visit_id) if row.sold_visit_id else None
    if visit is not None:
        where = f"就诊 {visit.visit_date.isoformat()} 记录号 {visit.id}"
        receipt = session.scalar(select(Settlement.receipt_no).where(Settlement.visit_id == visit.id))
        if receipt:
            where += f"，收据号 {receipt}"
    return f"已于 {when} 售出（{where}）"


def receive_codes(
    session: Session, *, codes: Sequence[str], drug_id: str, batch_id: str, store_id: str, at: datetime
) -> int:
    """Record codes scanned at receipt; a code already in stock or sold is refused."""
    codes = normalise_codes(codes)
    existing = _existing(session, codes)
    for code in codes:
        row = existing.get(code)
        if row is None:
            session.add(TraceCode(code=code, drug_id=drug_id, batch_id=batch_id, store_id=store_id, received_at=at))
            continue
        if row.sold_at is not None:
            raise RuleViolation(f"{TRACE_FIELD} {code} {first_sale_text(session, row)}，不能再入库", TRACE_FIELD)
        if row.received_at is not None:
            raise ValidationError(
                f"{TRACE_FIELD} {code} 已于 {row.received_at:%Y-%m-%d} 入库过，同一盒药不能入库两次", TRACE_FIELD
            )
        # a code whose receipt was reversed comes back
        row.drug_id, row.batch_id, row.store_id, row.received_at = drug_id, batch_id, store_id, at
    return len(codes)


def sell_codes(
    session: Session, *, codes: Sequence[str], drug_id: str, batch_id: str, store_id: str, at: datetime, doc_id: str
) -> int:
    """Mark codes sold by document ``doc_id``; a code sold before is refused with its first sale."""
    codes = normalise_codes(codes)
    existing = _existing(session, codes)
    for code in codes:
        row = existing.get(code)
        if row is None:
            session.add(
                TraceCode(code=code, drug_id=drug_id, batch_id=batch_id, store_id=store_id, sold_at=at, sold_visit_id=doc_id)
            )
            continue
        if row.sold_at is not None:
            raise RuleViolation(f"{TRACE_FIELD} {code} {first_sale_text(session, row)}，同一盒药不能销售两次", TRACE_FIELD)
        if row.drug_id != drug_id:
            other = session.get(Drug, row.drug_id)
            name = other.generic_name if other else row.drug_id
            raise ValidationError(f"{TRACE_FIELD} {code} 属于“{name}”，不是本行药品，请核对药盒", TRACE_FIELD)
        row.sold_at, row.sold_visit_id = at, doc_id
    return len(codes)


def unsell_codes(session: Session, doc_id: str) -> int:
    """A reversed sale: its codes are back in stock."""
    rows = list(session.scalars(select(TraceCode).where(TraceCode.sold_visit_id == doc_id)))
    for row in rows:
        row.sold_at, row.sold_visit_id = None, None
    return len(rows)


def unreceive_codes(session: Session, *, batch_id: str, received_at: datetime) -> int:
    """A reversed receipt: the codes it brought in (and not sold since) are no longer in stock."""
    rows = list(
        session.scalars(
            select(TraceCode).where(
                TraceCode.batch_id == batch_id, TraceCode.received_at == received_at, TraceCode.sold_at.is_(None)
            )
        )
    )
    for row in rows:
        row.received_at = None
    return len(rows)


def lookup(session: Session, code: str) -> TraceCodeInfo | None:
    """The record of one code (format-checked first)."""
    row = session.scalar(select(TraceCode).where(TraceCode.code == check_trace_code(code)))
    return _info(row) if row else None
