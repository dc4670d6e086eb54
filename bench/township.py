"""Benchmark of the township's 村室药品一览; prints ONE JSON line of figures (ratios, not asserts).

``OverviewService.villages()`` (every figure of every village) on a township of 40 villages × 10 years
of stock history, against ONE plain SQL statement over the same rows computing the same figures
(``PLAIN_SQL``, run with ``sqlite3`` and the application's pragmas). Target: ratio ≤ 2 and under 1 s.
Both are timed ``--runs`` times in one process after one warm-up each; the medians are compared. The
two answers are compared too (``agree``: every figure of every village equal; days of stock may differ
by one where the SQL's floating point rounds a boundary the service computes exactly).

The township is written here directly with ``executemany`` (the point is the volume, not the way the
rows came; ``cunyi demo --scale township-10y`` takes ~10 minutes and 9 GB): a standalone township made by
the services, then its catalog of ``--drugs`` drugs and, per village, its site and store, the lots of the
drugs it keeps (a new lot every 60–120 days, expiring 18–36 months after), a dispensing movement of each
drug every few days over ``--years`` years (FEFO from the oldest unexpired lot, expired remainders
written off), a few minimum stocks, requisitions, shipments in transit and the hub's last sync. The
outbox triggers are suspended during the load and put back after (only the township's own rows are
queued, as the triggers would have). It is built once in ``--work`` and reused (``bench.done``).

Also reported: ``monthly_usage(per="site")`` (12 months of every village, the chart behind the page).

Usage: ``python3 bench/township.py [--work DIR] [--runs N] [--villages 40] [--years 10] [--drugs 250]``
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.bootstrap import Services, bootstrap  # noqa: E402
from app.db.connection import begin_bulk_load, configure, end_bulk_load  # noqa: E402
from app.domain import clock  # noqa: E402
from app.services.demo.rows import (  # noqa: E402
    IdFactory,
    TableSpec,
    drop_outbox_triggers,
    dt_text,
    queue_local_rows,
    secondary_indexes,
)

PASSWORD = "bench1234"
DONE = "bench.done"
BIG = ("stock_movements", "batches")
UNITS = (10, 12, 20, 24, 28, 30, 36, 48, 100)

PLAIN_SQL = """
WITH v AS (
  SELECT s.id AS site_id, s.name, (SELECT st.id FROM stores st WHERE st.site_id = s.id ORDER BY st.id LIMIT 1) AS store_id
  FROM sites s WHERE s.township_id = :township AND s.kind = 'village'),
lots AS (
  SELECT b.store_id, b.drug_id, b.on_hand, d.is_vbp,
         (2 * b.on_hand * b.pack_cost_fen + d.units_per_pack) / (2 * d.units_per_pack) AS worth,
         CAST(julianday(b.expiry) - julianday(:today) AS INTEGER) AS left_days
  FROM batches b JOIN drugs d ON d.id = b.drug_id
  WHERE b.on_hand > 0 AND b.store_id IN (SELECT store_id FROM v)),
stock AS (
  SELECT store_id, sum(worth) AS value, count(DISTINCT drug_id) AS kinds,
         count(DISTINCT CASE WHEN is_vbp THEN drug_id END) AS vbp,
         sum(CASE WHEN left_days BETWEEN 0 AND :near THEN worth ELSE 0 END) AS near_value,
         count(DISTINCT CASE WHEN left_days BETWEEN 0 AND :near THEN drug_id END) AS near_kinds
  FROM lots GROUP BY store_id),
usable AS (SELECT store_id, drug_id, sum(on_hand) AS units FROM lots WHERE left_days >= 0 GROUP BY store_id, drug_id),
used AS (
  SELECT store_id, drug_id, sum(n) AS n FROM (
    SELECT m.store_id, m.drug_id, -m.quantity AS n FROM stock_movements m
    WHERE m.kind = 'dispense' AND m.occurred_at >= :since AND m.store_id IN (SELECT store_id FROM v)
    UNION ALL
    SELECT m.store_id, m.drug_id, -m.quantity FROM stock_movements m JOIN stock_movements o ON o.id = m.reverses_id
    WHERE m.kind = 'reversal' AND o.kind = 'dispense' AND m.occurred_at >= :since
      AND m.store_id IN (SELECT store_id FROM v))
  GROUP BY store_id, drug_id),
