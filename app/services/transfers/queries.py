"""Shipments as lists and details: their status (the village's receipt decides 已收货), quantities and value."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import (
    Drug,
    Requisition,
    Shipment,
    ShipmentLine,
    TransferReceipt,
    TransferReceiptLine,
)
from app.domain.errors import ValidationError
from app.services.core.context import requires

from .common import TransfersBase, amount_fen, codes_of, site_names
from .purchasing import month_span
from .shipments import shipment_lines, shipment_row
from .types import ShipmentDetail, ShipmentInfo, ShipmentLineInfo

STATUSES = ("draft", "in_transit", "received", "cancelled")


def shipment_infos(s: OrmSession, rows: Iterable[Shipment]) -> list[ShipmentInfo]:
    rows = list(rows)
    if not rows:
        return []
    ids = [r.id for r in rows]
    names = site_names(s)
    receipts = dict(s.execute(select(TransferReceipt.shipment_id, TransferReceipt.received_at)
                              .where(TransferReceipt.shipment_id.in_(ids))).all())
    req_nos = dict(s.execute(select(Requisition.id, Requisition.requisition_no).where(
        Requisition.id.in_([r.requisition_id for r in rows if r.requisition_id]))).all())
    figures: dict[str, list[int]] = {i: [0, 0, 0, 0, 0] for i in ids}  # lines, shipped, received, lost, value
    for line, per_pack in s.execute(select(ShipmentLine, Drug.units_per_pack).join(Drug, Drug.id == ShipmentLine.drug_id)
                                    .where(ShipmentLine.shipment_id.in_(ids))):
        f = figures[line.shipment_id]
        if line.quantity > 0:
            f[0] += 1
        f[1] += line.quantity
        f[4] += amount_fen(line.quantity, line.pack_price_fen, per_pack)
    for shipment_id, received, lost in s.execute(
            select(ShipmentLine.shipment_id, func.sum(TransferReceiptLine.qty_received), func.sum(TransferReceiptLine.qty_lost))
            .join(TransferReceiptLine, TransferReceiptLine.shipment_line_id == ShipmentLine.id)
            .where(ShipmentLine.shipment_id.in_(ids)).group_by(ShipmentLine.shipment_id)):
        figures[shipment_id][2], figures[shipment_id][3] = int(received or 0), int(lost or 0)
    result = []
    for r in rows:
        received_at = receipts.get(r.id)
        status = ("cancelled" if r.status == "cancelled" else "draft" if r.status == "draft"
                  else "received" if received_at is not None else "in_transit")
        f = figures[r.id]
        result.append(ShipmentInfo(r.id, r.shipment_no, r.to_site_id, names.get(r.to_site_id, ""), r.kind,
                                   req_nos.get(r.requisition_id) if r.requisition_id else None, status, r.drafted_at,
                                   r.shipped_at, received_at, f[0], f[1], f[2], f[3], f[4], r.note, r.user_name))
    return result


def shipment_detail(s: OrmSession, row: Shipment) -> ShipmentDetail:
    info = shipment_infos(s, [row])[0]
    counted = {rl.shipment_line_id: rl for rl in s.scalars(select(TransferReceiptLine).join(
        ShipmentLine, ShipmentLine.id == TransferReceiptLine.shipment_line_id).where(ShipmentLine.shipment_id == row.id))}
    lines = []
    for line in shipment_lines(s, row.id):
        drug = s.get(Drug, line.drug_id)
        got = counted.get(line.id)
        lines.append(ShipmentLineInfo(line.id, line.line_no, drug.id, drug.generic_name, drug.strength,
                                      drug.units_per_pack, drug.pack_unit, drug.base_unit, line.requested_units,
                                      line.quantity, line.batch_no, line.expiry, line.pack_price_fen,
                                      codes_of(line.trace_codes), got.qty_received if got else None,
                                      got.qty_lost if got else None, got.reason if got else ""))
    return ShipmentDetail(info, lines)


class ShipmentQueriesMixin(TransfersBase):
    @requires("transfers.read")
    def shipments(self, *, status: str | None = None, to_site_id: str | None = None,
                  month: str | None = None) -> list[ShipmentInfo]:
        """调拨出库单, newest first; ``status`` draft | in_transit | received | cancelled; ``month``: drafted,
        shipped or received in it."""
        if status is not None and status not in STATUSES:
            raise ValidationError(f"状态“{status}”应为 draft、in_transit、received 或 cancelled", "状态")
        to_site_id = self._scope(to_site_id)
        with self.db.read() as s:
            stmt = (select(Shipment).outerjoin(TransferReceipt, TransferReceipt.shipment_id == Shipment.id)
                    .order_by(Shipment.drafted_at.desc(), Shipment.shipment_no.desc()))
            if to_site_id:
                stmt = stmt.where(Shipment.to_site_id == to_site_id)
            if status in ("draft", "cancelled"):
                stmt = stmt.where(Shipment.status == status)
            elif status == "in_transit":
                stmt = stmt.where(Shipment.status == "shipped", TransferReceipt.id.is_(None))
            elif status == "received":
                stmt = stmt.where(TransferReceipt.id.is_not(None))
            if month:
                start, end = month_span(month)
                stmt = stmt.where(or_(Shipment.drafted_at.between(start, end), Shipment.shipped_at.between(start, end),
                                      TransferReceipt.received_at.between(start, end)))
            return [i for i in shipment_infos(s, s.scalars(stmt))
                    if not month or any(_within(t, start, end) for t in (i.drafted_at, i.shipped_at, i.received_at))]

    @requires("transfers.read")
    def shipment(self, shipment_id: str) -> ShipmentDetail:
        with self.db.read() as s:
            row = shipment_row(s, shipment_id)
            self._check_scope(row.to_site_id)
            return shipment_detail(s, row)

    @requires("transfers.read")
    def in_transit(self, *, to_site_id: str | None = None) -> list[ShipmentInfo]:
        """在途: shipped and not yet received (as far as this database knows)."""
        return self.shipments(status="in_transit", to_site_id=to_site_id)

    @requires("transfers.read")
    def incoming(self) -> list[ShipmentInfo]:
        """待收货: shipments to this site, shipped, not yet received."""
        return self.shipments(status="in_transit", to_site_id=self._site_id())


def _within(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end
