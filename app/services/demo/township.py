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
from collections import defaultdict
from datetime import date, datetime, timedelta

from app.services.demo.catalog import lot
from app.services.demo.ledger import StoreLedger
from app.services.demo.rows import dt_text
from app.services.demo.village import DemoContext

CASE_PACKS = 10


def township_history(ctx: DemoContext, *, site_id: str, store_id: str, user_id: str, user_name: str,
                     start: date) -> StoreLedger:
    """Write the township store's ledger; returns it (its batch rows are written by the caller)."""
    ledger = StoreLedger(ctx.ids, store_id, site_id, [d.id for d in ctx.drugs], ctx.add["stock_movements"])
    local = site_id == ctx.local_site_id
    by_lot: dict[tuple[int, str, date], list[tuple]] = defaultdict(list)
    for ship in ctx.shipments:
        _at, _village, drug, batch_no, expiry, _qty, _cost, _sid = ship
        by_lot[(drug, batch_no, expiry)].append(ship)
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
    purchase_docs: dict[date, str] = {}
    for at, _order, event in events:
        if event[0] == "buy":
            _, drug, batch_no, expiry, quantity, cost = event
            doc = purchase_docs.setdefault(at.date(), ctx.ids())
            ledger.receive(drug, batch_no, expiry, quantity, cost, at, "receipt", "purchase", doc, user_id)
        elif event[0] == "out":
            ship_at, _village, drug, batch_no, expiry, quantity, _cost, shipment_id = event[1]
            batch = ledger.by_lot[(drug, batch_no, expiry)]
            ledger.move(batch, -quantity, ship_at, "transfer_out", "shipment", shipment_id, user_id)
        else:
            for batch in ledger.expired_on_shelf(at.date()):
                movement_id = ledger.move(batch, -batch.on_hand, at, "write_off", "write_off", ctx.ids(), user_id,
                                          reason="过期")
                if local:
                    ctx.add["audit_log"]((dt_text(at), site_id, user_id, user_name, "stock.write_off", "batches", batch.id,
                                          json.dumps({"movement_id": movement_id, "reason": "过期"}, ensure_ascii=False)))
            ledger.prune(at.date())
        ctx.maybe_flush()
    return ledger