candidates AS (
  SELECT store_id, drug_id FROM used WHERE n > 0
  UNION SELECT store_id, drug_id FROM store_drug_settings
  WHERE min_stock_units > 0 AND store_id IN (SELECT store_id FROM v)),
outs AS (
  SELECT c.store_id, count(*) AS n FROM candidates c JOIN drugs d ON d.id = c.drug_id AND d.active
  LEFT JOIN usable u ON u.store_id = c.store_id AND u.drug_id = c.drug_id
  WHERE coalesce(u.units, 0) <= 0 GROUP BY c.store_id),
dos AS (
  SELECT u.store_id, sum(coalesce(us.units, 0) * d.price_fen * 1.0 / d.units_per_pack) AS have,
         sum(u.n * d.price_fen * 1.0 / d.units_per_pack) AS need
  FROM used u JOIN drugs d ON d.id = u.drug_id
  LEFT JOIN usable us ON us.store_id = u.store_id AND us.drug_id = u.drug_id
  WHERE u.n > 0 GROUP BY u.store_id),
req AS (
  SELECT r.site_id, count(*) AS n FROM requisitions r WHERE r.status = 'submitted'
    AND NOT EXISTS (SELECT 1 FROM shipments sh WHERE sh.requisition_id = r.id AND sh.status != 'cancelled')
  GROUP BY r.site_id),
transit AS (
  SELECT sh.to_site_id, count(*) AS n FROM shipments sh WHERE sh.status = 'shipped'
    AND NOT EXISTS (SELECT 1 FROM transfer_receipts t WHERE t.shipment_id = sh.id)
  GROUP BY sh.to_site_id)
SELECT v.site_id, v.name, coalesce(stock.value, 0), coalesce(stock.kinds, 0), coalesce(stock.vbp, 0),
       CASE WHEN stock.kinds > 0 THEN (2 * stock.vbp * 10000 + stock.kinds) / (2 * stock.kinds) ELSE 0 END,
       coalesce(stock.near_value, 0), coalesce(stock.near_kinds, 0), coalesce(outs.n, 0),
       CASE WHEN dos.need > 0 THEN CAST(dos.have * 90 / dos.need AS INTEGER) END,
       p.last_sync_at, coalesce(req.n, 0), coalesce(transit.n, 0)
