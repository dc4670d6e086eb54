"""The township's transfer warehouse 中转药库 in the demo: purchases in, shipments out to villages.

Villages are generated first; every shipment they received is collected in ``DemoContext.shipments``.
The township's ledger is then written in time order from them: each lot is bought from the
distributor (采购入库, rounded up to whole cases of 10 packs) the day before its first shipment,
each shipment is a TRANSFER_OUT of the same lot (the village's TRANSFER_IN answers it, so
|OUT| = IN for every shipment), leftovers that expire are written off at the year-end check, and
the warehouse ends with the next month's purchases on hand.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from datetime import date, datetime, timedelta

from app.services.demo.catalog import lot
from app.services.demo.ledger import BatchState, StoreLedger
from app.services.demo.rows import day_text, dt_text
from app.services.demo.transfers import REFERENCE_NOTE, line_amount, reference_price
from app.services.demo.village import DemoContext

CASE_PACKS = 10


def township_history(ctx: DemoContext, *, site_id: str, store_id: str, user_id: str, user_name: str,
                     start: date) -> StoreLedger:
    """Write the township store's ledger; returns it (its batch rows are written by the caller)."""
    ledger = StoreLedger(ctx.ids, store_id, site_id, [d.id for d in ctx.drugs], ctx.add["stock_movements"])
    local = site_id == ctx.local_site_id
    by_lot: dict[tuple[int, str, date], list[tuple]] = defaultdict(list)
    for ship in ctx.shipments:
        by_lot[(ship[2], ship[3], ship[4])].append(ship)
    events: list[tuple[datetime, int, tuple]] = []
    for (drug, batch_no, expiry), ships in by_lot.items():
        first = min(s[0] for s in ships)
        per = ctx.drugs[drug].units_per_pack
        packs = math.ceil(sum(s[5] for s in ships) / per / CASE_PACKS) * CASE_PACKS
        bought = datetime(first.year, first.month, first.day, 14, 0) - timedelta(days=1)
        events.append((bought, 0, ("buy", drug, batch_no, expiry, packs * per, ships[0][6])))
        for ship in ships:
            events.append((ship[0], 1, ("out", ship)))
    # the warehouse's stock today: next month's lots, about a month of every village's use
    recent = ctx.today - timedelta(days=90)
    monthly: dict[int, int] = defaultdict(int)
    for ship in ctx.shipments:
        if ship[0].date() >= recent:
            monthly[ship[2]] += ship[5]
    restock = datetime(ctx.today.year, ctx.today.month, ctx.today.day, 10, 0) - timedelta(days=3)
    nxt = ctx.today + timedelta(days=31)
    for drug, units in monthly.items():
        d = ctx.drugs[drug]
        packs = max(CASE_PACKS, math.ceil(units / 3 / d.units_per_pack / CASE_PACKS) * CASE_PACKS)
        batch_no, expiry = lot(d, nxt.year, nxt.month)
        events.append((restock, 0, ("buy", drug, batch_no, expiry, packs * d.units_per_pack, d.price_on(ctx.today))))
    for year in range(start.year, ctx.today.year):
        events.append((datetime(year, 12, 31, 16, 0), 2, ("sweep",)))
    events.sort(key=lambda e: (e[0], e[1]))
    purchases = Purchases(ctx, site_id, store_id, user_id, user_name)
    for at, _order, event in events:
        if event[0] == "buy":
            _, drug, batch_no, expiry, quantity, cost = event
            doc = purchases.receipt(at, drug)
            batch = ledger.receive(drug, batch_no, expiry, quantity, cost, at, "receipt", "purchase", doc, user_id)
            purchases.line(doc, batch, quantity, cost)
        elif event[0] == "out":
            (ship_at, _village, drug, batch_no, expiry, quantity, cost, shipment_id, line_id, line_no, req_line_id,
             requested, codes, to_site) = event[1]
            batch = ledger.by_lot[(drug, batch_no, expiry)]
            ledger.move(batch, -quantity, ship_at, "transfer_out", "shipment", shipment_id, user_id)
            stamp = dt_text(ship_at)
            ctx.add["shipment_lines"]((line_id, site_id, stamp, stamp, 1, shipment_id, line_no, ctx.drugs[drug].id,
                                       req_line_id, requested, quantity, batch.id, batch_no, day_text(expiry), cost,
                                       codes, to_site))
        else:
            for batch in ledger.expired_on_shelf(at.date()):
                movement_id = ledger.move(batch, -batch.on_hand, at, "write_off", "write_off", ctx.ids(), user_id,
                                          reason="过期")
                if local:
                    ctx.add["audit_log"]((dt_text(at), site_id, user_id, user_name, "stock.write_off", "batches", batch.id,
                                          json.dumps({"movement_id": movement_id, "reason": "过期"}, ensure_ascii=False)))
            ledger.prune(at.date())
        ctx.maybe_flush()
    purchases.finish()
    return ledger


