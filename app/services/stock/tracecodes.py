"""Trace codes 药品追溯码: the append-only events of each box, and the rules over them.

Each fact about a code is a ``trace_code_events`` row owned by the site that acted: received at a
receipt, sold at dispensing, unsold by a reversal, shipped or returned out of the store, unreceived
when a receipt is reversed. A code's state at a store is its latest event there (highest ``seq``).

- A code is sold at most once: while its latest event at some store is a sale, a second sale (or a
  receipt) is refused with the date and the visit of that sale. A reversed sale puts it back.
- Received before sold: a sold code cannot be received; a code in stock cannot be received again.
- A code shipped or returned out of a store is not sold there.

Stock that arrived without codes is flagged on its batch (``no_trace_codes``, the 无码库 list) and
stays sellable; a code scanned at sale that was never received is recorded as sold there and then.
A 拆零 sale scans the box's code on the first split only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Drug, Settlement, TraceCodeEvent, Visit
from app.domain.codes import TRACE_FIELD, check_trace_code
from app.domain.enums import TraceEventKind as K
from app.domain.errors import RuleViolation, ValidationError

#: latest event kinds that leave the box on the store's shelf
ON_SHELF = (K.RECEIVED, K.UNSOLD)
#: latest event kinds that took the box out of the store (not sold there)
SENT_AWAY = (K.SHIPPED, K.RETURNED, K.SUPPLIER_RETURNED)


@dataclass(frozen=True)
class TraceCodeInfo:
    """Where a code stands: at the store of its latest event."""

    code: str
    drug_id: str
    batch_id: str | None
    store_id: str
    state: str  # the kind of the latest event
    received_at: datetime | None  # its receipt into that store, while the box is there or sold from it
    sold_at: datetime | None  # while sold
    sold_visit_id: str | None  # the document of that sale


@dataclass
class _AtStore:
    """The fold of one code's events at one store."""

    events: list[TraceCodeEvent]

    @property
    def latest(self) -> TraceCodeEvent:
        return self.events[-1]

    @property
    def next_seq(self) -> int:
        return self.latest.seq + 1

    @property
    def received(self) -> TraceCodeEvent | None:
        """The receipt that brought the box here, while it is here or sold from here."""
        found = None
        for event in self.events:
            if event.kind == K.RECEIVED:
                found = event
            elif event.kind in (K.UNRECEIVED, *SENT_AWAY):
                found = None
        return found

    @property
    def sale(self) -> TraceCodeEvent | None:
        return self.latest if self.latest.kind == K.SOLD else None

    @property
    def on_shelf(self) -> bool:
        return self.latest.kind in ON_SHELF


class _Code:
    """Every event of one code, by store."""

    def __init__(self, events: Iterable[TraceCodeEvent]) -> None:
        self.stores: dict[str, _AtStore] = {}
        for event in sorted(events, key=lambda e: (e.store_id, e.seq)):
            self.stores.setdefault(event.store_id, _AtStore([])).events.append(event)

    def at(self, store_id: str) -> _AtStore | None:
        return self.stores.get(store_id)

    def sale(self) -> TraceCodeEvent | None:
        """The sale that holds the code now (at any store), if any."""
        return next((s.sale for s in self.stores.values() if s.sale is not None), None)

    def in_stock(self) -> _AtStore | None:
        """The store whose shelf holds the received box, if any."""
        return next((s for s in self.stores.values() if s.on_shelf and s.received is not None), None)

    def last(self) -> _AtStore | None:
        """The store of the code's most recent event."""
        if not self.stores:
            return None
        return max(self.stores.values(), key=lambda s: (s.latest.created_at, s.latest.id))


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


def _load(session: Session, codes: list[str]) -> dict[str, _Code]:
    if not codes:
        return {}
    found: dict[str, list[TraceCodeEvent]] = {code: [] for code in codes}
    for event in session.scalars(select(TraceCodeEvent).where(TraceCodeEvent.code.in_(codes))):
        found[event.code].append(event)
    return {code: _Code(events) for code, events in found.items()}