FROM v LEFT JOIN stock ON stock.store_id = v.store_id LEFT JOIN outs ON outs.store_id = v.store_id
LEFT JOIN dos ON dos.store_id = v.store_id LEFT JOIN peer_sync_status p ON p.site_id = v.site_id
LEFT JOIN req ON req.site_id = v.site_id LEFT JOIN transit ON transit.to_site_id = v.site_id
ORDER BY v.name, v.site_id
"""
FIELDS = ("site_id", "name", "stock_value_fen", "kinds_stocked", "vbp_kinds_stocked", "vbp_share_bp",
          "near_expiry_value_fen", "near_expiry_kinds", "stockouts", "days_of_stock", "last_sync_at",
          "requisitions_waiting", "shipments_in_transit")


# -- the township ------------------------------------------------------------------------------------
@lru_cache(maxsize=200_000)
def _text(value: datetime) -> str:
    return dt_text(value)


class Loader:
    """Writes the township's villages and their history with ``executemany``."""

    def __init__(self, con: sqlite3.Connection, township: str, township_store: str, today: date, years: int,
                 drugs: int, seed: int = 12) -> None:
        self.con, self.township, self.township_store, self.today = con, township, township_store, today
        self.start = today - timedelta(days=365 * years)
        self.rng = random.Random(seed)
        self.ids = IdFactory(seed)
        self.stamp = dt_text(datetime.combine(today, datetime.min.time()))
        self.n_drugs = drugs
        self.specs = {}
        self.counts: dict[str, int] = {}

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        key = (table, columns)
        spec = self.specs.get(key)
        if spec is None:
            spec = self.specs[key] = TableSpec(table, ("id", "owner_site_id", "created_at", "updated_at", "version")
                                               + columns)
        if rows:
            self.con.executemany(spec.sql, [row + spec.extra for row in rows])
            self.counts[table] = self.counts.get(table, 0) + len(rows)

    def synced(self, owner: str, *values: object) -> tuple:
        return (self.ids(), owner, self.stamp, self.stamp, 1, *values)

    def catalog(self) -> list[tuple[str, int, int]]:
        """The township's drugs: (id, units per pack, price per pack)."""
        rows, out = [], []
        for i in range(self.n_drugs):
            upp, price = self.rng.choice(UNITS), self.rng.randint(150, 6000)
            row = self.synced(self.township, f"8690{i:06d}", f"基准药品{i:03d}片", f"{i}mg×{upp}片", "盒", "片", upp,
                              "A" if i % 3 else "B", i % 2 == 0, price, price, f"jzyp{i:03d}", f"ji zhun {i:03d}")
            rows.append(row)
            out.append((row[0], upp, price))
        self.insert("drugs", ("national_code", "generic_name", "strength", "pack_unit", "base_unit", "units_per_pack",
                              "coverage_class", "is_vbp", "price_fen", "retail_price_fen", "pinyin_keys",
                              "pinyin_sort"), rows)
        return out

    def village(self, index: int, catalog: list[tuple[str, int, int]]) -> int:
        """One village with its history; returns its number of movements."""
        rng = self.rng
        site = self.synced(self.township, "village", f"基准村{index:02d}卫生室", f"V{index:04d}", self.township)
        self.insert("sites", ("kind", "name", "code", "township_id"), [site])
        site_id = site[0]
        store = self.synced(site_id, site_id, f"基准村{index:02d}药房")
        self.insert("stores", ("site_id", "name"), [store])
        store_id = store[0]
        kept = rng.sample(catalog, rng.randint(int(len(catalog) * 0.6), int(len(catalog) * 0.8)))
        batches, movements, settings = [], [], []
        for drug_id, upp, price in kept:
            if rng.random() < 0.1:
                settings.append(self.synced(site_id, store_id, drug_id, "", upp * rng.randint(1, 3)))
            self._drug_history(site_id, store_id, drug_id, upp, price, batches, movements)
        movements.sort(key=lambda m: m[10])  # occurred_at: the store's ledger order
        numbered = [m[:5] + (seq,) + m[5:] for seq, m in enumerate(movements, start=1)]
        self.insert("store_drug_settings", ("store_id", "drug_id", "shelf", "min_stock_units"), settings)
        self.insert("batches", ("store_id", "drug_id", "batch_no", "expiry", "pack_cost_fen", "on_hand", "received_on"),
                    batches)
        self.insert("stock_movements", ("seq", "store_id", "drug_id", "batch_id", "kind", "quantity", "occurred_at",
                                        "doc_type", "reason", "batch_balance_after", "drug_balance_after"), numbered)
        self._documents(site_id, store_id, index)
        return len(numbered)

    def _drug_history(self, site_id: str, store_id: str, drug_id: str, upp: int, price: int, batches: list,
                      movements: list) -> None:
        rng = self.rng
        per_day = rng.choice((0.2, 0.5, 1, 2, 3, 5, 8))
        every = rng.randint(6, 16)  # days between dispensing movements of this drug
        lots: list[list] = []  # [batch row index, on hand, expiry]
        balance = 0
        day = self.start + timedelta(days=rng.randint(0, 30))
        next_lot = day
        while day <= self.today:
            if day >= next_lot:
                gap = rng.randint(60, 120)
                packs = max(1, round(per_day * gap * rng.uniform(0.9, 1.3) / upp))
                qty = packs * upp
                expiry = day + timedelta(days=rng.randint(540, 1080))
                batch = self.synced(site_id, store_id, drug_id, f"L{day:%y%m%d}{rng.randint(0, 99):02d}",
                                    expiry.isoformat(), price, 0, day.isoformat())
                batches.append(batch)
                lots.append([len(batches) - 1, qty, expiry])
                balance += qty
                movements.append(self.synced(site_id, store_id, drug_id, batch[0], "transfer_in", qty,
                                             _text(datetime.combine(day, datetime.min.time()) + timedelta(hours=9)),
                                             "transfer_receipt", "", qty, balance))
                next_lot = day + timedelta(days=gap)
            at = datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randint(10, 17))
            at_text = _text(at)
            for lot in [lot for lot in lots if lot[1] > 0 and lot[2] < day]:  # expired: written off
                balance -= lot[1]
                movements.append(self.synced(site_id, store_id, drug_id, batches[lot[0]][0], "write_off", -lot[1],
                                             _text(at - timedelta(minutes=30)), "write_off", "过期", 0, balance))
                lot[1] = 0
            want = max(1, round(per_day * every * rng.uniform(0.5, 1.5)))
            for lot in sorted((lot for lot in lots if lot[1] > 0), key=lambda lot: lot[2]):
                if want <= 0:
                    break
                take = min(want, lot[1])
                lot[1] -= take
                want -= take
                balance -= take
                movements.append(self.synced(site_id, store_id, drug_id, batches[lot[0]][0], "dispense", -take,
                                             at_text, "visit", "", lot[1], balance))
            lots = [lot for lot in lots if lot[1] > 0 or lot[2] >= day]
            day += timedelta(days=every)
        for row_index, on_hand, _expiry in lots:
            if on_hand:
                b = batches[row_index]
                batches[row_index] = b[:10] + (on_hand,) + b[11:]

    def _documents(self, site_id: str, store_id: str, index: int) -> None:
        """Requisitions (some waiting), shipments (some in transit) and the hub's last sync of the village."""
        rng, now = self.rng, datetime.combine(self.today, datetime.min.time())
        requisitions, shipments = [], []
        for n in range(3):
            at = dt_text(now - timedelta(days=10 * n + 1))
            requisitions.append(self.synced(site_id, site_id, store_id, f"BL{index:02d}{n}", at, 1, "submitted"))
        self.insert("requisitions", ("site_id", "store_id", "requisition_no", "requested_at", "target_months", "status"),
                    requisitions)
        for n, req in enumerate(requisitions[1:]):  # the newest waits; the others were answered
            status = "shipped" if n == 0 and index % 2 else "draft"
            shipments.append(self.synced(self.township, self.township, self.township_store, site_id,
                                         f"DB{index:02d}{n}", "requisition", req[0], status, req[8],
                                         req[8] if status == "shipped" else None))
        self.insert("shipments", ("site_id", "store_id", "to_site_id", "shipment_no", "kind", "requisition_id",
                                  "status", "drafted_at", "shipped_at"), shipments)
        synced_at = now - timedelta(hours=rng.choice((2, 5, 30, 80)))
        self.con.execute("INSERT INTO peer_sync_status (site_id, last_sync_at, last_local_seq, fetched_at) "
                         "VALUES (?, ?, ?, ?)", (site_id, dt_text(synced_at), rng.randint(1000, 90000), dt_text(now)))


