"""The figures of a village's monthly statement (DESIGN §9; the formulas are in ``service``'s docstring):
the priced shipment lines the village received (``supplied_lines``), the returns the township received
(``returned_fen``), the pre-集采 reference prices and each line's saving; ``FiguresMixin`` computes a
statement's figures (``compute``) and the month's 节约医保基金 (``savings``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import (
    Drug,
    DrugReferencePrice,
    EssentialDrugSubsidy,
    ReturnReceipt,
    ShipmentLine,
    TransferReceipt,
    TransferReceiptLine,
)
from app.domain.money import round_half_up_div
from app.domain.statements import deduct, month_span, parse_month, previous_month
from app.services.core.context import requires
from app.services.settlement.reports import fund_receivable_fen
from app.services.statements.common import StatementBase
from app.services.statements.types import SavingsRow, StatementFigures
from app.services.transfers.common import amount_fen


@dataclass(frozen=True)
class SuppliedLine:
    """One shipment line as the village received it, priced (the statement's and the savings' raw rows)."""

    drug_id: str
    qty_received: int
    pack_price_fen: int
    units_per_pack: int
    amount_fen: int


def supplied_lines(s: OrmSession, site_id: str, month: str) -> list[SuppliedLine]:
    """The shipment lines ``site_id`` received in ``month`` (its receipts' ``received_at``), with their amount
    at the procurement price, rounded half-up per line."""
    lo, hi = month_span(month)
    out = []
    for drug_id, qty, price, per_pack in s.execute(
        select(TransferReceiptLine.drug_id, TransferReceiptLine.qty_received, ShipmentLine.pack_price_fen,
               Drug.units_per_pack)
        .join(TransferReceipt, TransferReceipt.id == TransferReceiptLine.receipt_id)
        .join(ShipmentLine, ShipmentLine.id == TransferReceiptLine.shipment_line_id)
        .join(Drug, Drug.id == TransferReceiptLine.drug_id)
        .where(TransferReceipt.site_id == site_id, TransferReceipt.received_at >= lo, TransferReceipt.received_at < hi)
        .order_by(TransferReceipt.received_at, TransferReceiptLine.id)
    ):
        per_pack = max(int(per_pack or 1), 1)
        out.append(SuppliedLine(drug_id, qty, price, per_pack, amount_fen(qty, price, per_pack)))
    return out


def returned_fen(s: OrmSession, site_id: str, month: str) -> int:
    lo, hi = month_span(month)
    return int(s.scalar(select(func.coalesce(func.sum(ReturnReceipt.amount_fen), 0)).where(
        ReturnReceipt.site_id == site_id, ReturnReceipt.received_at >= lo, ReturnReceipt.received_at < hi)) or 0)


def reference_prices(s: OrmSession) -> dict[str, int]:
    """drug → its pre-集采 reference price per pack (the township's row)."""
    return {d: p for d, p in s.execute(select(DrugReferencePrice.drug_id, DrugReferencePrice.reference_price_fen)
                                       .order_by(DrugReferencePrice.updated_at))}


def line_saving(line: SuppliedLine, reference_fen: int | None) -> int:
    """(reference − procurement price per pack) × packs received, rounded half-up; 0 without a reference."""
    if reference_fen is None:
        return 0
    return round_half_up_div((reference_fen - line.pack_price_fen) * line.qty_received, line.units_per_pack)



class FiguresMixin(StatementBase):
    """A statement's figures, computed from the rows held here, and the month's savings."""

    # -- the figures -----------------------------------------------------------------------------------
    @requires("statements.read")
    def compute(self, site_id: str, month: str) -> StatementFigures:
        """The village's statement figures for ``month`` (DESIGN §9 ``report statement``): a final statement's
        as they were finalised, otherwise computed now from the rows held here."""
        month = parse_month(month)
        with self.db.read() as s:
            village = self._village(s, site_id)
            row = self._statement_of(s, village.id, month)
            if row is not None and row.status != "draft":
                return self._info(s, row).figures
            return self._compute(s, village.id, month)

    def _compute(self, s: OrmSession, site_id: str, month: str) -> StatementFigures:
        lines = supplied_lines(s, site_id, month)
        supplied = sum(line.amount_fen for line in lines)
        refs = reference_prices(s)
        savings = sum(line_saving(line, refs.get(line.drug_id)) for line in lines)
        returned = returned_fen(s, site_id, month)
        previous = self._statement_of(s, site_id, previous_month(month))
        carried_in = previous.carried_out_fen if previous is not None else 0
        due = supplied - returned + carried_in
        fund = fund_receivable_fen(s, site_id, month)
        subsidy = int(s.scalar(select(EssentialDrugSubsidy.amount_fen).where(
            EssentialDrugSubsidy.site_id == site_id, EssentialDrugSubsidy.month == month)) or 0)
        d = deduct(due, fund, subsidy)
        mark = self._mark(s, site_id, month)
        row = self._statement_of(s, site_id, month)
        status = self._status(s, row) if row is not None else "draft"
        return StatementFigures(site_id, month, supplied, returned, due, carried_in, fund, subsidy, d.from_fund_fen,
                                d.from_subsidy_fen, d.carried_out_fen, mark, status, savings)

    @requires("statements.read")
    def savings(self, month: str, *, site_id: str | None = None) -> list[SavingsRow]:
        """节约医保基金 for ``month``: per drug and procurement price, the packs supplied to the village (every
        village when ``site_id`` is None) × (pre-集采 reference price − procurement price)."""
        month = parse_month(month)
        with self.db.read() as s:
            sites = [self._village(s, site_id).id] if site_id else [v.id for v in self._villages(s)]
            refs = reference_prices(s)
            groups: dict[tuple[str, int], list[SuppliedLine]] = defaultdict(list)
            for sid in sites:
                for line in supplied_lines(s, sid, month):
                    groups[(line.drug_id, line.pack_price_fen)].append(line)
            drugs = {d.id: d for d in s.scalars(select(Drug).where(Drug.id.in_({k[0] for k in groups})))}
            out = []
            for (drug_id, price), lines in groups.items():
                drug = drugs[drug_id]
                out.append(SavingsRow(site_id, drug_id, drug.generic_name, drug.strength or "",
                                      drug.national_code or "", drug.pack_unit, drug.base_unit,
                                      lines[0].units_per_pack, sum(x.qty_received for x in lines), refs.get(drug_id),
                                      price, sum(x.amount_fen for x in lines),
                                      sum(line_saving(x, refs.get(drug_id)) for x in lines)))
            return sorted(out, key=lambda r: (-r.saving_fen, r.generic_name, r.pack_price_fen))
