"""Township operations 三统 in the demo (DESIGN §4, §9): requisitions 报量, shipments 调拨 and their receipts
调拨入库, the villages' month-end marks, the basic-drug subsidy and the monthly unified statements 统一结算单.

Each village's shipments are generated with its history (``VillageTransfers``, a mixin of ``VillageSim``):
most monthly shipments answer a requisition the village sent two days before; the township ships the
day before the village counts the boxes in, and a few receipts come up one box short (a loss noted with
its reason, so the township's TRANSFER_OUT = the village's TRANSFER_IN + the loss). The last shipment or
two of every village are still on the road (shipped, not received). The shipment lines themselves are
written with the township's ledger (``app.services.demo.township``), which knows its lots.

The statements follow DESIGN §9 exactly: supplied = the receipt lines received in the month at the
procurement price, the fund receivable = that month's settlements' fund + general-fee fund net of
reversals, deducted from the fund first, then from the subsidy, the rest carried to the next month.
Every ended month is final and acknowledged by the village, except the last one (a draft).
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.domain.ids import derived_id
from app.domain.money import round_half_up_div
from app.services.demo.catalog import DemoDrug, lot
from app.services.demo.rows import BulkWriter, dt_text

TRANSFER_COLUMNS: dict[str, tuple[str, ...]] = {
    "distributors": ("name", "credit_code", "contact", "phone", "active"),
    "drug_reference_prices": ("drug_id", "reference_price_fen", "note"),
    "purchase_receipts": ("site_id", "store_id", "distributor_id", "kind", "receipt_no", "delivery_note_no",
                          "invoice_no", "received_at", "total_fen", "user_id", "user_name", "note"),
    "purchase_lines": ("receipt_id", "line_no", "drug_id", "batch_id", "batch_no", "expiry", "quantity",
                       "pack_price_fen", "amount_fen", "code_count"),
    "requisitions": ("site_id", "store_id", "requisition_no", "requested_at", "target_months", "status", "user_id",
                     "user_name", "note"),
    "requisition_lines": ("requisition_id", "line_no", "drug_id", "monthly_use_units", "on_hand_units",
                          "in_transit_units", "suggested_units", "requested_units"),
    "shipments": ("site_id", "store_id", "to_site_id", "shipment_no", "kind", "requisition_id", "status",
                  "drafted_at", "shipped_at", "user_id", "user_name", "note"),
    "shipment_lines": ("shipment_id", "line_no", "drug_id", "requisition_line_id", "requested_units", "quantity",
                       "batch_id", "batch_no", "expiry", "pack_price_fen", "trace_codes", "to_site_id"),
    "transfer_receipts": ("shipment_id", "site_id", "store_id", "received_at", "user_id", "user_name", "note"),
    "transfer_receipt_lines": ("receipt_id", "shipment_line_id", "drug_id", "batch_id", "qty_shipped",
                               "qty_received", "qty_lost", "reason"),
    "essential_drug_subsidies": ("site_id", "month", "amount_fen", "note", "to_site_id"),
    "month_closes": ("site_id", "month", "last_local_seq", "closed_at"),
    "statements": ("site_id", "month", "statement_no", "supplied_fen", "returned_fen", "carried_in_fen", "due_fen",
                   "fund_receivable_fen", "subsidy_fen", "from_fund_fen", "from_subsidy_fen", "carried_out_fen",
                   "savings_fen", "covers_local_seq", "status", "drafted_at", "finalised_at", "user_id", "user_name",
                   "to_site_id"),
    "statement_acknowledgments": ("statement_id", "site_id", "acknowledged_at", "user_id", "user_name", "note"),
    "stock_returns": ("site_id", "store_id", "return_no", "returned_at", "drug_id", "batch_id", "batch_no", "expiry",
                      "quantity", "pack_price_fen", "trace_codes", "reason", "user_id", "user_name"),
}

LOSS_REASONS = ("破损：运输途中药盒压破", "破损：外包装受潮", "短少：到货少一盒")
SUBSIDY_NOTE = "示例：基本药物制度补助（按月）"
REFERENCE_NOTE = "示例：集采前挂网价"


def transfer_tables(writer: BulkWriter) -> dict[str, Callable[[tuple], None]]:
    """The tuple layout of the township-operations tables (after id, owner, created, updated, version)."""
    return {name: writer.define(name, columns) for name, columns in TRANSFER_COLUMNS.items()}


def month_of(at: date | datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def next_month_start(month: str) -> date:
    year, mo = int(month[:4]), int(month[5:])
    return date(year + mo // 12, mo % 12 + 1, 1)


def reference_price(drug: DemoDrug) -> int | None:
    """The drug's pack price before its 集采 round (the old price the history charged), for 集采 drugs."""
    if drug.vbp_start is None:
        return None
    return int(drug.price_fen * drug.pre_vbp_factor)