def _append(session: Session, code: str, here: _AtStore | None, *, kind: K, store_id: str, drug_id: str,
            batch_id: str | None, at: datetime, doc_type: str, doc_id: str | None) -> TraceCodeEvent:
    event = TraceCodeEvent(
        code=code, store_id=store_id, drug_id=drug_id, batch_id=batch_id, kind=kind.value,
        seq=here.next_seq if here is not None else 1, doc_type=doc_type, doc_id=doc_id, occurred_at=at,
    )
    session.add(event)
    return event


def first_sale_text(session: Session, sale: TraceCodeEvent) -> str:
    """'已于 2026-03-01 14:05 售出（就诊 …，收据号 …）' — where a sold code went."""
    when = sale.occurred_at.strftime("%Y-%m-%d %H:%M") if sale.occurred_at else "?"
    where = f"单据 {sale.doc_id}"
    visit = session.get(Visit, sale.doc_id) if sale.doc_id else None
    if visit is not None:
        where = f"就诊 {visit.visit_date.isoformat()} 记录号 {visit.id}"
        receipt = session.scalar(select(Settlement.receipt_no).where(Settlement.visit_id == visit.id))
        if receipt:
            where += f"，收据号 {receipt}"
    return f"已于 {when} 售出（{where}）"


def _check_drug(session: Session, code: str, history: _Code, drug_id: str) -> None:
    last = history.last()
    if last is not None and last.latest.drug_id != drug_id:
        other = session.get(Drug, last.latest.drug_id)
        name = other.generic_name if other else last.latest.drug_id
        raise ValidationError(f"{TRACE_FIELD} {code} 属于“{name}”，不是本行药品，请核对药盒", TRACE_FIELD)


def _unsold(session: Session, codes: list[str], refusal: str) -> Iterator[tuple[str, _Code]]:
    """Each code with its history; a code sold anywhere is refused with its sale and ``refusal``."""
    histories = _load(session, codes)
    for code in codes:
        history = histories[code]
        sale = history.sale()
        if sale is not None:
            raise RuleViolation(f"{TRACE_FIELD} {code} {first_sale_text(session, sale)}，{refusal}", TRACE_FIELD)
        yield code, history


def receive_codes(
    session: Session, *, codes: Sequence[str], drug_id: str, batch_id: str, store_id: str, at: datetime,
    doc_type: str = "receipt", doc_id: str | None = None,
) -> int:
    """Record codes scanned at receipt; a code in stock or sold is refused."""
    codes = normalise_codes(codes)
    for code, history in _unsold(session, codes, "不能再入库"):
        stocked = history.in_stock()
        if stocked is not None:
            raise ValidationError(
                f"{TRACE_FIELD} {code} 已于 {stocked.received.occurred_at:%Y-%m-%d} 入库过，同一盒药不能入库两次",
                TRACE_FIELD,
            )
        _append(session, code, history.at(store_id), kind=K.RECEIVED, store_id=store_id, drug_id=drug_id,
                batch_id=batch_id, at=at, doc_type=doc_type, doc_id=doc_id)
    return len(codes)


def sell_codes(
    session: Session, *, codes: Sequence[str], drug_id: str, batch_id: str, store_id: str, at: datetime, doc_id: str,
    doc_type: str = "visit",
) -> int:
    """Mark codes sold by document ``doc_id``; a code sold before is refused with its sale."""
    codes = normalise_codes(codes)
    for code, history in _unsold(session, codes, "同一盒药不能销售两次"):
        here = history.at(store_id)
        if here is not None and here.latest.kind in SENT_AWAY:
            gone = here.latest
            raise RuleViolation(
                f"{TRACE_FIELD} {code} 已于 {gone.occurred_at:%Y-%m-%d %H:%M} {K(gone.kind).label}（单据 {gone.doc_id}），"
                "不在本药库，不能销售", TRACE_FIELD,
            )
        _check_drug(session, code, history, drug_id)
        received = here.received if here is not None and here.on_shelf else None
        _append(session, code, here, kind=K.SOLD, store_id=store_id, drug_id=drug_id,
                batch_id=received.batch_id if received is not None else batch_id, at=at, doc_type=doc_type,
                doc_id=doc_id)
    return len(codes)


