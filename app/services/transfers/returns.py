"""Returns 退回乡镇: a village's ``StockReturn`` rows (written by ``StockService.return_to_township``) as lists,
and the township's receipt of one into its store (RECEIPT, doc ``return_receipt``, credited to the village at
the procurement price). A near-expiry lot 调剂 to another village goes on from there as a new shipment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import Batch, Drug, ReturnReceipt, StockReturn
from app.domain.enums import MovementKind
from app.domain.errors import NotFoundError, RuleViolation, ValidationError
from app.domain.ids import derived_id
from app.services.core.context import requires
from app.services.stock import tracecodes
from app.services.stock.ledger import get_store, post_movement

from .common import TransfersBase, amount_fen, codes_of, site_names
from .types import ReturnInfo


def return_receipt_id_of(return_id: str) -> str:
    return derived_id(return_id, "return_receipt")


def receive_lot(s: OrmSession, *, store_id: str, drug_id: str, batch_no: str, expiry, quantity: int,
                pack_cost_fen: int, at: datetime, doc_type: str, doc_id: str, user_id: str | None,
                codes: list[str]) -> str:
    """Stock back into the store's lot (created if new), expired or not: a returned box is taken back whatever
    its date (the township writes it off if it has expired). Returns the batch id."""
    store = get_store(s, store_id)
    batch = s.scalar(select(Batch).where(Batch.store_id == store.id, Batch.drug_id == drug_id,
                                         Batch.batch_no == batch_no, Batch.expiry == expiry))
    if batch is None:
        batch = Batch(store_id=store.id, drug_id=drug_id, batch_no=batch_no, expiry=expiry, pack_cost_fen=pack_cost_fen,
                      on_hand=0, received_on=at.date(), no_trace_codes=not codes)
        s.add(batch)
        s.flush()
    post_movement(s, batch, kind=MovementKind.RECEIPT, quantity=quantity, at=at, doc_type=doc_type, doc_id=doc_id,
                  user_id=user_id)
    if codes:
        tracecodes.receive_codes(s, codes=codes, drug_id=drug_id, batch_id=batch.id, store_id=store.id, at=at,
                                 doc_type=doc_type, doc_id=doc_id)
    return batch.id


class ReturnsMixin(TransfersBase):
    @requires("transfers.read")
    def returns(self, *, status: str | None = None, site_id: str | None = None) -> list[ReturnInfo]:
        """退回乡镇 of the villages (at a village: its own), newest first; ``status`` waiting | received."""
        if status not in (None, "waiting", "received"):
            raise ValidationError(f"状态“{status}”应为 waiting 或 received", "状态")
        site_id = self._scope(site_id)
        with self.db.read() as s:
            stmt = (select(StockReturn, Drug, ReturnReceipt.received_at).join(Drug, Drug.id == StockReturn.drug_id)
                    .outerjoin(ReturnReceipt, ReturnReceipt.return_id == StockReturn.id)
                    .order_by(StockReturn.returned_at.desc(), StockReturn.return_no.desc()))
            if site_id:
                stmt = stmt.where(StockReturn.site_id == site_id)
            if status == "waiting":
                stmt = stmt.where(ReturnReceipt.id.is_(None))
            elif status == "received":
                stmt = stmt.where(ReturnReceipt.id.is_not(None))
            names = site_names(s)
            return [ReturnInfo(r.id, r.return_no, r.site_id, names.get(r.site_id, ""), r.returned_at, d.id,
                               d.generic_name, d.strength, d.units_per_pack, d.pack_unit, d.base_unit, r.batch_no,
                               r.expiry, r.quantity, r.pack_price_fen,
                               amount_fen(r.quantity, r.pack_price_fen, d.units_per_pack), r.reason,
                               "received" if got is not None else "waiting", got, codes_of(r.trace_codes))
                    for r, d, got in s.execute(stmt)]

    @requires("transfers.receive_return")
    def receive_return(self, return_id: str, *, at: datetime | None = None) -> str:
        """验收 a village's return into the township store (same lot); returns the ``ReturnReceipt`` id."""
        site_id, at = self._site_id(), self._at(at)
        user_id, user_name = self._user
        with self.db.unit_of_work() as uow:
            s = uow.session
            back = s.get(StockReturn, return_id) if return_id else None
            if back is None:
                raise NotFoundError("退回单：找不到这张退回单", "退回单")
            village = self._village(s, back.site_id)
            receipt_id = return_receipt_id_of(back.id)
            before = s.get(ReturnReceipt, receipt_id)
            if before is not None:
                raise RuleViolation(f"退回单：{village.name}的退回单 {back.return_no} 已于 "
                                    f"{before.received_at:%Y-%m-%d %H:%M} 验收入库，不能重复验收", "退回单")
            drug = s.get(Drug, back.drug_id)
            receive_lot(s, store_id=self._store_of(s, site_id), drug_id=drug.id, batch_no=back.batch_no,
                        expiry=back.expiry, quantity=back.quantity, pack_cost_fen=back.pack_price_fen, at=at,
                        doc_type="return_receipt", doc_id=receipt_id, user_id=user_id,
                        codes=list(codes_of(back.trace_codes)))
            value = amount_fen(back.quantity, back.pack_price_fen, drug.units_per_pack)
            # ``batch_id`` is the village's lot the return came from: the row is addressed to the village, which
            # never holds the township's batches (the township's lot is the RECEIPT of doc ``return_receipt``)
            s.add(ReturnReceipt(id=receipt_id, return_id=back.id, site_id=back.site_id, received_at=at,
                                quantity=back.quantity, amount_fen=value, batch_id=back.batch_id, user_id=user_id,
                                user_name=user_name, to_site_id=back.site_id))
            s.flush()
            self._audit(s, "transfers.return_receive", "return_receipts", receipt_id, return_no=back.return_no,
                        village=village.name, drug=drug.generic_name, quantity=back.quantity, total_fen=value)
            return receipt_id
