"""Read side of stock: on-hand per drug, batches, the paged stock card and the 工作台 alerts.

Everything returns frozen dataclasses. The stock card is keyset-paged on the store's ledger ``seq``
(index ``(store_id, drug_id, seq)``): no OFFSET and no COUNT, so the first page of a
1,000,000-row card comes back at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from app.db.models import Batch, Drug, StockMovement
from app.domain.enums import MOVEMENT_LABELS, MovementKind
from app.domain.errors import NotFoundError, ValidationError
from app.domain.fefo import is_expired, split_packs
from app.domain.money import round_half_up_div
from app.domain.pinyin import key_patterns
from app.services.catalog.store_settings import NONE, settings_of
from app.services.stock.documents import document_numbers, number_of


def batch_row(session: Session, batch_id: str) -> Batch:
    batch = session.get(Batch, batch_id) if batch_id else None
    if batch is None:
        raise NotFoundError(f"批次：找不到编号为 {batch_id or '（空）'} 的批次", "批次")
    return batch


def batch_value_fen(on_hand: int, pack_cost_fen: int, units_per_pack: int) -> int:
    """Value of base units at the batch's pack cost, half-up to the fen."""
    return round_half_up_div(on_hand * pack_cost_fen, max(units_per_pack, 1))


@dataclass(frozen=True)
class BatchInfo:
    batch_id: str
    drug_id: str
    generic_name: str
    strength: str
    batch_no: str
    expiry: date
    on_hand_units: int
    packs: int
    loose_units: int
    pack_unit: str
    base_unit: str
    pack_cost_fen: int
    value_fen: int
    received_on: date
    no_trace_codes: bool
    expired: bool
    days_left: int


@dataclass(frozen=True)
class OnHandRow:
    drug_id: str
    generic_name: str
    brand_name: str
    strength: str
    national_code: str
    pack_unit: str
    base_unit: str
    units_per_pack: int
    on_hand_units: int
    packs: int
    loose_units: int
    value_fen: int
    nearest_expiry: date | None
    coverage_class: str
    is_vbp: bool
    shelf: str
    category: str
    min_stock_units: int
    #: subset of {"near_expiry", "urgent", "expired", "low", "no_code"}
    alerts: frozenset[str]


def _batch_info(b: Batch, d: Drug, today: date) -> BatchInfo:
    packs, loose = split_packs(b.on_hand, d.units_per_pack)
    return BatchInfo(
        b.id, d.id, d.generic_name, d.strength, b.batch_no, b.expiry, b.on_hand, packs, loose, d.pack_unit,
        d.base_unit, b.pack_cost_fen, batch_value_fen(b.on_hand, b.pack_cost_fen, d.units_per_pack), b.received_on,
        b.no_trace_codes, is_expired(b.expiry, today), (b.expiry - today).days,
    )


def list_batches(
    session: Session, store_id: str, *, today: date, drug_id: str | None = None, include_empty: bool = False,
    no_code_only: bool = False,
) -> list[BatchInfo]:
    """Batches of a store (with stock unless ``include_empty``), by drug (pinyin order) then expiry (FEFO)."""
    stmt = select(Batch, Drug).join(Drug, Drug.id == Batch.drug_id).where(Batch.store_id == store_id)
    if drug_id:
        stmt = stmt.where(Batch.drug_id == drug_id)
    if not include_empty:
        stmt = stmt.where(Batch.on_hand > 0)
    if no_code_only:
        stmt = stmt.where(Batch.no_trace_codes.is_(True))
    stmt = stmt.order_by(Drug.pinyin_sort, Drug.generic_name, Drug.id, Batch.expiry, Batch.id)
    return [_batch_info(b, d, today) for b, d in session.execute(stmt)]


def used_units(session: Session, store_id: str, since: datetime) -> dict[str, int]:
    """Net units dispensed per drug since ``since`` (dispensing minus its reversals)."""
    out: dict[str, int] = {}
    rows = session.execute(
        select(StockMovement.drug_id, func.sum(StockMovement.quantity))
        .where(StockMovement.store_id == store_id, StockMovement.kind == MovementKind.DISPENSE.value,
               StockMovement.occurred_at >= since)
        .group_by(StockMovement.drug_id)
    )
    for drug_id, total in rows:
        out[drug_id] = -int(total or 0)
    original = aliased(StockMovement)
    rows = session.execute(
        select(StockMovement.drug_id, func.sum(StockMovement.quantity))
        .join(original, original.id == StockMovement.reverses_id)
        .where(StockMovement.store_id == store_id, StockMovement.kind == MovementKind.REVERSAL.value,
               StockMovement.occurred_at >= since, original.kind == MovementKind.DISPENSE.value)
        .group_by(StockMovement.drug_id)
    )
    for drug_id, total in rows:
        out[drug_id] = out.get(drug_id, 0) - int(total or 0)
    return out


