"""``cunyi report transfers`` and ``cunyi report in-transit`` (DESIGN §9), also on the 报表 page and in Excel.

- ``transfers`` 调拨明细: one row per shipment line (a lot) of the shipments shipped *or* received in the month
  (a shipment shipped on 31 May and received on 1 June is in both months' lists: May shows it in transit,
  June received); ``amount_fen`` is what was received at the procurement price,
  ``round_half_up(qty_received × pack_price_fen / units_per_pack)``, so the month of the receipt is the one
  whose statement counts it.
- ``in-transit`` 在途: the lines shipped and not yet received — now, or at the end of the month given.
- ``purchases`` 采购入库明细 (township): one row per line of the month's purchase receipts and returns to the
  distributors, a return's quantity and amount negative, so the totals are what the month kept.

At a township without ``--site`` (or with its own): every village; with ``--site V``: the shipments to V.
At a village: the shipments to it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import Session as OrmSession

from app.db.models import (
    Distributor,
    Drug,
    PurchaseLine,
    PurchaseReceipt,
    Shipment,
    ShipmentLine,
    Site,
    TransferReceipt,
    TransferReceiptLine,
)
from app.db.uow import now
from app.domain.enums import SiteKind
from app.services.core.reports import Column, Period, Table, report

from .common import amount_fen
from .purchasing import month_span

TRANSFER_COLUMNS = (
    Column("shipment_id", "调拨单编号（内部）"), Column("shipment_no", "调拨单号"), Column("to_site_id", "村卫生室编号"),
    Column("shipped_at", "出库时间"), Column("received_at", "收货时间"), Column("drug_id", "药品编号（内部）"),
    Column("national_code", "医保药品编码"), Column("batch_no", "批号"), Column("expiry", "效期", "date"),
    Column("qty_shipped", "发出(最小单位)", "int"), Column("qty_received", "实收(最小单位)", "int"),
    Column("qty_lost", "短少(最小单位)", "int"), Column("units_per_pack", "每包装数量", "int"),
    Column("pack_price_fen", "单价(元/包装)", "fen"), Column("amount_fen", "实收金额(元)", "fen"),
)
IN_TRANSIT_COLUMNS = (
    Column("shipment_no", "调拨单号"), Column("to_site_name", "村卫生室"), Column("shipped_at", "出库时间"),
    Column("national_code", "医保药品编码"), Column("generic_name", "通用名"), Column("batch_no", "批号"),
    Column("expiry", "效期", "date"), Column("qty_shipped", "在途(最小单位)", "int"),
    Column("units_per_pack", "每包装数量", "int"), Column("pack_price_fen", "单价(元/包装)", "fen"),
    Column("amount_fen", "在途金额(元)", "fen"), Column("shipment_id", "调拨单编号（内部）"),
    Column("to_site_id", "村卫生室编号"), Column("drug_id", "药品编号（内部）"),
)


def _when(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else None


def _villages_of(session: OrmSession, site_id: str) -> tuple[str | None, str]:
    """The village to report on (None: every village the database holds), and the place's name."""
    site = session.get(Site, site_id)
    if site is not None and site.kind == SiteKind.VILLAGE.value:
        return site.id, site.name
    return None, f"{site.name if site else ''} 全部村卫生室".strip()


def _lines(session: OrmSession, village: str | None, where: Any) -> list[tuple]:
    stmt = (select(Shipment, ShipmentLine, Drug, TransferReceipt.received_at, TransferReceiptLine, Site.name)
            .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
            .join(Drug, Drug.id == ShipmentLine.drug_id)
            .join(Site, Site.id == Shipment.to_site_id)
            .outerjoin(TransferReceipt, TransferReceipt.shipment_id == Shipment.id)
            .outerjoin(TransferReceiptLine, TransferReceiptLine.shipment_line_id == ShipmentLine.id)
            .where(Shipment.status == "shipped", ShipmentLine.quantity > 0, where)
            .order_by(Shipment.shipped_at, Shipment.shipment_no, ShipmentLine.line_no))
    if village is not None:
        stmt = stmt.where(Shipment.to_site_id == village)
    return list(session.execute(stmt))


def transfer_rows(session: OrmSession, site_id: str, month: str | None) -> list[dict[str, Any]]:
    """The ``transfers`` report's rows (DESIGN §9 keys)."""
    village, _ = _villages_of(session, site_id)
    where, end = true(), None
    if month:
        start, end = month_span(month)
        where = or_(and_(Shipment.shipped_at >= start, Shipment.shipped_at < end),
                    and_(TransferReceipt.received_at >= start, TransferReceipt.received_at < end))
    rows = []
    for ship, line, drug, received_at, got, _name in _lines(session, village, where):
        if end is not None and received_at is not None and received_at >= end:
            received_at, got = None, None  # received after the month: in transit at its end
        received = got.qty_received if got is not None else 0
        rows.append({
            "shipment_id": ship.id, "shipment_no": ship.shipment_no, "to_site_id": ship.to_site_id,
            "shipped_at": _when(ship.shipped_at), "received_at": _when(received_at), "drug_id": drug.id,
            "national_code": drug.national_code, "batch_no": line.batch_no,
            "expiry": line.expiry.isoformat() if line.expiry else None, "qty_shipped": line.quantity,
            "qty_received": received, "qty_lost": got.qty_lost if got is not None else 0,
            "units_per_pack": drug.units_per_pack, "pack_price_fen": line.pack_price_fen,
            "amount_fen": amount_fen(received, line.pack_price_fen, drug.units_per_pack),
        })
    return rows


