"""The stock ledger (re-exported by ``app.services.stock.service``): receipts, reversals, adjustments, write-offs, returns.

Every change is a new ``StockMovement`` row (never updated or deleted) with the store's next
``seq``, the batch and drug balances after it, and the cached ``batch.on_hand`` updated in the same
transaction (DESIGN §3). FEFO dispensing is in ``app.services.stock.dispensing``. The ``*_in``
functions run inside a caller's unit of work (the settlement
service dispenses and reverses inside its own transaction); ``StockService`` wraps them in a unit
of work of its own and writes the audit rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from app.db.models import Batch, Drug, StockMovement, Store
from app.domain.enums import MovementKind, TraceEventKind
from app.domain.errors import ForeignRecordError, NotFoundError, RuleViolation, ValidationError
from app.domain.fefo import check_quantity, is_expired, parse_quantity
from app.services.stock import tracecodes

#: movements that send boxes out of the store, and what they mean for the boxes' trace codes
SENDING = {MovementKind.TRANSFER_OUT: TraceEventKind.SHIPPED, MovementKind.RETURN_TO_TOWNSHIP: TraceEventKind.RETURNED,
           MovementKind.SUPPLIER_RETURN: TraceEventKind.SUPPLIER_RETURNED}

@dataclass(frozen=True)
class Allocation:
    """One batch's share of a dispensed quantity."""

    batch_id: str
    batch_no: str
    expiry: date
    quantity: int


# -- helpers -----------------------------------------------------------------------------------
def get_drug(session: Session, drug_id: str) -> Drug:
    drug = session.get(Drug, drug_id) if drug_id else None
    if drug is None:
        raise NotFoundError(f"药品：找不到编号为 {drug_id or '（空）'} 的药品，请从药品目录中选择", "药品")
    return drug


def get_store(session: Session, store_id: str) -> Store:
    store = session.get(Store, store_id) if store_id else None
    check_store(session, store, store_id)
    return store


def check_store(session: Session, store: Store | Row | None, store_id: str) -> None:
    """The store exists and belongs to this site (stock moves only at the store's own site)."""
    if store is None:
        raise NotFoundError(f"药库：找不到编号为 {store_id or '（空）'} 的药库", "药库")
    local = session.info.get("local_site_id")
    if local is not None and store.owner_site_id != local:
        raise ForeignRecordError(f"药库“{store.name}”属于其他机构，本机不能出入库", "药库")


def get_batch(session: Session, batch_id: str) -> Batch:
    batch = session.get(Batch, batch_id) if batch_id else None
    if batch is None:
        raise NotFoundError(f"批次：找不到编号为 {batch_id or '（空）'} 的批次", "批次")
    get_store(session, batch.store_id)
    return batch


def next_seq(session: Session, store_id: str) -> int:
    """The store's next ledger position (one probe of the (store_id, seq) index)."""
    last = session.scalar(select(func.max(StockMovement.seq)).where(StockMovement.store_id == store_id))
    return (last or 0) + 1


def drug_balance(session: Session, store_id: str, drug_id: str) -> int:
    """The drug's running balance in the store: ``drug_balance_after`` of its last ledger row.

    One probe of the card index (store_id, drug_id, seq), however long the ledger; equal to
    ``drug_on_hand`` while on hand = Σ movements (which ``cunyi check`` proves).
    """
    last = session.scalar(
        select(StockMovement.drug_balance_after)
        .where(StockMovement.store_id == store_id, StockMovement.drug_id == drug_id)
        .order_by(StockMovement.seq.desc())
        .limit(1)
    )
    return int(last or 0)


def drug_on_hand(session: Session, store_id: str, drug_id: str) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Batch.on_hand), 0)).where(Batch.store_id == store_id, Batch.drug_id == drug_id)
    )
    return int(total or 0)