def send_codes(
    session: Session, *, codes: Sequence[str], kind: K, drug_id: str, store_id: str, at: datetime, doc_type: str,
    doc_id: str | None,
) -> int:
    """Codes leaving the store (``shipped`` to another store or ``returned`` to the township)."""
    codes = normalise_codes(codes)
    for code, history in _unsold(session, codes, "不能再出库"):
        _check_drug(session, code, history, drug_id)
        here = history.at(store_id)
        if here is None or not here.on_shelf or here.received is None:
            raise ValidationError(f"{TRACE_FIELD} {code} 不在本药库的库存中（没有入库或已出库），请核对药盒", TRACE_FIELD)
        _append(session, code, here, kind=kind, store_id=store_id, drug_id=drug_id, batch_id=here.latest.batch_id,
                at=at, doc_type=doc_type, doc_id=doc_id)
    return len(codes)


def _undo(session: Session, *, doc_id: str | None, kinds: tuple[K, ...], to: K, at: datetime,
          batch_id: str | None = None) -> int:
    """Append ``to`` for every code whose latest event at its store is a ``kinds`` event of ``doc_id``."""
    if doc_id is None:
        return 0
    stmt = select(TraceCodeEvent).where(TraceCodeEvent.doc_id == doc_id, TraceCodeEvent.kind.in_([k.value for k in kinds]))
    if batch_id is not None:
        stmt = stmt.where(TraceCodeEvent.batch_id == batch_id)
    done = list(session.scalars(stmt))
    histories = _load(session, sorted({e.code for e in done}))
    count = 0
    for event in done:
        here = histories[event.code].at(event.store_id)
        if here is None or here.latest.id != event.id:
            continue
        _append(session, event.code, here, kind=to, store_id=event.store_id, drug_id=event.drug_id,
                batch_id=event.batch_id, at=at, doc_type=event.doc_type, doc_id=event.doc_id)
        count += 1
    return count


def unsell_codes(session: Session, doc_id: str, at: datetime) -> int:
    """A reversed sale: the codes it sold are back in stock."""
    return _undo(session, doc_id=doc_id, kinds=(K.SOLD,), to=K.UNSOLD, at=at)


def unreceive_codes(session: Session, *, batch_id: str, doc_id: str | None, at: datetime) -> int:
    """A reversed receipt: the codes it brought into the batch (and not sold since) were never here."""
    return _undo(session, doc_id=doc_id, kinds=(K.RECEIVED,), to=K.UNRECEIVED, at=at, batch_id=batch_id)


def unsend_codes(session: Session, *, batch_id: str, doc_id: str | None, at: datetime) -> int:
    """A reversed shipment or return: its codes are back on the shelf of the batch."""
    return _undo(session, doc_id=doc_id, kinds=SENT_AWAY, to=K.RECEIVED, at=at, batch_id=batch_id)


def lookup(session: Session, code: str) -> TraceCodeInfo | None:
    """Where one code stands (format-checked first), or None when it was never seen."""
    code = check_trace_code(code)
    history = _load(session, [code])[code]
    where = history.last()
    if where is None:
        return None
    sale, received = where.sale, where.received
    return TraceCodeInfo(
        code, where.latest.drug_id, where.latest.batch_id, where.latest.store_id, where.latest.kind,
        received.occurred_at if received else None, sale.occurred_at if sale else None, sale.doc_id if sale else None,
    )


def batch_of(session: Session, code: str) -> str | None:
    """The batch of a code's most recent event (the stocktake scanner finds the box's lot by it)."""
    where = _load(session, [code])[code].last()
    return where.latest.batch_id if where is not None else None