def build(root: Path, villages: int, years: int, drugs: int) -> dict[str, object]:
    """Make the township in ``root`` (a new folder); returns its size figures."""
    started = time.perf_counter()
    sv = bootstrap(root, backup_before_migrate=False)
    try:
        site = sv.sites.create_standalone("township", "基准镇卫生院", "admin", PASSWORD)
        sv.identity.sign_in("admin", PASSWORD)
        sv.users.create("pharmacist", "基准药管员", "township_pharmacist", PASSWORD)
        township, township_store = site.id, site.store_id
    finally:
        sv.close()
    con = sqlite3.connect(root / "cunyi.db", isolation_level=None)
    try:
        begin_bulk_load(con, big=True)
        indexes = secondary_indexes(con, BIG)
        con.execute("BEGIN")
        drop_outbox_triggers(con)
        for name, _sql in indexes:
            con.execute(f"DROP INDEX {name}")
        loader = Loader(con, township, township_store, clock.today(), years, drugs)
        catalog = loader.catalog()
        movements = 0
        for i in range(1, villages + 1):
            movements += loader.village(i, catalog)
        loaded = time.perf_counter()
        for _name, sql in indexes:
            con.execute(sql)
        indexed = time.perf_counter()
        queue_local_rows(con)
        con.execute("COMMIT")
        end_bulk_load(con)
    finally:
        con.close()
    return {"villages": villages, "years": years, "drugs": drugs, "movements": movements,
            "batches": loader.counts.get("batches", 0), "build_s": round(time.perf_counter() - started, 1),
            "load_s": round(loaded - started, 1), "index_s": round(indexed - loaded, 1)}


