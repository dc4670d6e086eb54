"""A village's 调拨入库: it counts what arrived of a shipment; TRANSFER_IN of what came, the shortfall on the
receipt line (the township's loss). The receipt's id is derived from the shipment's, so it happens once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from app.db.models import Drug, TransferReceipt, TransferReceiptLine
from app.domain.enums import MovementKind
from app.domain.errors import (
    ForeignRecordError,
    NotFoundError,
    RuleViolation,
    ValidationError,
)
from app.domain.ids import derived_id
from app.services.core.context import requires
from app.services.stock import tracecodes
from app.services.stock.ledger import receive_in

from .common import TransfersBase, codes_of, text, units_of
from .shipments import shipment_lines, shipment_row
from .types import ReceiptDone


def receipt_id_of(shipment_id: str) -> str:
    return derived_id(shipment_id, "transfer_receipt")


def receipt_line_id_of(shipment_line_id: str) -> str:
    return derived_id(shipment_line_id, "transfer_receipt_line")


class ReceiptsMixin(TransfersBase):
    @requires("transfers.receive_shipment")
    def receive_shipment(self, shipment_id: str, counted: Mapping[str, int | str] | None = None, *,
                         reasons: Mapping[str, str] | None = None,
                         trace_codes: Mapping[str, Sequence[str]] | None = None, note: str = "",
                         at: datetime | None = None) -> ReceiptDone:
        """调拨入库: ``counted`` per shipment line (a line not in it arrived whole); a shortfall needs a reason.

        Each line's lot is received into this store (same batch no, expiry, price) with TRANSFER_IN; the boxes'
        codes are received here: those scanned for the line, else (a line that arrived whole) those shipped.
        """
        counted, reasons, trace_codes = counted or {}, reasons or {}, trace_codes or {}
        note = text(note, "备注", 200)
        site_id, at = self._site_id(), self._at(at)
        user_id, user_name = self._user
        with self.db.unit_of_work() as uow:
            s = uow.session
            row = shipment_row(s, shipment_id)
            if row.to_site_id != site_id:
                raise ForeignRecordError(f"调拨出库单：{row.shipment_no} 不是发给本村卫生室的，不能在这里收货", "调拨出库单")
            if row.status != "shipped":
                said = {"draft": "乡镇还没有出库", "cancelled": "已作废"}.get(row.status, row.status)
                raise RuleViolation(f"调拨出库单：{row.shipment_no} {said}，不能收货", "调拨出库单")
            receipt_id = receipt_id_of(row.id)
            before = s.get(TransferReceipt, receipt_id)
            if before is not None:
                raise RuleViolation(f"调拨出库单：{row.shipment_no} 已于 {before.received_at:%Y-%m-%d %H:%M} 收货，"
                                    "同一张单不能收货两次", "调拨出库单")
            lines = [ln for ln in shipment_lines(s, row.id) if ln.quantity > 0]
            known = {ln.id for ln in lines}
            for mapping, field in ((counted, "实收数量"), (reasons, "短少原因"), (trace_codes, tracecodes.TRACE_FIELD)):
                if set(mapping) - known:
                    raise NotFoundError(f"{field}：有一行不在调拨出库单 {row.shipment_no} 上", field)
            store_id = self._store_of(s, site_id)
            s.add(TransferReceipt(id=receipt_id, shipment_id=row.id, site_id=site_id, store_id=store_id, received_at=at,
                                  user_id=user_id, user_name=user_name, note=note))
            s.flush()
            got_total = lost_total = 0
            for line in lines:
                drug = s.get(Drug, line.drug_id)
                got = units_of(drug, counted[line.id], "实收数量", allow_zero=True) if line.id in counted else line.quantity
                if got > line.quantity:
                    raise RuleViolation(f"实收数量：“{drug.generic_name}”批号 {line.batch_no} 发出 {line.quantity}"
                                        f"{drug.base_unit}，实收 {got}{drug.base_unit} 不能多于发出", "实收数量")
                lost = line.quantity - got
                reason = text(reasons.get(line.id, ""), "短少原因", 128)
                if lost and not reason:
                    raise ValidationError(f"短少原因：“{drug.generic_name}”批号 {line.batch_no} 少了 {lost}"
                                          f"{drug.base_unit}，请写明短少原因", "短少原因")
                shipped_codes = codes_of(line.trace_codes)
                if line.id in trace_codes:
                    codes = tracecodes.normalise_codes(trace_codes[line.id])
                    stray = [c for c in codes if c not in shipped_codes]
                    if stray:
                        raise ValidationError(f"{tracecodes.TRACE_FIELD} {stray[0]} 不在这一行发出的药盒中，请核对",
                                              tracecodes.TRACE_FIELD)
                else:
                    codes = list(shipped_codes) if not lost else []
                batch_id = None
                if got:
                    batch_id = receive_in(s, store_id=store_id, drug_id=drug.id, batch_no=line.batch_no,
                                          expiry=line.expiry, quantity_units=got, pack_cost_fen=line.pack_price_fen,
                                          at=at, doc_type="transfer_receipt", doc_id=receipt_id, user_id=user_id,
                                          trace_codes=codes, kind=MovementKind.TRANSFER_IN)
                elif codes:
                    raise ValidationError(f"{tracecodes.TRACE_FIELD}：实收为 0 的一行不能扫码入库", tracecodes.TRACE_FIELD)
                s.add(TransferReceiptLine(id=receipt_line_id_of(line.id), receipt_id=receipt_id,
                                          shipment_line_id=line.id, drug_id=drug.id, batch_id=batch_id,
                                          qty_shipped=line.quantity, qty_received=got, qty_lost=lost, reason=reason))
                got_total += got
                lost_total += lost
            s.flush()
            self._audit(s, "transfers.receive", "transfer_receipts", receipt_id, shipment_no=row.shipment_no,
                        received_units=got_total, lost_units=lost_total)
            return ReceiptDone(receipt_id, got_total, lost_total)