def line_amount(quantity: int, pack_price_fen: int, units_per_pack: int) -> int:
    """DESIGN §9 ``amount_fen``: round_half_up(quantity × pack price / units per pack)."""
    return round_half_up_div(quantity * pack_price_fen, units_per_pack)


def line_savings(drug: DemoDrug, quantity: int, pack_price_fen: int) -> int:
    """节约: (reference − procurement price) × quantity, for a drug with a reference price."""
    ref = reference_price(drug)
    if ref is None:
        return 0
    return round_half_up_div((ref - pack_price_fen) * quantity, drug.units_per_pack)


@dataclass(frozen=True)
class ShipLine:
    drug: DemoDrug
    batch_no: str
    expiry: date
    packs: int
    keep: bool = False  # left on the village's shelf after expiry
    asked: bool = True  # a line of the requisition (extras are added by the township)


class VillageTransfers:
    """Requisitions, shipments, receipts and statements of ``VillageSim`` (uses its attributes)."""

    def transfers_init(self) -> None:
        plan = self.plan
        self.trng = random.Random(f"transfers:{plan.index}:{self.ctx.today}")
        self.supplied: dict[str, int] = defaultdict(int)
        self.savings: dict[str, int] = defaultdict(int)
        self.fund: dict[str, int] = defaultdict(int)
        self.closes: dict[str, int] = {}
        self.shipped_on: dict[date, int] = defaultdict(int)
        self.visits_done = 0

    def ops_so_far(self) -> int:
        """The village's operations written so far: the outbox sequence a month-end mark covers."""
        return self.ledger.movements + 3 * self.visits_done

    # -- requisitions and shipments ---------------------------------------------------------------
    def _requisition(self, at: datetime, lines: list[ShipLine]) -> tuple[str, dict[int, tuple[str, int]]]:
        ctx, plan = self.ctx, self.plan
        requisition_id = ctx.ids()
        stamp = dt_text(at)
        ctx.add["requisitions"]((requisition_id, plan.site_id, stamp, stamp, 1, plan.site_id, plan.store_id,
                                 self._number(at.date(), "BL"), stamp, 1, "submitted", plan.doctor_id, plan.doctor_name,
                                 ""))
        out = {}
        for no, line in enumerate(lines, 1):
            drug = line.drug
            upp = drug.units_per_pack
            monthly = round(self.expected[drug.index])
            on_hand = self.ledger.balance[drug.index]
            suggested = math.ceil(max(0, monthly - on_hand) / upp) * upp
            requested = line.packs * upp
            line_id = ctx.ids()
            ctx.add["requisition_lines"]((line_id, plan.site_id, stamp, stamp, 1, requisition_id, no, drug.id, monthly,
                                          on_hand, 0, suggested, requested))
            out[drug.index] = (line_id, requested)
        return requisition_id, out

    def deliver(self, lines: list[ShipLine], shipped_at: datetime, received_at: datetime | None, *,
                requisition_at: datetime | None = None, kind: str | None = None, coded_from_rng: bool = False) -> None:
        """One shipment from the township: requisition (optional), shipped, and counted in when received."""
        ctx, plan, ledger, trng = self.ctx, self.plan, self.ledger, self.trng
        town_id, town_store, town_user, town_user_name = ctx.township
        asked = [line for line in lines if line.asked]
        requisition_id, req_lines = (None, {})
        if requisition_at is not None and asked:
            requisition_id, req_lines = self._requisition(requisition_at, asked)
        kind = kind or ("requisition" if requisition_id else "ad_hoc")
        shipment_id = ctx.ids()
        day = shipped_at.date()
        self.shipped_on[day] += 1
        shipment_no = f"DB{day:%Y%m%d}-{plan.index * 10 + self.shipped_on[day]:04d}"
        drafted = max(requisition_at or shipped_at, shipped_at - timedelta(hours=2))
        ctx.add["shipments"]((shipment_id, town_id, dt_text(drafted), dt_text(shipped_at), 1, town_id, town_store,
                              plan.site_id, shipment_no, kind, requisition_id, "shipped", dt_text(drafted),
                              dt_text(shipped_at), town_user, town_user_name, ""))
        receipt_id = derived_id(shipment_id, "transfer_receipt") if received_at else None
        short = -1
        if received_at and trng.random() < 0.06:
            several = [i for i, line in enumerate(lines) if line.packs >= 2]
            short = trng.choice(several) if several else -1
        priced_on = (received_at or shipped_at).date()
        stamp = dt_text(received_at) if received_at else ""
        month = month_of(received_at) if received_at else ""
        notes = []
        for no, line in enumerate(lines, 1):
            drug = line.drug
            upp = drug.units_per_pack
            shipped = line.packs * upp
            lost = upp if no - 1 == short else 0
            price = drug.price_on(priced_on)
            if coded_from_rng:  # the history's own random stream decides, as it always did
                coded = priced_on >= ctx.trace_from and self.rng.random() < 0.85
            else:
                coded = priced_on >= ctx.trace_from and trng.random() < 0.85
            codes = []
            if coded:
                for _ in range(line.packs):
                    self.code_no += 1
                    codes.append(f"{drug.trace_prefix}{plan.index:03d}{self.code_no:010d}")
            line_id = ctx.ids()
            req_line_id, requested = req_lines.get(drug.index, (None, 0)) if line.asked else (None, 0)
            if received_at:
                batch = ledger.receive(drug.index, line.batch_no, line.expiry, shipped - lost, price, received_at,
                                       "transfer_in", "transfer_receipt", receipt_id, plan.doctor_id, no_codes=not coded)
                batch.keep = batch.keep or line.keep
                for code in codes[:len(codes) - lost // upp]:
                    batch.codes.append(code)
                    ledger.code_event(code, "received", batch, received_at, "transfer_receipt", receipt_id)
                reason = trng.choice(LOSS_REASONS) if lost else ""
                if lost:
                    notes.append(f"{drug.generic_name}短少 {lost}{drug.base_unit}")
                ctx.add["transfer_receipt_lines"]((
                    derived_id(line_id, "transfer_receipt_line"), plan.site_id, stamp, stamp, 1, receipt_id, line_id,
                    drug.id, batch.id, shipped, shipped - lost, lost, reason))
                self.supplied[month] += line_amount(shipped - lost, price, upp)
                self.savings[month] += line_savings(drug, shipped - lost, price)
            ctx.shipments.append((shipped_at, plan.index, drug.index, line.batch_no, line.expiry, shipped, price,
                                  shipment_id, line_id, no, req_line_id, requested, json.dumps(codes), plan.site_id))
        if received_at:
            ctx.add["transfer_receipts"]((receipt_id, plan.site_id, stamp, stamp, 1, shipment_id, plan.site_id,
                                          plan.store_id, stamp, plan.doctor_id, plan.doctor_name, "；".join(notes)))
            ctx.counts["transfer_receipts"] = ctx.counts.get("transfer_receipts", 0) + 1

    def in_transit(self) -> None:
        """The last shipments, still on the road: the drugs the village let run low, asked for three days ago
        and shipped yesterday; and for every other village a small extra sent this morning, and for the
        others a requisition sent yesterday evening that the township has not answered yet."""
        ctx, plan, trng = self.ctx, self.plan, self.trng
        today = ctx.today
        yesterday = today - timedelta(days=1)
        shipped = datetime(yesterday.year, yesterday.month, yesterday.day, 15, 20 + plan.index % 30)
        if shipped <= ctx.until and self.low_stock:
            lines = []
            for i in sorted(self.low_stock):
                drug = ctx.drugs[i]
                packs = max(2, math.ceil(max(self.expected[i], drug.min_stock_units) * 1.2 / drug.units_per_pack))
                lines.append(ShipLine(drug, *lot(drug, today.year, today.month), packs))
            asked = today - timedelta(days=3)
            self.deliver(lines, shipped, None, requisition_at=datetime(asked.year, asked.month, asked.day, 17, 10))
        morning = datetime(today.year, today.month, today.day, 7, 40)
        used = [d for d in ctx.drugs if self.expected[d.index] > 0 and d.index not in self.low_stock]
        evening = datetime(yesterday.year, yesterday.month, yesterday.day, 17, 40)
        if plan.index % 2 == 0 and evening <= ctx.until and len(used) >= 3:  # a requisition the township has not answered
            picks = sorted(trng.sample(used, 3), key=lambda d: d.index)
            self._requisition(evening, [ShipLine(d, "", today, max(1, math.ceil(self.expected[d.index] / d.units_per_pack)))
                                        for d in picks])
        if plan.index % 2 == 1 and morning <= ctx.until and used:
            picks = sorted(trng.sample(used, min(2, len(used))), key=lambda d: d.index)
            self.deliver([ShipLine(d, *lot(d, today.year, today.month), trng.randint(2, 4), asked=False) for d in picks],
                         morning, None, kind="ad_hoc")

    def return_near_expiry(self, day: date) -> None:
        """退回乡镇 after closing time: half of a near-expiry lot goes back for 调剂 (the township has not
        received it yet), with the trace codes of the boxes sent."""
        ctx, plan, ledger = self.ctx, self.plan, self.ledger
        at = datetime(day.year, day.month, day.day, 18, 50)
        lots = [b for i in self.near_lots for b in ledger.batches[i]
                if b.batch_no.endswith("N") or b.expiry <= day + timedelta(days=180)]
        lots = [b for b in lots if b.on_hand >= 2 * ctx.drugs[b.drug].units_per_pack and b.expiry > day]
        if at > ctx.until or not lots:
            return
        batch = min(lots, key=lambda b: (b.expiry, b.batch_no))
        upp = ctx.drugs[batch.drug].units_per_pack
        quantity = batch.on_hand // upp // 2 * upp
        return_id = ctx.ids()
        reason = "近效期调剂，退回乡镇"
        ledger.move(batch, -quantity, at, "return", "stock_return", return_id, plan.doctor_id, reason=reason)
        sent = []
        while len(batch.codes) > batch.on_hand // upp:
            code = batch.codes.pop()
            sent.append(code)
            ledger.code_event(code, "returned", batch, at, "stock_return", return_id)
        stamp = dt_text(at)
        ctx.add["stock_returns"]((return_id, plan.site_id, stamp, stamp, 1, plan.site_id, plan.store_id,
                                  self._number(day, "TH"), stamp, ctx.drugs[batch.drug].id, batch.id, batch.batch_no,
                                  batch.expiry.isoformat(), quantity, batch.cost, json.dumps(sent), reason,
                                  plan.doctor_id, plan.doctor_name))
        if self.local:
            self.audit(at, "stock.return", "batches", batch.id, quantity=quantity, reason=reason)

    # -- month ends and statements ----------------------------------------------------------------
    def statements(self) -> None:
        """Month-end marks, the subsidy and the statement of every ended month since the history began."""
        ctx, plan, trng = self.ctx, self.plan, self.trng
        town_id, _store, town_user, town_user_name = ctx.township
        first, last = month_of(plan.start), month_of(date(ctx.today.year, ctx.today.month, 1) - timedelta(days=1))
        subsidy = round(trng.uniform(1800, 3600), -2) * 100
        latest = ctx.until - timedelta(minutes=1)

        def at(day: date, hour: int, minute: int) -> datetime:
            return max(datetime(day.year, day.month, day.day), min(latest, datetime(day.year, day.month, day.day, hour,
                                                                                   minute)))

        month, carried = first, 0
        while month <= last:
            after = next_month_start(month)
            closed = at(after, 7, 1 + plan.index % 50)
            covers = self.closes.get(month, self.ops_so_far())
            ctx.add["month_closes"]((ctx.ids(), plan.site_id, dt_text(closed), dt_text(closed), 1, plan.site_id, month,
                                     covers, dt_text(closed)))
            entered = at(after, 8, 30)
            ctx.add["essential_drug_subsidies"]((ctx.ids(), town_id, dt_text(entered), dt_text(entered), 1,
                                                 plan.site_id, month, subsidy, SUBSIDY_NOTE, plan.site_id))
            figures = statement_figures(self.supplied[month], 0, carried, self.fund[month], subsidy)
            final = month != last
            drafted = at(after, 9, plan.index % 60)
            finalised = at(after + timedelta(days=1 + plan.index % 3), 10, plan.index % 60) if final else None
            statement_id = ctx.ids()
            ctx.add["statements"]((
                statement_id, town_id, dt_text(drafted), dt_text(finalised or drafted), 1, plan.site_id, month,
                f"JS{month.replace('-', '')}-{plan.index:03d}", *figures, self.savings[month], covers,
                "final" if final else "draft", dt_text(drafted), dt_text(finalised) if finalised else None, town_user,
                town_user_name, plan.site_id))
            if finalised is not None:
                ack = at(finalised.date() + timedelta(days=1), 8, 10 + trng.randrange(40))
                ctx.add["statement_acknowledgments"]((ctx.ids(), plan.site_id, dt_text(ack), dt_text(ack), 1,
                                                      statement_id, plan.site_id, dt_text(ack), plan.doctor_id,
                                                      plan.doctor_name, "已核对，无异议"))
            carried = figures[-1]
            month = month_of(after)


def statement_figures(supplied: int, returned: int, carried_in: int, fund: int, subsidy: int) -> tuple[int, ...]:
    """(supplied, returned, carried_in, due, fund_receivable, subsidy, from_fund, from_subsidy, carried_out):
    due = supplied − returned + carried in, taken from the fund receivable first, then from the subsidy."""
    due = supplied - returned + carried_in
    from_fund = min(max(due, 0), max(fund, 0))
    from_subsidy = min(due - from_fund, subsidy) if due - from_fund > 0 else 0
    return (supplied, returned, carried_in, due, fund, subsidy, from_fund, from_subsidy, due - from_fund - from_subsidy)