@dataclass(frozen=True)
class AlertWindows:
    near_days: int = 180
    urgent_days: int = 90
    low_stock_days: int = 15
    usage_days: int = 90


def on_hand_rows(
    session: Session, store_id: str, *, today: date, windows: AlertWindows = AlertWindows(), search: str = "",
    vbp: bool | None = None, coverage_class: str | None = None, alert: str | None = None, include_zero: bool = False,
    drug_ids: Iterable[str] | None = None,
) -> list[OnHandRow]:
    """On hand per drug (packs + units), value, nearest expiry and alert flags, filtered; in pinyin order."""
    drugs = select(Drug)
    if not include_zero and alert != "low":  # a drug out of stock is the lowest of all
        drugs = drugs.where(Drug.id.in_(select(Batch.drug_id).where(Batch.store_id == store_id, Batch.on_hand > 0)))
    else:
        drugs = drugs.where(Drug.active.is_(True))
    if drug_ids is not None:
        drugs = drugs.where(Drug.id.in_(list(drug_ids)))
    if vbp is not None:
        drugs = drugs.where(Drug.is_vbp.is_(vbp))
    if coverage_class:
        drugs = drugs.where(Drug.coverage_class == coverage_class)
    text = (search or "").strip()
    if text:
        like = "%" + text.replace("%", "").replace("_", "") + "%"
        first, other = key_patterns(text)
        drugs = drugs.where(
            Drug.pinyin_keys.like(first) | Drug.pinyin_keys.like(other)
            | Drug.generic_name.like(like) | Drug.brand_name.like(like) | (Drug.barcode == text)
            | (Drug.national_code == text.upper())
        )
    by_drug = {d.id: d for d in session.scalars(drugs)}
    own = settings_of(session, store_id, by_drug)
    batches: dict[str, list[Batch]] = {}
    if by_drug:
        for b in session.scalars(select(Batch).where(Batch.store_id == store_id, Batch.on_hand > 0)):
            if b.drug_id in by_drug:
                batches.setdefault(b.drug_id, []).append(b)
    since = datetime.combine(today - timedelta(days=windows.usage_days), datetime.min.time())
    usage = used_units(session, store_id, since)
    rows = []
    for d in by_drug.values():
        lots = batches.get(d.id, [])
        total = sum(b.on_hand for b in lots)
        mine = own.get(d.id, NONE)
        flags = set()
        usable = 0
        for b in lots:
            if b.on_hand <= 0:
                continue
            left = (b.expiry - today).days
            if left < 0:
                flags.add("expired")
                continue
            usable += b.on_hand
            if left <= windows.near_days:
                flags.add("near_expiry")
            if left <= windows.urgent_days:
                flags.add("urgent")
            if b.no_trace_codes:
                flags.add("no_code")
        if is_low(usable, mine.min_stock_units, usage.get(d.id, 0), windows):
            flags.add("low")
        if alert and alert not in flags:
            continue
        live = [b.expiry for b in lots if b.on_hand > 0]
        packs, loose = split_packs(total, d.units_per_pack)
        rows.append(OnHandRow(
            d.id, d.generic_name, d.brand_name, d.strength, d.national_code, d.pack_unit, d.base_unit,
            d.units_per_pack, total, packs, loose,
            sum(batch_value_fen(b.on_hand, b.pack_cost_fen, d.units_per_pack) for b in lots),
            min(live) if live else None, d.coverage_class, d.is_vbp, mine.shelf, d.category, mine.min_stock_units,
            frozenset(flags),
        ))
    # people scan the list by name: pinyin order (阿莫西林 before 氨氯地平), not by character code
    rows.sort(key=lambda r: (by_drug[r.drug_id].pinyin_sort, r.generic_name, r.drug_id))
    return rows


def is_low(usable: int, min_stock: int, used: int, windows: AlertWindows) -> bool:
    """Below the drug's minimum, or below ``low_stock_days`` of average daily use."""
    if min_stock > 0 and usable < min_stock:
        return True
    # usable < days × used / usage_days, in integers
    return used > 0 and usable * windows.usage_days < windows.low_stock_days * used


# -- stock card ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CardRow:
    seq: int
    movement_id: str
    occurred_at: datetime
    kind: str
    kind_label: str
    doc_type: str
    doc_id: str | None
    batch_id: str
    batch_no: str
    expiry: date
    quantity: int  # signed base units: + in, − out
    balance_units: int  # the drug's running balance in this store after the row
    batch_balance_units: int
    reason: str
    user_id: str | None
    reverses_id: str | None
    #: the document's own number (票据号, or the stock document's number), '' when it has none
    doc_no: str = ""


@dataclass(frozen=True)
class CardPage:
    rows: tuple[CardRow, ...]
    #: pass as ``after_seq`` to fetch the next page; None when this was the last page
    next_after_seq: int | None


