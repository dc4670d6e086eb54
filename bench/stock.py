"""Stock benchmark: dispense latency on a fresh vs a big database, and a 1,000,000-row stock card.

Prints ONE JSON line:

* ``dispense_ms_fresh`` / ``dispense_ms_big``: median wall time of ``StockService.dispense`` (one
  unit of work: FEFO, ledger row, batch update, commit with ``synchronous=FULL``) over ``--runs``
  calls, on a fresh database and on the big one; ``dispense_ratio`` = big / fresh (target ≤ 1.5).
* ``card_first_page_s``: time to the first 200 rows of a drug whose stock card has 1,000,000 rows
  the first time the page is asked for in a running app (includes compiling the query; oldest first;
  target < 0.3 s);
  ``card_first_page_reopen_s`` the same page asked again (reopening the page), ``..._newest_s`` newest
  first, ``card_next_page_s`` the following page, ``card_count_s`` the lazy exact count.
* ``big_db``: where the big database came from — ``app.services.demo.builder.build_demo(scale="township-10y")``
  when that module exists, else a ledger this script builds itself (10 years, 400 drugs) — and its size.

Usage: ``python3 bench/stock.py [--work DIR] [--runs N] [--rebuild]``. The big database is kept in
``DIR/big`` and reused by later runs unless ``--rebuild``.
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
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.bootstrap import Services, bootstrap  # noqa: E402
from app.db.outbox import install_triggers  # noqa: E402
from app.services.core.context import CLI_ACTOR  # noqa: E402

CARD_ROWS = 1_000_000
TODAY = date.today()


def _dt(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _open(data: Path) -> Services:
    return bootstrap(data, actor=CLI_ACTOR, backup_before_migrate=False)


class Dispenser:
    """Times ``StockService.dispense`` of one unit of one drug (stock received first, caches warmed)."""

    def __init__(self, sv: Services, drug_id: str, runs: int) -> None:
        self.sv, self.drug_id = sv, drug_id
        self.store = sv.stock.local_store_id()
        sv.stock.receive(drug_id, "BENCH-LOT", TODAY + timedelta(days=700), runs * 2 + 100, store_id=self.store)
        self.times: list[float] = []
        for _ in range(5):
            sv.stock.dispense(drug_id, 1, store_id=self.store)

    def once(self) -> None:
        start = time.perf_counter()
        self.sv.stock.dispense(self.drug_id, 1, store_id=self.store)
        self.times.append(time.perf_counter() - start)

    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000


def fresh_site(work: Path) -> tuple[Services, str]:
    data = work / "fresh"
    shutil.rmtree(data, ignore_errors=True)
    sv = _open(data)
    sv.sites.create_standalone("village", "基准测试村", "admin", "bench-pass-1")
    drug = sv.catalog.create(generic_name="苯磺酸氨氯地平片", strength="5mg×28片", units_per_pack=28, price_fen=812,
                             pack_unit="盒", base_unit="片")
    return sv, drug.id


# -- the big database ----------------------------------------------------------------------------
def _bulk_ledger(con: sqlite3.Connection, *, owner: str, store: str, drug: str, start_seq: int, rows: int,
                 start: datetime, lot_prefix: str, per_lot: int = 1000) -> tuple[int, int]:
    """Append ``rows`` movements for one drug: lots received then dispensed one unit at a time.

    Returns (movements written, next seq). Every lot ends empty except the last, which keeps stock.
    """
    step = timedelta(days=3650) / max(rows, 1)
    seq, written, balance, lot_no = start_seq, 0, 0, 0
    batch_rows, moves = [], []
    now_text = _dt(datetime.now())
    while written < rows:
        lot_no += 1
        bid = str(uuid.uuid4())
        size = min(per_lot, rows - written)
        qty_in = size - 1 if size > 1 else 1
        when = start + step * written
        expiry = (when + timedelta(days=730)).date()
        on_hand = 0
        for i in range(size):
            qty = qty_in if i == 0 else -1
            on_hand += qty
            balance += qty
            at = _dt(start + step * (written + i))
            moves.append((str(uuid.uuid4()), owner, at, at, 1, seq, store, drug, bid,
                          "receipt" if i == 0 else "dispense", qty, at, "receipt" if i == 0 else "visit",
                          None, "", None, None, on_hand, balance))
            seq += 1
        batch_rows.append((bid, owner, now_text, now_text, 1, store, drug, f"{lot_prefix}{lot_no:05d}",
                           expiry.isoformat(), 100, on_hand, when.date().isoformat(), 1))
        written += size
        if len(moves) >= 100_000:
            _flush(con, batch_rows, moves)
            batch_rows, moves = [], []
    _flush(con, batch_rows, moves)
    return written, seq


def _flush(con: sqlite3.Connection, batches: list[tuple], moves: list[tuple]) -> None:
    con.executemany(
        "INSERT INTO batches (id, owner_site_id, created_at, updated_at, version, store_id, drug_id, batch_no, "
        "expiry, pack_cost_fen, on_hand, received_on, no_trace_codes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batches)
    con.executemany(
        "INSERT INTO stock_movements (id, owner_site_id, created_at, updated_at, version, seq, store_id, drug_id, "
        "batch_id, kind, quantity, occurred_at, doc_type, doc_id, reason, reverses_id, user_id, "
        "batch_balance_after, drug_balance_after) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", moves)


def _bulk(sv: Services, fn) -> None:  # noqa: ANN001
    """Run a raw sqlite3 bulk load with the outbox triggers off, then reinstall them."""
    sv.db.dispose()
    con = sqlite3.connect(sv.data.database, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'outbox_%'")]
    con.execute("BEGIN")
    for name in names:
        con.execute(f"DROP TRIGGER {name}")
    fn(con)
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # leave no giant WAL for the timed commits to pay for
    con.close()
    with sv.db.writer.begin() as conn:
        install_triggers(conn)


def build_own_big(data: Path, *, drugs: int = 400, rows_per_drug: int = 4000) -> dict:
    """A village with 10 years of ledger for ``drugs`` drugs (bench-built; no demo module)."""
    sv = _open(data)
    try:
        sv.sites.create_standalone("village", "基准测试村（大库）", "admin", "bench-pass-1")
        ids = []
        rng = random.Random(7)
        for i in range(drugs):
            ids.append(sv.catalog.create(generic_name=f"基准药品{i:04d}", strength=f"{rng.randint(1, 500)}mg",
                                         units_per_pack=rng.choice([10, 12, 24, 28, 30, 100]),
                                         price_fen=rng.randint(100, 5000)).id)
        store, owner = sv.stock.local_store_id(), sv.db.local_site_id
        start = datetime.combine(TODAY - timedelta(days=3650), datetime.min.time())

        def load(con: sqlite3.Connection) -> None:
            seq = 1
            for n, drug in enumerate(ids):
                _, seq = _bulk_ledger(con, owner=owner, store=store, drug=drug, start_seq=seq, rows=rows_per_drug,
                                      start=start, lot_prefix=f"D{n:03d}-", per_lot=200)
        _bulk(sv, load)
    finally:
        sv.close()
    return {"source": "bench-built (app.services.demo.builder not available)", "drugs": drugs,
            "movements": drugs * rows_per_drug}


def build_big(data: Path) -> dict:
    try:
        from app.services.demo.builder import build_demo
    except ImportError:
        return build_own_big(data)
    summary = build_demo(data, scale="township-10y", progress=lambda _msg: None)
    return {"source": "app.services.demo.builder.build_demo(scale='township-10y')", "summary": summary}


def add_million_card(sv: Services) -> tuple[str, str]:
    """A drug whose stock card has CARD_ROWS rows, appended to the store's ledger in bulk."""
    drug = sv.catalog.create(generic_name="台账基准药（百万行）", units_per_pack=100, price_fen=1000)
    store, owner = sv.stock.local_store_id(), sv.db.local_site_id
    with sv.db.read() as s:
        from sqlalchemy import func, select

        from app.db.models import StockMovement
        seq = (s.scalar(select(func.max(StockMovement.seq)).where(StockMovement.store_id == store)) or 0) + 1
    start = datetime.combine(TODAY - timedelta(days=3650), datetime.min.time())
    _bulk(sv, lambda con: _bulk_ledger(con, owner=owner, store=store, drug=drug.id, start_seq=seq, rows=CARD_ROWS,
                                       start=start, lot_prefix="M"))
    return store, drug.id