def usable_on_hand(session: Session, store_id: str, drug_id: str, today: date) -> int:
    """Unexpired stock of a drug in a store (base units): what FEFO may still take."""
    total = session.scalar(select(func.coalesce(func.sum(Batch.on_hand), 0)).where(
        Batch.store_id == store_id, Batch.drug_id == drug_id, Batch.expiry >= today, Batch.on_hand > 0))
    return int(total or 0)


def _reason(text: str | None, field: str = "原因") -> str:
    reason = str(text or "").strip()
    if not reason:
        raise ValidationError(f"{field}不能为空，请写明原因", field)
    if len(reason) > 128:
        raise ValidationError(f"{field}太长（最多 128 字）", field)
    return reason


def post_movement(
    session: Session,
    batch: Batch,
    *,
    kind: MovementKind | str,
    quantity: int,
    at: datetime,
    doc_type: str,
    doc_id: str | None,
    user_id: str | None,
    reason: str = "",
    reverses_id: str | None = None,
) -> StockMovement:
    """Append one ledger row and move the batch's cached on-hand with it (never below zero)."""
    if quantity == 0:
        raise ValidationError("数量不能为 0", "数量")
    after = batch.on_hand + quantity
    if after < 0:
        raise RuleViolation(
            f"数量：批次 {batch.batch_no} 只有 {batch.on_hand}，不能减少 {-quantity}，库存不能为负", "数量"
        )
    seq = next_seq(session, batch.store_id)
    balance = drug_balance(session, batch.store_id, batch.drug_id) + quantity
    batch.on_hand = after
    row = StockMovement(
        seq=seq,
        store_id=batch.store_id,
        drug_id=batch.drug_id,
        batch_id=batch.id,
        kind=str(kind),
        quantity=quantity,
        occurred_at=at,
        doc_type=doc_type,
        doc_id=doc_id,
        reason=reason,
        reverses_id=reverses_id,
        user_id=user_id,
        batch_balance_after=after,
        drug_balance_after=balance,
    )
    session.add(row)
    session.flush()
    return row


class NearExpiryError(RuleViolation):
    """A batch that expires within the near-expiry window, received without ``accept_near_expiry``.

    Nothing was written; the 入库 form asks the user to confirm (naming ``days_left``) and receives again.
    """

    def __init__(self, batch_no: str, expiry: date, days_left: int, near_days: int) -> None:
        super().__init__(
            f"效期：批号 {batch_no} 将于 {expiry.isoformat()} 到期，只剩 {days_left} 天（近效期为 {near_days} 天内），"
            "近效期药品需确认后才能入库", "效期")
        self.batch_no = batch_no
        self.expiry = expiry
        self.days_left = days_left
        self.near_days = near_days


def check_receivable_expiry(batch_no: str, expiry: object, today: date) -> date:
    """The 效期 of a receipt: a date, not yet passed; else ``ValidationError``/``RuleViolation`` on 效期."""
    if not isinstance(expiry, date) or isinstance(expiry, datetime):
        raise ValidationError("效期必须是日期，如 2027-06-30", "效期")
    if is_expired(expiry, today):
        raise RuleViolation(f"效期：批号 {batch_no} 已于 {expiry.isoformat()} 过期，过期药品不能入库", "效期")
    return expiry


def check_near_expiry(batch_no: str, expiry: date, today: date, near_days: int, accepted: bool) -> None:
    """Refuse (``NearExpiryError``) a batch expiring within ``near_days`` unless the user ``accepted`` it."""
    days_left = (expiry - today).days
    if days_left <= near_days and not accepted:
        raise NearExpiryError(batch_no, expiry, days_left, near_days)