def in_transit_rows(session: OrmSession, site_id: str, month: str | None) -> list[dict[str, Any]]:
    """Lines shipped and not received: now, or at the end of ``month``."""
    village, _ = _villages_of(session, site_id)
    if month:
        _, end = month_span(month)
        where = and_(Shipment.shipped_at < end, or_(TransferReceipt.id.is_(None), TransferReceipt.received_at >= end))
    else:
        where = TransferReceipt.id.is_(None)
    return [{
        "shipment_id": ship.id, "shipment_no": ship.shipment_no, "to_site_id": ship.to_site_id, "to_site_name": name,
        "shipped_at": _when(ship.shipped_at), "drug_id": drug.id, "national_code": drug.national_code,
        "generic_name": drug.generic_name, "batch_no": line.batch_no,
        "expiry": line.expiry.isoformat() if line.expiry else None, "qty_shipped": line.quantity,
        "units_per_pack": drug.units_per_pack, "pack_price_fen": line.pack_price_fen,
        "amount_fen": amount_fen(line.quantity, line.pack_price_fen, drug.units_per_pack),
    } for ship, line, drug, _received_at, _got, name in _lines(session, village, where)]


def _sums(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, int]:
    return {k: sum(int(r[k] or 0) for r in rows) for k in keys}


# ids, as DESIGN §9 fixes them, for other programs and Excel; people read a shipment on the 调拨 screens
@report("transfers", "调拨明细", use_case="transfers.read")
def transfers_report(services: Any, period: Period) -> Table:
    with services.db.read() as s:
        rows = transfer_rows(s, period.site_id, period.month)
        _, place = _villages_of(s, period.site_id)
    span = (f"{period.month} 出库或收货的调拨单（跨月的一张单在出库月显示为在途、在收货月显示实收）" if period.month
            else "全部已出库的调拨单")
    return Table("调拨明细", TRANSFER_COLUMNS, rows,
                 subtitle=f"{place}　{span}；每行一个批次，数量为最小单位，金额 = 实收 × 单价 ÷ 每包装数量（四舍五入到分）",
                 totals=_sums(rows, ("qty_shipped", "qty_received", "qty_lost", "amount_fen")))


@report("in-transit", "在途药品", use_case="transfers.read")
def in_transit_report(services: Any, period: Period) -> Table:
    with services.db.read() as s:
        rows = in_transit_rows(s, period.site_id, period.month)
        _, place = _villages_of(s, period.site_id)
    when = f"{month_span(period.month)[1].date() - date.resolution} 日终" if period.month else f"{now():%Y-%m-%d %H:%M}"
    return Table("在途药品", IN_TRANSIT_COLUMNS, rows,
                 subtitle=f"{place}　截至 {when}：已出库、村卫生室尚未收货（在途不是库存）；金额按进价",
                 totals=_sums(rows, ("qty_shipped", "amount_fen")))


PURCHASE_COLUMNS = (
    Column("received_at", "入库时间"), Column("receipt_no", "入库单号"), Column("kind", "类型"),
    Column("distributor", "配送企业"), Column("delivery_note_no", "随货单号"), Column("invoice_no", "发票号"),
    Column("national_code", "医保药品编码"), Column("generic_name", "通用名"), Column("strength", "规格"),
    Column("batch_no", "批号"), Column("expiry", "效期", "date"), Column("quantity", "数量(最小单位)", "int"),
    Column("units_per_pack", "每包装数量", "int"), Column("pack_price_fen", "进价(元/包装)", "fen"),
    Column("amount_fen", "金额(元)", "fen"),
)


@report("purchases", "采购入库明细", use_case="transfers.receive_purchase")
def purchases_report(services: Any, period: Period) -> Table:
    stmt = (select(PurchaseReceipt, PurchaseLine, Drug, Distributor.name)
            .join(PurchaseLine, PurchaseLine.receipt_id == PurchaseReceipt.id)
            .join(Drug, Drug.id == PurchaseLine.drug_id)
            .join(Distributor, Distributor.id == PurchaseReceipt.distributor_id)
            .order_by(PurchaseReceipt.received_at, PurchaseReceipt.receipt_no, PurchaseLine.line_no))
    if period.month:
        start, end = month_span(period.month)
        stmt = stmt.where(PurchaseReceipt.received_at >= start, PurchaseReceipt.received_at < end)
    rows = []
    with services.db.read() as s:
        for receipt, line, drug, distributor in s.execute(stmt):
            sign = -1 if receipt.kind == "return" else 1
            rows.append({
                "received_at": _when(receipt.received_at), "receipt_no": receipt.receipt_no,
                "kind": "采购退货" if sign < 0 else "采购入库", "distributor": distributor,
                "delivery_note_no": receipt.delivery_note_no, "invoice_no": receipt.invoice_no,
                "national_code": drug.national_code, "generic_name": drug.generic_name, "strength": drug.strength,
                "batch_no": line.batch_no, "expiry": line.expiry.isoformat(), "quantity": sign * line.quantity,
                "units_per_pack": drug.units_per_pack, "pack_price_fen": line.pack_price_fen,
                "amount_fen": sign * line.amount_fen,
            })
    span = f"{period.month} 月" if period.month else "全部"
    return Table("采购入库明细", PURCHASE_COLUMNS, rows,
                 subtitle=f"{span}的采购入库与采购退货（退货数量、金额为负），数量为最小单位，金额按进价",
                 totals=_sums(rows, ("quantity", "amount_fen")))