def _stats(path: Path) -> dict:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            "movements": con.execute("SELECT count(*) FROM stock_movements").fetchone()[0],
            "batches": con.execute("SELECT count(*) FROM batches").fetchone()[0],
            "drugs": con.execute("SELECT count(*) FROM drugs").fetchone()[0],
            "size_mb": round(path.stat().st_size / 1e6, 1),
        }
    finally:
        con.close()


def _pick_drug(sv: Services) -> str:
    """A real catalog drug of the big database with the most ledger rows in the local store (not the card drug)."""
    from sqlalchemy import func, select

    from app.db.models import Drug, StockMovement
    store = sv.stock.local_store_id()
    with sv.db.read() as s:
        row = s.execute(
            select(StockMovement.drug_id, func.count()).join(Drug, Drug.id == StockMovement.drug_id)
            .where(StockMovement.store_id == store, Drug.generic_name != "台账基准药（百万行）")
            .group_by(StockMovement.drug_id).order_by(func.count().desc()).limit(1)
        ).first()
        if row:
            return row[0]
        return s.scalar(select(Drug.id).limit(1))


def _slim(origin: dict) -> dict:
    """The big database's origin without nested detail (the demo summary lists every user)."""
    summary = origin.get("summary") or {}
    kept = {k: v for k, v in summary.items() if isinstance(v, int | float | str) and k not in ("site_id", "data")}
    return {"source": origin["source"], **({"demo": kept} if kept else {})} | (
        {} if summary else {k: v for k, v in origin.items() if k != "source"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", help="work folder (default: a temporary folder)")
    parser.add_argument("--runs", type=int, default=201)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the big database even if present")
    args = parser.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="cunyi-bench-stock-"))
    work.mkdir(parents=True, exist_ok=True)

    big = work / "big"
    marker = big / "bench-stock.json"
    build_s = None
    if args.rebuild or not marker.exists():
        shutil.rmtree(big, ignore_errors=True)
        t0 = time.perf_counter()
        origin = build_big(big)
        sv = _open(big)
        try:
            store, card_drug = add_million_card(sv)
        finally:
            sv.close()
        build_s = round(time.perf_counter() - t0, 1)
        marker.write_text(json.dumps({"origin": origin, "store": store, "card_drug": card_drug}, ensure_ascii=False,
                                     default=str))
    meta = json.loads(marker.read_text())

    # first page of the 1,000,000-row card, on a fresh connection (what opening the page costs)
    sv = _open(big)
    try:
        sv.stock.local_store_id()  # the app is running: services imported, reader connected
        t0 = time.perf_counter()
        page = sv.stock.stock_card_page(meta["store"], meta["card_drug"], limit=200)
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        newest = sv.stock.stock_card_page(meta["store"], meta["card_drug"], limit=200, newest_first=True)
        newest_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        nxt = sv.stock.stock_card_page(meta["store"], meta["card_drug"], after_seq=page.next_after_seq, limit=200)
        next_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = sv.stock.stock_card_page(meta["store"], meta["card_drug"], limit=200)
        again_s = time.perf_counter() - t0
        assert again.rows == page.rows
        t0 = time.perf_counter()
        count = sv.stock.stock_card_count(meta["store"], meta["card_drug"])
        count_s = time.perf_counter() - t0
        assert len(page.rows) == len(newest.rows) == len(nxt.rows) == 200 and count >= CARD_ROWS
        # dispense latency: fresh and big interleaved, so load from other processes hits both alike
        fresh_sv, fresh_drug = fresh_site(work)
        try:
            fresh, big_d = Dispenser(fresh_sv, fresh_drug, args.runs), Dispenser(sv, _pick_drug(sv), args.runs)
            for _ in range(args.runs):
                fresh.once()
                big_d.once()
            fresh_ms, big_ms = fresh.median_ms(), big_d.median_ms()
        finally:
            fresh_sv.close()
    finally:
        sv.close()

    result = {
        "bench": "stock",
        "runs": args.runs,
        "dispense_ms_fresh": round(fresh_ms, 2),
        "dispense_ms_big": round(big_ms, 2),
        "dispense_ratio": round(big_ms / fresh_ms, 2),
        "dispense_ratio_target": 1.5,
        "card_rows": count,
        "card_first_page_s": round(first_s, 4),
        "card_first_page_reopen_s": round(again_s, 4),
        "card_first_page_newest_s": round(newest_s, 4),
        "card_next_page_s": round(next_s, 4),
        "card_count_s": round(count_s, 3),
        "card_first_page_target_s": 0.3,
        "big_db": {**_slim(meta["origin"]), **_stats(big / "cunyi.db")},
        "big_db_build_s": build_s,
        "work": str(work),
    }
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