def stock_card_page(
    session: Session, store_id: str, drug_id: str, *, after_seq: int | None = None, limit: int = 200,
    date_from: date | None = None, date_to: date | None = None, kinds: Iterable[str] | None = None,
    newest_first: bool = False,
) -> CardPage:
    """One page of a drug's stock card, keyset-paged on ``seq``.

    ``after_seq`` is the ``next_after_seq`` of the previous page (with ``newest_first`` the pages
    run backwards and it means "rows before this seq").
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10000:
        raise ValidationError("每页行数应在 1–10000 之间", "每页行数")
    m = StockMovement
    cond = [m.store_id == store_id, m.drug_id == drug_id]
    if after_seq is not None:
        cond.append(m.seq < after_seq if newest_first else m.seq > after_seq)
    if date_from is not None:
        cond.append(m.occurred_at >= datetime.combine(date_from, datetime.min.time()))
    if date_to is not None:
        cond.append(m.occurred_at < datetime.combine(date_to + timedelta(days=1), datetime.min.time()))
    kinds = [str(k) for k in kinds] if kinds else None
    if kinds:
        cond.append(m.kind.in_(kinds))
    stmt = (
        select(m, Batch.batch_no, Batch.expiry)
        .join(Batch, Batch.id == m.batch_id)
        .where(and_(*cond))
        .order_by(m.seq.desc() if newest_first else m.seq)
        .limit(limit + 1)
    )
    found = list(session.execute(stmt))
    numbers = document_numbers(session, store_id, ((mv.doc_type, mv.doc_id, mv.kind) for mv, _b, _e in found))
    rows = []
    for mv, batch_no, expiry in found:
        rows.append(CardRow(
            mv.seq, mv.id, mv.occurred_at, mv.kind, _label(mv.kind), mv.doc_type, mv.doc_id, mv.batch_id, batch_no,
            expiry, mv.quantity, mv.drug_balance_after, mv.batch_balance_after, mv.reason, mv.user_id, mv.reverses_id,
            number_of(numbers, mv.doc_type, mv.doc_id, mv.kind),
        ))
    more = len(rows) > limit
    rows = rows[:limit]
    return CardPage(tuple(rows), rows[-1].seq if more and rows else None)


def stock_card_count(session: Session, store_id: str, drug_id: str) -> int:
    """Exact number of rows on a drug's card (an index range count; call it lazily)."""
    return int(session.scalar(
        select(func.count()).select_from(StockMovement)
        .where(StockMovement.store_id == store_id, StockMovement.drug_id == drug_id)
    ) or 0)


def _label(kind: str) -> str:
    try:
        return MOVEMENT_LABELS[MovementKind(kind)]
    except ValueError:
        return kind


# -- recent movements (入库 / 报损 lists) ----------------------------------------------------------
@dataclass(frozen=True)
class RecentMovement:
    movement_id: str
    seq: int
    occurred_at: datetime
    kind: str
    kind_label: str
    drug_id: str
    generic_name: str
    strength: str
    pack_unit: str
    base_unit: str
    units_per_pack: int
    batch_id: str
    batch_no: str
    expiry: date
    quantity: int  # signed base units
    reason: str
    doc_type: str
    doc_id: str | None
    reversed: bool
    #: the document's own number (see ``app.services.stock.documents``), '' when it has none
    doc_no: str = ""


def recent_movements(session: Session, store_id: str, kinds: Iterable[str], limit: int = 100) -> list[RecentMovement]:
    """The store's latest movements of ``kinds``, newest first (index ``(store_id, kind, occurred_at)``)."""
    m = StockMovement
    undone = aliased(StockMovement)
    stmt = (
        select(m, Batch.batch_no, Batch.expiry, Drug, undone.id)
        .join(Batch, Batch.id == m.batch_id).join(Drug, Drug.id == m.drug_id)
        .outerjoin(undone, undone.reverses_id == m.id)
        .where(m.store_id == store_id, m.kind.in_([str(k) for k in kinds]))
        .order_by(m.occurred_at.desc(), m.seq.desc()).limit(max(1, min(int(limit), 1000)))
    )
    found = list(session.execute(stmt))
    numbers = document_numbers(session, store_id, ((r[0].doc_type, r[0].doc_id, r[0].kind) for r in found))
    return [
        RecentMovement(mv.id, mv.seq, mv.occurred_at, mv.kind, _label(mv.kind), d.id, d.generic_name, d.strength,
                       d.pack_unit, d.base_unit, d.units_per_pack, mv.batch_id, batch_no, expiry, mv.quantity,
                       mv.reason, mv.doc_type, mv.doc_id, undone_id is not None,
                       number_of(numbers, mv.doc_type, mv.doc_id, mv.kind))
        for mv, batch_no, expiry, d, undone_id in found
    ]
