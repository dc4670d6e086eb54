"""A village's requisitions 报量: the suggested quantities, the requisition, its cancellation; the lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased

from app.db.models import (
    Batch,
    Drug,
    Requisition,
    RequisitionLine,
    Shipment,
    ShipmentLine,
    StockMovement,
    StoreDrugSettings,
    TransferReceipt,
)
from app.db.uow import now
from app.domain.enums import MovementKind
from app.domain.errors import (
    ForeignRecordError,
    NotFoundError,
    RuleViolation,
    ValidationError,
)
from app.domain.ids import new_id
from app.domain.money import round_half_up_div
from app.services.core.context import requires
from app.services.core.numbers import next_no

from .common import (
    REQUISITION_PREFIX,
    TransfersBase,
    drug_row,
    packs_up,
    site_names,
    text,
    units_of,
)
from .types import (
    RequisitionDetail,
    RequisitionDone,
    RequisitionInfo,
    RequisitionLineInfo,
    SuggestedLine,
)

#: days of use the monthly average is taken over (÷ 3 months)
USE_WINDOW_DAYS = 90


def dispensed_units(s: OrmSession, store_id: str, since: datetime, until: datetime) -> dict[str, int]:
    """Units dispensed per drug in [since, until), net of the reversals of those dispensings."""
    used: dict[str, int] = {}
    rows = s.execute(select(StockMovement.drug_id, func.sum(StockMovement.quantity)).where(
        StockMovement.store_id == store_id, StockMovement.kind == MovementKind.DISPENSE.value,
        StockMovement.occurred_at >= since, StockMovement.occurred_at < until).group_by(StockMovement.drug_id))
    for drug_id, total in rows:
        used[drug_id] = -int(total or 0)
    original = aliased(StockMovement)
    undone = s.execute(select(StockMovement.drug_id, func.sum(StockMovement.quantity))
                       .join(original, original.id == StockMovement.reverses_id)
                       .where(StockMovement.store_id == store_id, StockMovement.kind == MovementKind.REVERSAL.value,
                              original.kind == MovementKind.DISPENSE.value, original.occurred_at >= since,
                              original.occurred_at < until)
                       .group_by(StockMovement.drug_id))
    for drug_id, total in undone:
        used[drug_id] = used.get(drug_id, 0) - int(total or 0)
    return {d: max(u, 0) for d, u in used.items()}


def in_transit_units(s: OrmSession, site_id: str) -> dict[str, int]:
    """Per drug: shipped to ``site_id`` and not yet received there (base units)."""
    rows = s.execute(select(ShipmentLine.drug_id, func.sum(ShipmentLine.quantity))
                     .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
                     .outerjoin(TransferReceipt, TransferReceipt.shipment_id == Shipment.id)
                     .where(Shipment.to_site_id == site_id, Shipment.status == "shipped", TransferReceipt.id.is_(None))
                     .group_by(ShipmentLine.drug_id))
    return {drug_id: int(total or 0) for drug_id, total in rows}


def answers(s: OrmSession, requisition_ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
    """requisition id → (shipment id, shipment no, shipment status) of its live (not cancelled) answer."""
    if not requisition_ids:
        return {}
    found: dict[str, tuple[str, str, str]] = {}
    rows = s.execute(select(Shipment.requisition_id, Shipment.id, Shipment.shipment_no, Shipment.status,
                            TransferReceipt.id)
                     .outerjoin(TransferReceipt, TransferReceipt.shipment_id == Shipment.id)
                     .where(Shipment.requisition_id.in_(list(requisition_ids)), Shipment.status != "cancelled")
                     .order_by(Shipment.drafted_at))
    for req_id, ship_id, ship_no, status, receipt in rows:
        found[req_id] = (ship_id, ship_no, "received" if receipt else "in_transit" if status == "shipped" else "draft")
    return found


class RequisitionsMixin(TransfersBase):
    def _suggestions(self, s: OrmSession, target_months: int, today: date,
                     only: Sequence[str] | None = None) -> dict[str, SuggestedLine]:
        site_id = self._site_id()
        store_id = self._store_of(s, site_id)
        start = datetime.combine(today - timedelta(days=USE_WINDOW_DAYS), time())
        used = dispensed_units(s, store_id, start, datetime.combine(today + timedelta(days=1), time()))
        transit = in_transit_units(s, site_id)
        minimum = dict(s.execute(select(StoreDrugSettings.drug_id, StoreDrugSettings.min_stock_units).where(
            StoreDrugSettings.store_id == store_id, StoreDrugSettings.min_stock_units > 0)).all())
        wanted = set(only) if only is not None else {d for d, u in used.items() if u > 0} | set(minimum)
        on_hand = dict(s.execute(select(Batch.drug_id, func.sum(Batch.on_hand)).where(
            Batch.store_id == store_id, Batch.expiry >= today, Batch.on_hand > 0,
            Batch.drug_id.in_(sorted(wanted))).group_by(Batch.drug_id)).all()) if wanted else {}
        result = {}
        for drug in s.scalars(select(Drug).where(Drug.id.in_(sorted(wanted))).order_by(Drug.pinyin_sort, Drug.id)):
            monthly = round_half_up_div(used.get(drug.id, 0), USE_WINDOW_DAYS // 30)
            have, coming = int(on_hand.get(drug.id, 0) or 0), transit.get(drug.id, 0)
            # never below the store's minimum stock 最低库存 (a drug kept for emergencies may see no use for months)
            need = max(0, max(monthly * target_months, minimum.get(drug.id, 0)) - have - coming)
            result[drug.id] = SuggestedLine(drug.id, drug.generic_name, drug.strength, drug.pack_unit, drug.base_unit,
                                            drug.units_per_pack, monthly, have, coming,
                                            packs_up(need, drug.units_per_pack))
        return result

    @staticmethod
    def _months(target_months: int) -> int:
        if isinstance(target_months, bool) or not isinstance(target_months, int) or not 1 <= target_months <= 12:
            raise ValidationError(f"报量月数“{target_months}”应为 1 到 12 的整数", "报量月数")
        return target_months

    @requires("transfers.read")
    def suggest_requisition(self, target_months: int = 1, *, today: date | None = None) -> list[SuggestedLine]:
        """建议报量: monthly use (units dispensed, net of reversals, in the last 90 days ÷ 3) × months − on hand
        − in transit, rounded up to whole packs; drugs in use or with a minimum stock, whose target is never
        below that minimum."""
        months = self._months(target_months)
        with self.db.read() as s:
            return list(self._suggestions(s, months, today or now().date()).values())

    @requires("transfers.create_requisition")
    def create_requisition(self, lines: Sequence[tuple[str, int | str]], *, target_months: int = 1, note: str = "",
                           at: datetime | None = None) -> RequisitionDone:
        """报量: the village asks its township for these quantities; each line keeps its suggestion figures."""
        months = self._months(target_months)
        note = text(note, "备注", 200)
        site_id, at = self._site_id(), self._at(at)
        user_id, user_name = self._user
        if not lines:
            raise ValidationError("明细：报量单至少要有一种药品", "明细")
        with self.db.unit_of_work() as uow:
            s = uow.session
            store_id = self._store_of(s, site_id)
            parsed = []
            seen: set[str] = set()
            for drug_id, quantity in lines:
                drug = drug_row(s, drug_id)
                if drug.id in seen:
                    raise ValidationError(f"明细：“{drug.generic_name}”写了两行，请合并为一行", "明细")
                seen.add(drug.id)
                parsed.append((drug, units_of(drug, quantity, "报量数量")))
            figures = self._suggestions(s, months, at.date(), [d.id for d, _ in parsed])
            row = Requisition(id=new_id(), site_id=site_id, store_id=store_id,
                              requisition_no=next_no(s, Requisition.requisition_no, site_id, REQUISITION_PREFIX, at.date()),
                              requested_at=at, target_months=months, status="submitted", user_id=user_id,
                              user_name=user_name, note=note)
            s.add(row)
            s.flush()
            for number, (drug, units) in enumerate(parsed, start=1):
                f = figures[drug.id]
                s.add(RequisitionLine(requisition_id=row.id, line_no=number, drug_id=drug.id,
                                      monthly_use_units=f.monthly_use_units, on_hand_units=f.on_hand_units,
                                      in_transit_units=f.in_transit_units, suggested_units=f.suggested_units,
                                      requested_units=units))
            s.flush()
            self._audit(s, "transfers.requisition", "requisitions", row.id, requisition_no=row.requisition_no,
                        lines=len(parsed))
            return RequisitionDone(row.id, row.requisition_no)

    @requires("transfers.cancel_requisition")
    def cancel_requisition(self, requisition_id: str, reason: str) -> None:
        """撤回 a requisition the township has not answered yet."""
        reason = text(reason, "撤回原因", 128, required=True)
        with self.db.unit_of_work() as uow:
            s = uow.session
            row = s.get(Requisition, requisition_id) if requisition_id else None
            if row is None:
                raise NotFoundError("报量单：找不到这张报量单", "报量单")
            if row.owner_site_id != self._site_id():
                raise ForeignRecordError("报量单：该报量单属于其他村卫生室，本机不能撤回", "报量单")
            if row.status == "cancelled":
                raise RuleViolation(f"报量单：{row.requisition_no} 已撤回", "报量单")
            answer = answers(s, [row.id]).get(row.id)
            if answer is not None:
                raise RuleViolation(f"报量单：乡镇已按 {row.requisition_no} 开了调拨出库单 {answer[1]}，不能再撤回", "报量单")
            row.status = "cancelled"
            row.note = (f"{row.note}；撤回：{reason}" if row.note else f"撤回：{reason}")[:200]
            s.flush()
            self._audit(s, "transfers.requisition_cancel", "requisitions", row.id, requisition_no=row.requisition_no,
                        reason=reason)

    @requires("transfers.read")
    def requisitions(self, *, status: str | None = None, site_id: str | None = None) -> list[RequisitionInfo]:
        """报量单, newest first; ``status`` waiting (not answered) | answered | cancelled."""
        if status not in (None, "waiting", "answered", "cancelled"):
            raise ValidationError(f"状态“{status}”应为 waiting、answered 或 cancelled", "状态")
        site_id = self._scope(site_id)
        with self.db.read() as s:
            stmt = select(Requisition).order_by(Requisition.requested_at.desc(), Requisition.requisition_no.desc())
            if site_id:
                stmt = stmt.where(Requisition.site_id == site_id)
            if status == "cancelled":
                stmt = stmt.where(Requisition.status == "cancelled")
            elif status is not None:
                stmt = stmt.where(Requisition.status != "cancelled")
            rows = list(s.scalars(stmt))
            infos = self._requisition_infos(s, rows)
            return [i for i in infos if status is None or i.status == status]

    def _requisition_infos(self, s: OrmSession, rows: list[Requisition]) -> list[RequisitionInfo]:
        names = site_names(s)
        found = answers(s, [r.id for r in rows])
        counts = dict(s.execute(select(RequisitionLine.requisition_id, func.count()).where(
            RequisitionLine.requisition_id.in_([r.id for r in rows])).group_by(RequisitionLine.requisition_id)).all()
        ) if rows else {}
        result = []
        for r in rows:
            answer = found.get(r.id)
            status = "cancelled" if r.status == "cancelled" else "answered" if answer else "waiting"
            result.append(RequisitionInfo(r.id, r.requisition_no, r.site_id, names.get(r.site_id, ""), r.requested_at,
                                          r.target_months, status, int(counts.get(r.id, 0)),
                                          answer[0] if answer else None, answer[1] if answer else None,
                                          answer[2] if answer else None, r.note, r.user_name))
        return result

    @requires("transfers.read")
    def requisition(self, requisition_id: str) -> RequisitionDetail:
        with self.db.read() as s:
            row = s.get(Requisition, requisition_id) if requisition_id else None
            if row is None:
                raise NotFoundError("报量单：找不到这张报量单", "报量单")
            self._check_scope(row.site_id)
            info = self._requisition_infos(s, [row])[0]
            township_store = self._store_of(s, self._site_id()) if self._is_township() else None
            today = now().date()
            lines = []
            for line, drug in s.execute(select(RequisitionLine, Drug).join(Drug, Drug.id == RequisitionLine.drug_id)
                                        .where(RequisitionLine.requisition_id == row.id)
                                        .order_by(RequisitionLine.line_no)):
                stock = 0
                if township_store is not None:
                    stock = int(s.scalar(select(func.coalesce(func.sum(Batch.on_hand), 0)).where(and_(
                        Batch.store_id == township_store, Batch.drug_id == drug.id, Batch.expiry >= today,
                        Batch.on_hand > 0))) or 0)
                lines.append(RequisitionLineInfo(line.id, line.line_no, drug.id, drug.generic_name, drug.strength,
                                                 drug.units_per_pack, drug.pack_unit, drug.base_unit,
                                                 line.monthly_use_units, line.on_hand_units, line.in_transit_units,
                                                 line.suggested_units, line.requested_units, stock))
            return RequisitionDetail(info, lines)
