"""The township's purchasing: distributors 配送企业, reference prices, purchase receipts 采购入库 and returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select

from app.db.models import (
    Batch,
    Distributor,
    Drug,
    DrugReferencePrice,
    PurchaseLine,
    PurchaseReceipt,
)
from app.domain import statements
from app.domain.enums import MovementKind
from app.domain.errors import (
    ForeignRecordError,
    NotFoundError,
    RuleViolation,
    ValidationError,
)
from app.domain.ids import new_id
from app.domain.statements import parse_month
from app.services.core.context import requires
from app.services.core.numbers import next_no
from app.services.core.settings import SettingsService
from app.services.stock import tracecodes
from app.services.stock.ledger import check_near_expiry, receive_in, remove_in

from .common import (
    PURCHASE_PREFIX,
    PURCHASE_RETURN_PREFIX,
    TransfersBase,
    amount_fen,
    drug_row,
    text,
    units_of,
)
from .types import (
    DistributorForm,
    DistributorInfo,
    PurchaseDetail,
    PurchaseDone,
    PurchaseForm,
    PurchaseInfo,
    PurchaseLineInfo,
)


def month_span(month: str) -> tuple[datetime, datetime]:
    """[first moment, first moment of the next month) of ``YYYY-MM`` as the user typed it (checked: a
    ``ValidationError`` naming 月份)."""
    return statements.month_span(parse_month(str(month)))


class PurchasingMixin(TransfersBase):
    # -- distributors --------------------------------------------------------------------------------
    @requires("transfers.read")
    def distributors(self, include_inactive: bool = False) -> list[DistributorInfo]:
        """配送企业, by name."""
        with self.db.read() as s:
            stmt = select(Distributor).order_by(Distributor.name)
            if not include_inactive:
                stmt = stmt.where(Distributor.active.is_(True))
            return [DistributorInfo(d.id, d.name, d.credit_code, d.contact, d.phone, d.active) for d in s.scalars(stmt)]

    @requires("transfers.save_distributor")
    def save_distributor(self, form: DistributorForm, distributor_id: str | None = None) -> str:
        """Add a distributor (or change one of this township's); returns its id."""
        name = text(form.name, "企业名称", 64, required=True)
        credit = text(form.credit_code, "统一社会信用代码", 32).upper()
        if credit and (len(credit) != 18 or not credit.isascii() or not credit.isalnum()):
            raise ValidationError("统一社会信用代码应为 18 位数字或大写字母", "统一社会信用代码")
        contact = text(form.contact, "联系人", 32)
        phone = text(form.phone, "联系电话", 32)
        site_id = self._site_id()
        with self.db.unit_of_work() as uow:
            s = uow.session
            same = s.scalar(select(Distributor).where(Distributor.owner_site_id == site_id, Distributor.name == name))
            if same is not None and same.id != distributor_id:
                raise RuleViolation(f"企业名称：已有名为“{name}”的配送企业", "企业名称")
            if distributor_id:
                row = s.get(Distributor, distributor_id)
                if row is None:
                    raise NotFoundError("配送企业：找不到要修改的配送企业", "配送企业")
                if row.owner_site_id != site_id:
                    raise ForeignRecordError("配送企业：该企业由其他机构维护，本机不能修改", "配送企业")
                row.name, row.credit_code, row.contact, row.phone, row.active = name, credit, contact, phone, bool(form.active)
            else:
                row = Distributor(name=name, credit_code=credit, contact=contact, phone=phone, active=bool(form.active))
                s.add(row)
            s.flush()
            self._audit(s, "transfers.distributor", "distributors", row.id, name=name)
            return row.id

    @requires("transfers.set_reference_price")
    def set_reference_price(self, drug_id: str, reference_price_fen: int, note: str = "") -> str:
        """A drug's price per pack before 集采 (the savings report's reference); returns the row's id."""
        if isinstance(reference_price_fen, bool) or not isinstance(reference_price_fen, int) or reference_price_fen <= 0:
            raise ValidationError(f"参考价“{reference_price_fen}”必须是大于 0 的整数（分）", "参考价")
        note = text(note, "备注", 64)
        site_id = self._site_id()
        with self.db.unit_of_work() as uow:
            s = uow.session
            drug = drug_row(s, drug_id, active=False)
            row = s.scalar(select(DrugReferencePrice).where(DrugReferencePrice.owner_site_id == site_id,
                                                            DrugReferencePrice.drug_id == drug.id))
            if row is None:
                row = DrugReferencePrice(drug_id=drug.id, reference_price_fen=reference_price_fen, note=note)
                s.add(row)
            else:
                row.reference_price_fen, row.note = reference_price_fen, note
            s.flush()
            self._audit(s, "transfers.reference_price", "drug_reference_prices", row.id, drug=drug.generic_name,
                        total_fen=reference_price_fen)
            return row.id

    # -- purchase receipts ---------------------------------------------------------------------------
    @requires("transfers.receive_purchase")
    def receive_purchase(self, form: PurchaseForm, *, at: datetime | None = None) -> PurchaseDone:
        """采购入库 into the township store: each line a lot received (RECEIPT, doc ``purchase``), its codes too."""
        settings = SettingsService(self.db, self.session)
        near_days = settings.get("near_expiry_days")
        note_no = text(form.delivery_note_no, "随货单号", 40, required=True)
        invoice = text(form.invoice_no, "发票号", 40)
        note = text(form.note, "备注", 200)
        site_id, at = self._site_id(), self._at(at)
        user_id, user_name = self._user
        with self.db.unit_of_work() as uow:
            s = uow.session
            distributor = s.get(Distributor, form.distributor_id) if form.distributor_id else None
            if distributor is None:
                raise NotFoundError("配送企业：请选择配送企业", "配送企业")
            if not distributor.active:
                raise RuleViolation(f"配送企业：“{distributor.name}”已停用", "配送企业")
            before = s.scalar(select(PurchaseReceipt).where(
                PurchaseReceipt.distributor_id == distributor.id, PurchaseReceipt.delivery_note_no == note_no,
                PurchaseReceipt.kind == "purchase"))
            if before is not None:
                raise RuleViolation(f"随货单号：{distributor.name}的随货单 {note_no} 已于 {before.received_at:%Y-%m-%d} "
                                    f"入库（入库单号 {before.receipt_no}），不能重复入库", "随货单号")
            if not form.lines:
                raise ValidationError("明细：入库单至少要有一行药品", "明细")
            store_id = self._store_of(s, site_id)
            receipt_id, total, rows = new_id(), 0, []
            for number, line in enumerate(form.lines, start=1):
                drug = drug_row(s, line.drug_id)
                price = line.pack_price_fen
                if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
                    raise ValidationError(f"第 {number} 行 进价“{price}”必须是大于 0 的整数（分）", "进价")
                quantity = units_of(drug, line.quantity)
                codes = tracecodes.normalise_codes(line.trace_codes)
                batch_id = receive_in(s, store_id=store_id, drug_id=drug.id, batch_no=line.batch_no, expiry=line.expiry,
                                      quantity_units=quantity, pack_cost_fen=price, at=at, doc_type="purchase",
                                      doc_id=receipt_id, user_id=user_id, trace_codes=codes)
                check_near_expiry(str(line.batch_no).strip(), line.expiry, at.date(), near_days, line.accept_near_expiry)
                value = amount_fen(quantity, price, drug.units_per_pack)
                total += value
                rows.append(PurchaseLine(receipt_id=receipt_id, line_no=number, drug_id=drug.id, batch_id=batch_id,
                                         batch_no=str(line.batch_no).strip(), expiry=line.expiry, quantity=quantity,
                                         pack_price_fen=price, amount_fen=value, code_count=len(codes)))
            receipt = PurchaseReceipt(id=receipt_id, site_id=site_id, store_id=store_id, distributor_id=distributor.id,
                                      kind="purchase", receipt_no=next_no(s, PurchaseReceipt.receipt_no, site_id,
                                                                          PURCHASE_PREFIX, at.date()),
                                      delivery_note_no=note_no, invoice_no=invoice, returns_id=None, received_at=at,
                                      total_fen=total, user_id=user_id, user_name=user_name, note=note)
            s.add(receipt)
            s.flush()
            s.add_all(rows)
            s.flush()
            self._audit(s, "transfers.purchase", "purchase_receipts", receipt.id, purchase_no=receipt.receipt_no,
                        distributor=distributor.name, delivery_note_no=note_no, lines=len(form.lines), total_fen=total)
            return PurchaseDone(receipt.id, receipt.receipt_no, total)

    @requires("transfers.return_purchase")
    def return_purchase(self, receipt_id: str, lines: Sequence[tuple[str, int | str]], reason: str, *,
                        trace_codes: Mapping[str, Sequence[str]] | None = None,
                        at: datetime | None = None) -> PurchaseDone:
        """采购退货: lots of a purchase back to its distributor (SUPPLIER_RETURN, doc ``purchase_return``); the
        boxes' codes per purchase line (``trace_codes``) leave the store with them."""
        reason = text(reason, "退货原因", 128, required=True)
        site_id, at = self._site_id(), self._at(at)
        user_id, user_name = self._user
        with self.db.unit_of_work() as uow:
            s = uow.session
            original = s.get(PurchaseReceipt, receipt_id) if receipt_id else None
            if original is None or original.kind != "purchase":
                raise NotFoundError("采购入库单：找不到要退货的采购入库单", "采购入库单")
            if original.owner_site_id != site_id:
                raise ForeignRecordError("采购入库单：该入库单属于其他机构，本机不能退货", "采购入库单")
            if not lines:
                raise ValidationError("明细：请至少选择一行要退货的药品", "明细")
            own = {ln.id: ln for ln in s.scalars(select(PurchaseLine).where(PurchaseLine.receipt_id == original.id))}
            returned = self._returned_by_batch(s, original.id)
            wanted: dict[str, int] = {}
            plan = []
            for line_id, quantity in lines:
                line = own.get(line_id)
                if line is None:
                    raise NotFoundError("明细：退货的药品不在这张采购入库单上", "明细")
                drug = drug_row(s, line.drug_id, active=False)
                units = units_of(drug, quantity, "退货数量")
                wanted[line.batch_id] = wanted.get(line.batch_id, 0) + units
                received = sum(ln.quantity for ln in own.values() if ln.batch_id == line.batch_id)
                left = received - returned.get(line.batch_id, 0)
                if wanted[line.batch_id] > left:
                    raise RuleViolation(f"退货数量：“{drug.generic_name}”批号 {line.batch_no} 本单入库 {received}，"
                                        f"已退 {received - left}，最多还能退 {left}{drug.base_unit}", "退货数量")
                batch = s.get(Batch, line.batch_id)
                if batch.on_hand < wanted[line.batch_id]:
                    raise RuleViolation(f"退货数量：“{drug.generic_name}”批号 {line.batch_no} 库存只有 "
                                        f"{batch.on_hand}{drug.base_unit}，不能退 {wanted[line.batch_id]}", "退货数量")
                plan.append((line, drug, units))
            back_id, total, rows = new_id(), 0, []
            for number, (line, drug, units) in enumerate(plan, start=1):
                codes = tracecodes.normalise_codes((trace_codes or {}).get(line.id, ()))
                remove_in(s, batch_id=line.batch_id, quantity_units=units, kind=MovementKind.SUPPLIER_RETURN, at=at,
                          user_id=user_id, reason=reason, doc_type="purchase_return", doc_id=back_id, trace_codes=codes)
                value = amount_fen(units, line.pack_price_fen, drug.units_per_pack)
                total += value
                rows.append(PurchaseLine(receipt_id=back_id, line_no=number, drug_id=line.drug_id, batch_id=line.batch_id,
                                         batch_no=line.batch_no, expiry=line.expiry, quantity=units,
                                         pack_price_fen=line.pack_price_fen, amount_fen=value, code_count=len(codes)))
            back = PurchaseReceipt(id=back_id, site_id=site_id, store_id=original.store_id,
                                   distributor_id=original.distributor_id, kind="return",
                                   receipt_no=next_no(s, PurchaseReceipt.receipt_no, site_id, PURCHASE_RETURN_PREFIX,
                                                      at.date()),
                                   delivery_note_no=original.delivery_note_no, invoice_no=original.invoice_no,
                                   returns_id=original.id, received_at=at, total_fen=total, user_id=user_id,
                                   user_name=user_name, note=reason[:200])
            s.add(back)
            s.flush()
            s.add_all(rows)
            s.flush()
            self._audit(s, "transfers.purchase_return", "purchase_receipts", back.id, purchase_no=back.receipt_no,
                        reason=reason, total_fen=total)
            return PurchaseDone(back.id, back.receipt_no, total)

    @staticmethod
    def _returned_by_batch(s, receipt_id: str) -> dict[str, int]:
        rows = s.execute(select(PurchaseLine.batch_id, func.sum(PurchaseLine.quantity))
                         .join(PurchaseReceipt, PurchaseReceipt.id == PurchaseLine.receipt_id)
                         .where(PurchaseReceipt.returns_id == receipt_id, PurchaseReceipt.kind == "return")
                         .group_by(PurchaseLine.batch_id))
        return {batch_id: int(total or 0) for batch_id, total in rows}

    # -- queries -------------------------------------------------------------------------------------
    @requires("transfers.read")
    def purchases(self, month: str | None = None) -> list[PurchaseInfo]:
        """采购入库 and 采购退货 receipts, newest first (of ``month`` when given)."""
        with self.db.read() as s:
            stmt = select(PurchaseReceipt).order_by(PurchaseReceipt.received_at.desc(), PurchaseReceipt.receipt_no.desc())
            if month:
                start, end = month_span(month)
                stmt = stmt.where(PurchaseReceipt.received_at >= start, PurchaseReceipt.received_at < end)
            return [self._purchase_info(s, r) for r in s.scalars(stmt)]

    @requires("transfers.read")
    def purchase(self, receipt_id: str) -> PurchaseDetail:
        with self.db.read() as s:
            receipt = s.get(PurchaseReceipt, receipt_id) if receipt_id else None
            if receipt is None:
                raise NotFoundError("采购入库单：找不到这张单据", "采购入库单")
            returned = self._returned_by_batch(s, receipt.id) if receipt.kind == "purchase" else {}
            lines = []
            left = dict(returned)
            for line, drug in s.execute(select(PurchaseLine, Drug).join(Drug, Drug.id == PurchaseLine.drug_id)
                                        .where(PurchaseLine.receipt_id == receipt.id).order_by(PurchaseLine.line_no)):
                back = min(left.get(line.batch_id, 0), line.quantity)  # a lot on two lines: the first takes it first
                left[line.batch_id] = left.get(line.batch_id, 0) - back
                lines.append(PurchaseLineInfo(line.id, line.line_no, drug.id, drug.generic_name, drug.strength,
                                              drug.units_per_pack, drug.pack_unit, drug.base_unit, line.batch_id,
                                              line.batch_no, line.expiry, line.quantity, line.pack_price_fen,
                                              line.amount_fen, line.code_count, back))
            return PurchaseDetail(self._purchase_info(s, receipt), lines)

    @staticmethod
    def _purchase_info(s, r: PurchaseReceipt) -> PurchaseInfo:
        distributor = s.get(Distributor, r.distributor_id)
        count = s.scalar(select(func.count()).select_from(PurchaseLine).where(PurchaseLine.receipt_id == r.id))
        return PurchaseInfo(r.id, r.receipt_no, r.kind, r.distributor_id, distributor.name if distributor else "",
                            r.delivery_note_no, r.invoice_no, r.returns_id, r.received_at, int(count or 0), r.total_fen,
                            r.user_name, r.note)


__all__ = ["PurchasingMixin", "month_span"]
