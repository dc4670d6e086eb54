"""Stock data for the UI tests and screenshots, written through the real services.

The three drugs and the dates (``NOW``, ``days``) are the integration tests' own
(``tests/integration/stock/stock_helpers.py``), so both folders seed the same catalog.
``seed_small`` makes three drugs with a few batches (fast); ``seed_demo`` imports the bundled
catalog (resources/catalog/drugs.csv) and gives a clinic a realistic shelf: batches of many drugs,
near-expiry, expired and no-code stock, dispensing, write-offs, a reversal and a finished stocktake.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from app.paths import resource
from app.services.catalog.service import DrugInfo

sys.path.insert(0, str(Path(__file__).parents[2] / "integration" / "stock"))

from stock_helpers import NOW, create_drugs, days  # noqa: E402


def codes(prefix: str, n: int) -> list[str]:
    """``n`` well-formed trace codes (20 digits, starting with 8)."""
    return [f"8{prefix}{i:07d}"[:20].ljust(20, "0") for i in range(n)]


@dataclass
class Small:
    amox: DrugInfo  # 阿莫西林胶囊 24粒/盒, 2 batches
    nife: DrugInfo  # 硝苯地平缓释片 30片/盒, VBP, min stock 60
    vb1: DrugInfo  # 维生素B1片 100片/瓶, no codes
    amox_old: str  # batch ids
    amox_new: str
    nife_batch: str
    vb1_batch: str


def seed_small(sv) -> Small:  # noqa: ANN001
    amox, nife, vb1 = create_drugs(sv)
    amox_old = sv.stock.receive(amox.id, "A2401", days(60), "2", trace_codes=codes("1000001", 2),
                                 accept_near_expiry=True)
    amox_new = sv.stock.receive(amox.id, "A2409", days(500), "3", trace_codes=codes("1000002", 3))
    nife_batch = sv.stock.receive(nife.id, "N2405", days(400), "1", trace_codes=codes("1000003", 1))
    vb1_batch = sv.stock.receive(vb1.id, "V2312", days(300), "2")
    return Small(amox, nife, vb1, amox_old, amox_new, nife_batch, vb1_batch)


def seed_demo(sv, seed: int = 7) -> dict[str, DrugInfo]:  # noqa: ANN001
    """The bundled catalog and a lived-in shelf. Returns drugs by generic name."""
    sv.catalog.import_file(resource("catalog", "drugs.csv"))
    drugs = {d.generic_name: d for d in sv.catalog.search("", limit=1000)}
    rng = random.Random(seed)
    names = sorted(drugs)
    stocked = rng.sample(names, min(46, len(names)))
    for i, name in enumerate(stocked):
        d = drugs[name]
        lots = 1 + (i % 3 == 0)
        for k in range(lots):
            expiry = days(rng.choice((40, 75, 130, 170, 260, 420, 560, 700)) + 30 * k)
            packs = rng.randint(2, 12)
            no_code = i % 7 == 3
            batch_no = f"{'B' if k else ''}{2400 + rng.randint(1, 12):04d}{rng.randint(10, 99)}"
            at = NOW - timedelta(days=rng.randint(20, 120))
            sv.stock.receive(d.id, batch_no, expiry, str(packs), at=at,
                             trace_codes=[] if no_code else codes(f"{i:03d}{k}{rng.randint(100, 999)}", packs),
                             accept_near_expiry=True)
    # an expired batch still on the shelf, received long ago
    old = drugs[stocked[1]]
    sv.stock.receive(old.id, "230611", days(-12), "2", at=NOW - timedelta(days=400), trace_codes=[])
    # dispensing over the last weeks, some write-offs and a reversal
    for name in stocked[:24]:
        d = drugs[name]
        for back in range(rng.randint(2, 6)):
            try:
                sv.stock.dispense(d.id, f"{rng.randint(1, max(2, d.units_per_pack))}{d.base_unit}",
                                  at=NOW - timedelta(days=back * 3, hours=rng.randint(0, 8)))
            except Exception:  # noqa: BLE001 - a shelf may run dry; that is realistic
                break
    batches = sv.stock.batches()
    sv.stock.write_off(batches[0].batch_id, f"1{batches[0].base_unit}", "damaged", "包装破损")
    sv.stock.write_off(batches[3].batch_id, f"2{batches[3].base_unit}", "other", "受潮")
    wrong = sv.stock.recent_movements(["receipt"], 1)[0]
    sv.stock.reverse_movement(wrong.movement_id, "重复入库")
    take = sv.stocktake.start(sv.stock.local_store_id(), "shelf", drugs[stocked[0]].shelf or "A-01")
    for line in sv.stocktake.lines(take.id):
        sv.stocktake.record_count(take.id, line.batch_id, max(0, line.expected_qty - (1 if line.expected_qty > 3 else 0)))
    sv.stocktake.finalise(take.id)
    return drugs
