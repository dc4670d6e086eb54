"""The township's shipments 调拨出库: drafts (answering a requisition, ad hoc, 调剂), the FEFO pick list and its
配货单, cancelling a draft, shipping (TRANSFER_OUT, the boxes' trace codes SHIPPED)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import (
    Batch,
    Drug,
    Requisition,
    RequisitionLine,
    Shipment,
    ShipmentLine,
    StoreDrugSettings,
)
from app.db.uow import now
from app.domain.enums import MovementKind, TraceEventKind
from app.domain.errors import (
    CunyiError,
    ForeignRecordError,
    NotFoundError,
    RuleViolation,
    ValidationError,
)
from app.domain.fefo import BatchStock, Units, fefo_order, is_expired
from app.domain.ids import new_id
from app.services.core.context import requires
from app.services.core.numbers import next_no
from app.services.stock import tracecodes
from app.services.stock.dispensing import Dispensing
from app.services.stock.ledger import drug_on_hand, usable_on_hand

from .common import (
    SHIPMENT_PREFIX,
    TransfersBase,
    amount_fen,
    codes_json,
    drug_row,
    text,
    units_of,
)
from .requisitions import answers
from .types import PickLine, ShipDone

KINDS = {"requisition": "按报量", "ad_hoc": "临时调拨", "redistribution": "调剂"}


def shipment_row(s: OrmSession, shipment_id: str) -> Shipment:
    row = s.get(Shipment, shipment_id) if shipment_id else None
    if row is None:
        raise NotFoundError("调拨出库单：找不到这张调拨出库单", "调拨出库单")
    return row


def shipment_lines(s: OrmSession, shipment_id: str) -> list[ShipmentLine]:
    return list(s.scalars(select(ShipmentLine).where(ShipmentLine.shipment_id == shipment_id)
                          .order_by(ShipmentLine.line_no)))


class ShipmentsMixin(TransfersBase):
    def _own_shipment(self, s: OrmSession, shipment_id: str, *, draft: bool) -> Shipment:
        row = shipment_row(s, shipment_id)
        if row.owner_site_id != self._site_id():
            raise ForeignRecordError("调拨出库单：该单据属于其他机构，本机不能修改", "调拨出库单")
        if draft and row.status != "draft":
            said = {"shipped": "已出库", "cancelled": "已作废"}.get(row.status, row.status)
            raise RuleViolation(f"调拨出库单：{row.shipment_no} {said}，不能再修改", "调拨出库单")
        return row

    def _new_shipment(self, s: OrmSession, to_site_id: str, kind: str, requisition_id: str | None, note: str,
                      at: datetime) -> Shipment:
        site_id = self._site_id()
        user_id, user_name = self._user
        row = Shipment(id=new_id(), site_id=site_id, store_id=self._store_of(s, site_id), to_site_id=to_site_id,
                       shipment_no=next_no(s, Shipment.shipment_no, site_id, SHIPMENT_PREFIX, at.date()), kind=kind,
                       requisition_id=requisition_id, status="draft", drafted_at=at, shipped_at=None, user_id=user_id,
                       user_name=user_name, note=note)
        s.add(row)
        s.flush()
        return row

    @requires("transfers.review_requisition")
    def review_requisition(self, requisition_id: str, approved: Mapping[str, int | str], *, note: str = "",
                           at: datetime | None = None) -> str:
        """审核报量: a draft shipment with one line per requisition line at its approved quantity (0 allowed; a
        line not in ``approved`` is approved as requested). Returns the draft's id."""
        note = text(note, "备注", 200)
        at = self._at(at)
        with self.db.unit_of_work() as uow:
            s = uow.session
            req = s.get(Requisition, requisition_id) if requisition_id else None
            if req is None:
                raise NotFoundError("报量单：找不到这张报量单", "报量单")
            self._village(s, req.site_id)
            if req.status == "cancelled":
                raise RuleViolation(f"报量单：{req.requisition_no} 已被村卫生室撤回", "报量单")
            answer = answers(s, [req.id]).get(req.id)
            if answer is not None:
                raise RuleViolation(f"报量单：{req.requisition_no} 已开调拨出库单 {answer[1]}", "报量单")
            lines = list(s.scalars(select(RequisitionLine).where(RequisitionLine.requisition_id == req.id)
                                   .order_by(RequisitionLine.line_no)))
            unknown = set(approved) - {ln.id for ln in lines}
            if unknown:
                raise NotFoundError("审核数量：有一行不在这张报量单上", "审核数量")
            row = self._new_shipment(s, req.site_id, "requisition", req.id, note, at)
            total = 0
            for number, line in enumerate(lines, start=1):
                drug = drug_row(s, line.drug_id, active=False)
                units = units_of(drug, approved.get(line.id, line.requested_units), "审核数量", allow_zero=True)
                total += units
                s.add(ShipmentLine(shipment_id=row.id, line_no=number, drug_id=drug.id, requisition_line_id=line.id,
                                   requested_units=line.requested_units, quantity=units, batch_id=None, batch_no="",
                                   expiry=None, pack_price_fen=drug.price_fen, trace_codes="[]", to_site_id=req.site_id))
            s.flush()
            self._audit(s, "transfers.review", "shipments", row.id, requisition_no=req.requisition_no,
                        shipment_no=row.shipment_no, quantity=total)
            return row.id

    @requires("transfers.draft_shipment")
    def draft_shipment(self, to_site_id: str, lines: Sequence[tuple[str, int | str]], *, note: str = "",
                       kind: str = "ad_hoc", at: datetime | None = None) -> str:
        """A draft shipment without a requisition (``kind`` ad_hoc, or redistribution for 调剂)."""
        if kind not in ("ad_hoc", "redistribution"):
            raise ValidationError("调拨类型只能是临时调拨或调剂", "调拨类型")
        note = text(note, "备注", 200)
        at = self._at(at)
        if not lines:
            raise ValidationError("明细：调拨出库单至少要有一种药品", "明细")
        with self.db.unit_of_work() as uow:
            s = uow.session
            village = self._village(s, to_site_id)
            parsed, seen = [], set()
            for drug_id, quantity in lines:
                drug = drug_row(s, drug_id)
                if drug.id in seen:
                    raise ValidationError(f"明细：“{drug.generic_name}”写了两行，请合并为一行", "明细")
                seen.add(drug.id)
                parsed.append((drug, units_of(drug, quantity, "调拨数量")))
            row = self._new_shipment(s, village.id, kind, None, note, at)
            for number, (drug, units) in enumerate(parsed, start=1):
                s.add(ShipmentLine(shipment_id=row.id, line_no=number, drug_id=drug.id, requisition_line_id=None,
                                   requested_units=0, quantity=units, batch_id=None, batch_no="", expiry=None,
                                   pack_price_fen=drug.price_fen, trace_codes="[]", to_site_id=village.id))
            s.flush()
            self._audit(s, "transfers.draft", "shipments", row.id, shipment_no=row.shipment_no, village=village.name,
                        quantity=sum(u for _, u in parsed))
            return row.id

    @requires("transfers.cancel_shipment")
    def cancel_shipment(self, shipment_id: str, reason: str) -> None:
        """作废 a draft (nothing has moved); its requisition waits for an answer again."""
        reason = text(reason, "作废原因", 128, required=True)
        with self.db.unit_of_work() as uow:
            s = uow.session
            row = self._own_shipment(s, shipment_id, draft=True)
            row.status = "cancelled"
            row.note = (f"{row.note}；作废：{reason}" if row.note else f"作废：{reason}")[:200]
            s.flush()
            self._audit(s, "transfers.shipment_cancel", "shipments", row.id, shipment_no=row.shipment_no, reason=reason)

    # -- picking ---------------------------------------------------------------------------------------
    @requires("transfers.read")
    def pick_list(self, shipment_id: str) -> list[PickLine]:
        """配货: a draft's FEFO plan over the township store's unexpired lots (a shortfall as a line without a
        lot), or what a shipped one took."""
        with self.db.read() as s:
            return self._pick(s, shipment_row(s, shipment_id))

    def _pick(self, s: OrmSession, row: Shipment) -> list[PickLine]:
        shelves = dict(s.execute(select(StoreDrugSettings.drug_id, StoreDrugSettings.shelf)
                                 .where(StoreDrugSettings.store_id == row.store_id)).all())
        result = []
        today = now().date()
        for line in shipment_lines(s, row.id):
            if line.quantity <= 0:
                continue
            drug = s.get(Drug, line.drug_id)
            d = (drug.generic_name, drug.strength, shelves.get(drug.id, ""))
            u = (drug.units_per_pack, drug.pack_unit, drug.base_unit)
            if row.status != "draft":
                result.append(PickLine(drug.id, *d, line.batch_id or "", line.batch_no, line.expiry, line.quantity, *u))
                continue
            lots = fefo_order([BatchStock(b.id, b.expiry, b.on_hand) for b in s.scalars(select(Batch).where(
                Batch.store_id == row.store_id, Batch.drug_id == drug.id, Batch.on_hand > 0))
                if not is_expired(b.expiry, today)])
            left = line.quantity
            for lot in lots:
                take = min(left, lot.on_hand)
                batch = s.get(Batch, lot.batch_id)
                result.append(PickLine(drug.id, *d, batch.id, batch.batch_no, batch.expiry, take, *u))
                left -= take
                if left == 0:
                    break
            if left:
                result.append(PickLine(drug.id, *d, "", "", None, left, *u))
        return result

    @requires("transfers.read")
    def print_pick_list(self, shipment_id: str, path: Path | str) -> Path:
        """配货单 of a shipment as an A5 PDF at ``path``."""
        from app.printing.pick_list import PickListData, pick_list_pdf_bytes

        path = Path(path)
        with self.db.read() as s:
            row = shipment_row(s, shipment_id)
            from app.db.models import Site

            home, village = s.get(Site, row.site_id), s.get(Site, row.to_site_id)
            req_no = s.get(Requisition, row.requisition_id).requisition_no if row.requisition_id else ""
            data = PickListData(clinic=home.name if home else "", shipment_no=row.shipment_no,
                                village=village.name if village else "", kind=KINDS.get(row.kind, row.kind),
                                requisition_no=req_no, status=row.status,
                                day=(row.shipped_at or row.drafted_at).date(), lines=tuple(self._pick(s, row)),
                                note=row.note)
        path.write_bytes(pick_list_pdf_bytes(data))
        return path

    # -- shipping --------------------------------------------------------------------------------------
    @requires("transfers.ship")
    def ship(self, shipment_id: str, *, trace_codes: Mapping[str, Sequence[str]] | None = None,
             at: datetime | None = None) -> ShipDone:
        """出库: FEFO over the township's unexpired lots, refused whole when any drug is short; the lines become
        one per lot (TRANSFER_OUT, doc ``shipment``), the scanned codes SHIPPED."""
        at = self._at(at)
        user_id, _ = self._user
        trace_codes = trace_codes or {}
        with self.db.unit_of_work() as uow:
            s = uow.session
            row = self._own_shipment(s, shipment_id, draft=True)
            lines = [ln for ln in shipment_lines(s, row.id) if ln.quantity > 0]
            if not lines:
                raise RuleViolation(f"调拨出库单：{row.shipment_no} 没有要发出的药品（数量都为 0），请作废", "调拨出库单")
            village = self._village(s, row.to_site_id)
            unknown = set(trace_codes) - {ln.drug_id for ln in lines}
            if unknown:
                raise ValidationError(f"{tracecodes.TRACE_FIELD}：扫了本单没有的药品的追溯码", tracecodes.TRACE_FIELD)
            out = Dispensing(s, row.store_id, [ln.drug_id for ln in lines], at=at, doc_type="shipment", doc_id=row.id,
                             user_id=user_id, kind=MovementKind.TRANSFER_OUT)
            plans = []
            for line in lines:
                drug = s.get(Drug, line.drug_id)
                try:
                    plans.append((line, drug, out.take(line.drug_id, line.quantity)))
                except CunyiError as error:
                    units = Units(drug.pack_unit, drug.base_unit, drug.units_per_pack)
                    usable = usable_on_hand(s, row.store_id, drug.id, at.date())
                    expired = drug_on_hand(s, row.store_id, drug.id) - usable
                    stale = f"（另有已过期 {units.format(expired)}，不能发出，请报损）" if expired > 0 else ""
                    raise RuleViolation(
                        f"数量：“{drug.generic_name}”需要 {units.format(line.quantity)}，乡镇药库可发（未过期）只有 "
                        f"{units.format(usable)}{stale}，不能出库。请先采购入库，或作废本单后按现有库存重新开单",
                        "数量") from error
            out.write()
            # the lines are numbered again: each drug's lots one after another, in FEFO order, the zero lines last
            zero = [ln for ln in shipment_lines(s, row.id) if ln.quantity <= 0]
            next_line = 1
            total, count = 0, 0
            for line, drug, allocations in plans:
                codes = tracecodes.normalise_codes(trace_codes.get(drug.id, ()))
                by_lot = self._codes_by_lot(s, drug, codes, {a.batch_id for a in allocations})
                for index, alloc in enumerate(allocations):
                    batch = s.get(Batch, alloc.batch_id)
                    lot_codes = by_lot.get(alloc.batch_id, [])
                    if len(lot_codes) > -(-alloc.quantity // max(drug.units_per_pack, 1)):
                        raise ValidationError(f"{tracecodes.TRACE_FIELD}：“{drug.generic_name}”批号 {alloc.batch_no} "
                                              f"扫的码比发出的盒数多，请核对", tracecodes.TRACE_FIELD)
                    if lot_codes:
                        tracecodes.send_codes(s, codes=lot_codes, kind=TraceEventKind.SHIPPED, drug_id=drug.id,
                                              store_id=row.store_id, at=at, doc_type="shipment", doc_id=row.id)
                    # ``batch_id`` names the township's lot for the township; it is not a foreign key, since the village
                    # (to which the line is addressed) never holds the township's batches: there the lot is batch no + expiry
                    values = {"quantity": alloc.quantity, "batch_id": alloc.batch_id, "batch_no": alloc.batch_no,
                              "expiry": alloc.expiry, "pack_price_fen": batch.pack_cost_fen,
                              "trace_codes": codes_json(lot_codes)}
                    if index == 0:
                        for key, value in {**values, "line_no": next_line}.items():
                            setattr(line, key, value)
                    else:
                        s.add(ShipmentLine(shipment_id=row.id, line_no=next_line, drug_id=drug.id,
                                           requisition_line_id=line.requisition_line_id,
                                           requested_units=line.requested_units, to_site_id=row.to_site_id, **values))
                    next_line += 1
                    total += amount_fen(alloc.quantity, batch.pack_cost_fen, drug.units_per_pack)
                    count += 1
            for line in zero:
                line.line_no, next_line = next_line, next_line + 1
            row.status, row.shipped_at = "shipped", at
            s.flush()
            self._audit(s, "transfers.ship", "shipments", row.id, shipment_no=row.shipment_no, village=village.name,
                        lines=count, total_fen=total)
            return ShipDone(row.id, row.shipment_no, count, total)

    @staticmethod
    def _codes_by_lot(s: OrmSession, drug: Drug, codes: list[str], lots: set[str]) -> dict[str, list[str]]:
        """The scanned codes of a drug by the lot each box is in (a code of another lot is refused)."""
        result: dict[str, list[str]] = {}
        for code in codes:
            batch_id = tracecodes.batch_of(s, code)
            if batch_id not in lots:
                raise ValidationError(f"{tracecodes.TRACE_FIELD} {code} 不是本次为“{drug.generic_name}”配货的批次的药盒，"
                                      "请按配货单取药后再扫码", tracecodes.TRACE_FIELD)
            result.setdefault(batch_id, []).append(code)
        return result