# -- the measurements ------------------------------------------------------------------------------
def plain(con: sqlite3.Connection, township: str, today: date, near_days: int) -> list[tuple]:
    since = dt_text(datetime.combine(today - timedelta(days=90), datetime.min.time()))
    return con.execute(PLAIN_SQL, {"township": township, "today": today.isoformat(), "near": near_days,
                                   "since": since}).fetchall()


def _same(service: list, sql: list[tuple]) -> bool:
    if len(service) != len(sql):
        return False
    for f, row in zip(service, sql, strict=True):
        mine = tuple(getattr(f, k) for k in FIELDS)
        for key, a, b in zip(FIELDS, mine, row, strict=True):
            if key == "last_sync_at":
                b = datetime.fromisoformat(b) if b else None
            if key == "days_of_stock" and a is not None and b is not None and abs(a - b) <= 1:
                continue
            if a != b:
                return False
    return True


def measure(root: Path, runs: int, size: dict[str, object]) -> dict[str, object]:
    sv: Services = bootstrap(root, backup_before_migrate=False)
    try:
        sv.identity.sign_in("pharmacist", PASSWORD)
        today = clock.today()
        near = sv.stock.windows().near_days
        con = sqlite3.connect(root / "cunyi.db")
        configure(con)
        township = sv.db.local_site_id
        first = sv.overview.villages()  # warm-up: both read the same pages from the OS cache
        rows = plain(con, township, today, near)
        service_s, sql_s = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            sv.overview.villages()
            service_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            plain(con, township, today, near)
            sql_s.append(time.perf_counter() - t0)
        sv.overview.monthly_usage(per="site")
        usage_s = []
        for _ in range(max(1, runs // 2)):
            t0 = time.perf_counter()
            sv.overview.monthly_usage(per="site")
            usage_s.append(time.perf_counter() - t0)
        con.close()
        service, sql = statistics.median(service_s), statistics.median(sql_s)
        return {
            "bench": "township_overview", **size, "db_mb": round((root / "cunyi.db").stat().st_size / 2**20),
            "runs": runs, "villages_s": round(service, 4), "plain_sql_s": round(sql, 4),
            "ratio": round(service / sql, 2), "target_ratio": 2, "target_s": 1,
            "agree": _same(first, rows), "monthly_usage_12m_s": round(statistics.median(usage_s), 3),
        }
    finally:
        sv.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", help="工作目录（默认临时目录，用完删除）；给出时基准库保留以便复用")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--villages", type=int, default=40)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--drugs", type=int, default=250)
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="cunyi-bench-township-"))
    root = work / f"township-{args.villages}x{args.years}y-{args.drugs}"
    try:
        marker = root / DONE
        if marker.exists():
            size = {**json.loads(marker.read_text()), "reused": True}
        else:
            if root.exists():
                shutil.rmtree(root)
            root.mkdir(parents=True)
            size = build(root, args.villages, args.years, args.drugs)
            marker.write_text(json.dumps(size))
        print(json.dumps(measure(root, args.runs, size), ensure_ascii=False))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