# -- functions used inside another service's unit of work ---------------------------------------
def receive_in(
    session: Session,
    *,
    store_id: str,
    drug_id: str,
    batch_no: str,
    expiry: date,
    quantity_units: int | str,
    pack_cost_fen: int,
    at: datetime,
    doc_type: str,
    doc_id: str | None,
    user_id: str | None,
    trace_codes: Sequence[str] = (),
    kind: MovementKind | str = MovementKind.RECEIPT,
) -> str:
    """Receive stock into the batch (store, drug, batch no, expiry), creating it if new; return its id.

    ``quantity_units`` is base units, or what the user typed (``"2"``, ``"14片"``). The fields are
    checked in the order the 入库 form shows them (药品, 批号, 效期, 数量, 进价, 追溯码), so the first
    mistake on the screen is the one reported.
    """
    store = get_store(session, store_id)
    drug = get_drug(session, drug_id)
    batch_no = str(batch_no or "").strip()
    if not batch_no:
        raise ValidationError("批号不能为空，请照药盒上的批号填写", "批号")
    if len(batch_no) > 32:
        raise ValidationError("批号太长（最多 32 位）", "批号")
    check_receivable_expiry(batch_no, expiry, at.date())
    if isinstance(quantity_units, str):
        quantity = parse_quantity(quantity_units, drug.pack_unit, drug.base_unit, drug.units_per_pack)
    else:
        quantity = check_quantity(quantity_units)
    if isinstance(pack_cost_fen, bool) or not isinstance(pack_cost_fen, int) or pack_cost_fen < 0:
        raise ValidationError(f"进价“{pack_cost_fen}”必须是不小于 0 的整数（分）", "进价")
    codes = tracecodes.normalise_codes(trace_codes)
    packs = -(-quantity // max(drug.units_per_pack, 1))
    if len(codes) > packs:
        raise ValidationError(
            f"{tracecodes.TRACE_FIELD}：扫了 {len(codes)} 个码，但本次只入库 {packs}{drug.pack_unit}，请核对", tracecodes.TRACE_FIELD
        )
    batch = session.scalar(
        select(Batch).where(
            Batch.store_id == store.id, Batch.drug_id == drug.id, Batch.batch_no == batch_no, Batch.expiry == expiry
        )
    )
    if batch is None:
        batch = Batch(
            store_id=store.id, drug_id=drug.id, batch_no=batch_no, expiry=expiry, pack_cost_fen=pack_cost_fen,
            on_hand=0, received_on=at.date(), no_trace_codes=not codes,
        )
        session.add(batch)
        session.flush()
    elif not codes and not batch.no_trace_codes:
        batch.no_trace_codes = True
    post_movement(session, batch, kind=kind, quantity=quantity, at=at, doc_type=doc_type, doc_id=doc_id, user_id=user_id)
    if codes:
        tracecodes.receive_codes(session, codes=codes, drug_id=drug.id, batch_id=batch.id, store_id=store.id, at=at,
                                 doc_type=doc_type, doc_id=doc_id)
    return batch.id


def reverse_movement_in(
    session: Session, *, movement_id: str, at: datetime, user_id: str | None, reason: str
) -> StockMovement:
    """Undo one movement with a REVERSAL row on the same batch. A movement is reversed at most once."""
    reason = _reason(reason, "冲正原因")
    original = session.get(StockMovement, movement_id) if movement_id else None
    if original is None:
        raise NotFoundError(f"台账记录：找不到编号为 {movement_id} 的出入库记录", "台账记录")
    if original.kind == MovementKind.REVERSAL:
        raise RuleViolation("台账记录：这是一条冲正记录，冲正记录不能再冲正；如需更正请做盘点调整", "台账记录")
    done = session.scalar(select(StockMovement).where(StockMovement.reverses_id == original.id))
    if done is not None:
        raise RuleViolation(
            f"台账记录：该记录已于 {done.occurred_at:%Y-%m-%d %H:%M} 冲正过（台账序号 {done.seq}），不能重复冲正", "台账记录"
        )
    batch = get_batch(session, original.batch_id)
    row = post_movement(
        session, batch, kind=MovementKind.REVERSAL, quantity=-original.quantity, at=at, doc_type=original.doc_type,
        doc_id=original.doc_id, user_id=user_id, reason=reason, reverses_id=original.id,
    )
    if original.kind in (MovementKind.RECEIPT, MovementKind.TRANSFER_IN):
        tracecodes.unreceive_codes(session, batch_id=batch.id, doc_id=original.doc_id, at=at)
    elif original.kind in SENDING:
        tracecodes.unsend_codes(session, batch_id=batch.id, doc_id=original.doc_id, at=at)
    return row


def reverse_document_in(
    session: Session, *, doc_type: str, doc_id: str, at: datetime, user_id: str | None, reason: str
) -> int:
    """Reverse every not-yet-reversed movement of a document; its trace codes are un-sold. Returns the count."""
    originals = list(
        session.scalars(
            select(StockMovement)
            .where(
                StockMovement.doc_type == doc_type,
                StockMovement.doc_id == doc_id,
                StockMovement.kind != MovementKind.REVERSAL.value,
            )
            .order_by(StockMovement.seq)
        )
    )
    ids = [m.id for m in originals]
    reversed_ids = set(
        session.scalars(select(StockMovement.reverses_id).where(StockMovement.reverses_id.in_(ids))) if ids else ()
    )
    count = 0
    for original in originals:
        if original.id in reversed_ids:
            continue
        reverse_movement_in(session, movement_id=original.id, at=at, user_id=user_id, reason=str(reason or "")[:128])
        count += 1
    tracecodes.unsell_codes(session, doc_id, at)
    return count


def adjust_in(
    session: Session, *, batch_id: str, delta: int, at: datetime, user_id: str | None, reason: str,
    doc_type: str = "adjustment", doc_id: str | None = None,
) -> StockMovement:
    """An ADJUSTMENT row (+ gain / − loss) with a reason."""
    reason = _reason(reason, "调整原因")
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise ValidationError(f"调整数量“{delta}”必须是整数", "调整数量")
    check_quantity(abs(delta), "调整数量")
    batch = get_batch(session, batch_id)
    return post_movement(
        session, batch, kind=MovementKind.ADJUSTMENT, quantity=delta, at=at, doc_type=doc_type, doc_id=doc_id,
        user_id=user_id, reason=reason,
    )


def remove_in(
    session: Session, *, batch_id: str, quantity_units: int, kind: MovementKind, at: datetime,
    user_id: str | None, reason: str, doc_type: str, doc_id: str | None = None, trace_codes: Sequence[str] = (),
) -> StockMovement:
    """Take stock out of one named batch (write-off 报损, return to township 退回乡镇, 调拨出库), with a reason.

    The trace codes of the boxes that leave (a return or a transfer out) are no longer sellable here.
    """
    quantity = check_quantity(quantity_units)
    reason = _reason(reason)
    batch = get_batch(session, batch_id)
    codes = tracecodes.normalise_codes(trace_codes)
    if codes and kind not in SENDING:
        raise ValidationError(f"{tracecodes.TRACE_FIELD}：只有退回乡镇和调拨出库登记追溯码", tracecodes.TRACE_FIELD)
    row = post_movement(
        session, batch, kind=kind, quantity=-quantity, at=at, doc_type=doc_type, doc_id=doc_id, user_id=user_id,
        reason=reason,
    )
    if codes:
        tracecodes.send_codes(session, codes=codes, kind=SENDING[MovementKind(kind)], drug_id=batch.drug_id,
                              store_id=batch.store_id, at=at, doc_type=doc_type, doc_id=doc_id)
    return row


__all__ = [
    "Allocation",
    "adjust_in",
    "check_store",
    "drug_balance",
    "drug_on_hand",
    "get_batch",
    "get_drug",
    "get_store",
    "next_seq",
    "post_movement",
    "receive_in",
    "remove_in",
    "reverse_document_in",
    "reverse_movement_in",
]