DISTRIBUTORS = (  # 配送企业 (example companies): name, 统一社会信用代码 body (17 characters), contact, phone, 随货单号 prefix
    ("示例市康源医药有限公司", "91410100MA44K7R2X", "周建华", "0371-6592 3381", "KY"),
    ("华中医药物流示例有限公司", "91420100MA4KQ3N8T", "李敏", "027-8765 4410", "HZ"),
    ("示例县人民药业有限责任公司", "91410122MA40BT6C5", "王海涛", "0371-6221 0957", "RM"),
)
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(body: str) -> str:
    """A 统一社会信用代码 with its check character (GB 32100-2015)."""
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return body + _CREDIT_CHARS[(31 - total % 31) % 31]


class Purchases:
    """The township's 配送企业, its 集采 drugs' reference prices, and its purchase receipts 采购入库: one receipt
    per distributor and day, each with the distributor's 随货单号 and the invoice number (发票号)."""

    def __init__(self, ctx: DemoContext, site_id: str, store_id: str, user_id: str, user_name: str) -> None:
        self.ctx, self.site_id, self.store_id, self.user = ctx, site_id, store_id, (user_id, user_name)
        self.rng = random.Random(f"purchases:{ctx.today}")
        self.open: dict[tuple[date, int], list] = {}  # (day, distributor) → [id, at, lines, total, distributor]
        self.docs: dict[str, list] = {}
        self.numbers: dict[date, int] = defaultdict(int)
        add = ctx.add["distributors"]
        self.distributors = []
        for name, body, contact, phone, prefix in DISTRIBUTORS:
            distributor_id = ctx.ids()
            stamp = dt_text(datetime.combine(ctx.today - timedelta(days=3650), datetime.min.time()))
            add((distributor_id, site_id, stamp, stamp, 1, name, credit_code(body), contact, phone, 1))
            self.distributors.append((distributor_id, prefix))
        stamp = dt_text(datetime(ctx.today.year, 1, 2, 9, 0))
        for drug in ctx.drugs:
            ref = reference_price(drug)
            if ref is not None:
                ctx.add["drug_reference_prices"]((ctx.ids(), site_id, stamp, stamp, 1, drug.id, ref, REFERENCE_NOTE))

    def receipt(self, at: datetime, drug: int) -> str:
        """The id of the receipt of this drug's distributor on that day (opened on its first line)."""
        key = (at.date(), drug % len(self.distributors))
        doc = self.open.get(key)
        if doc is None:
            doc = self.open[key] = [self.ctx.ids(), at, [], 0, key[1]]
            self.docs[doc[0]] = doc
        return doc[0]

    def line(self, receipt_id: str, batch: BatchState, quantity: int, cost: int) -> None:
        doc = self.docs[receipt_id]
        drug = self.ctx.drugs[batch.drug]
        amount = line_amount(quantity, cost, drug.units_per_pack)
        doc[2].append((batch, quantity, cost, amount))
        doc[3] += amount

    def finish(self) -> None:
        """Write the receipts and their lines."""
        ctx, rng = self.ctx, self.rng
        user_id, user_name = self.user
        for (day, _d), (receipt_id, at, lines, total, which) in sorted(self.open.items(), key=lambda kv: kv[1][1]):
            self.numbers[day] += 1
            distributor_id, prefix = self.distributors[which]
            stamp = dt_text(at)
            ctx.add["purchase_receipts"]((
                receipt_id, self.site_id, stamp, stamp, 1, self.site_id, self.store_id, distributor_id, "purchase",
                f"CG{day:%Y%m%d}-{self.numbers[day]:04d}", f"{prefix}{day:%Y%m%d}{rng.randrange(1000, 10000)}",
                f"{day:%y}{rng.randrange(10**17, 10**18)}", stamp, total, user_id, user_name, ""))
            for no, (batch, quantity, cost, amount) in enumerate(lines, 1):
                ctx.add["purchase_lines"]((ctx.ids(), self.site_id, stamp, stamp, 1, receipt_id, no,
                                           ctx.drugs[batch.drug].id, batch.id, batch.batch_no, day_text(batch.expiry),
                                           quantity, cost, amount, 0))
