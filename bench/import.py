"""Catalog import benchmark: time per row of ``CatalogService.import_file`` for 1k, 10k and 100k rows.

Prints ONE JSON line:

* ``rows_N_s``: wall time of importing an N-row CSV (the whole import: reading, checking every row,
  then writing in short batches) into a fresh village database; ``rows_N_ms_per_row`` = that / N.
* ``per_row_ratio``: the slowest time per row over the fastest; an import that is linear in the
  rows stays flat (target ≤ 1.5).
* ``longest_batch_s``: the longest a batch held the write lock (what a settlement in another program
  may wait; target well under 1 s).

The files look like a real province catalog export: the columns of ``resources/catalog/drugs.csv``
with their Chinese headers, names taken from that catalog with a numbered strength, every row with
its own 医保药品编码.

Usage: ``python3 bench/import.py [--work DIR] [--sizes 1000,10000,100000]``
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.bootstrap import bootstrap  # noqa: E402
from app.db import uow as uow_module  # noqa: E402
from app.services.core.context import CLI_ACTOR  # noqa: E402

HEADER = ["医保药品编码", "通用名", "剂型", "规格", "包装单位", "最小单位", "转换比", "生产企业", "医保类别", "进价(元)", "分类"]


def write_catalog(path: Path, rows: int) -> None:
    """An ``rows``-row catalog CSV (UTF-8 with BOM, as Excel saves “CSV UTF-8”)."""
    with (ROOT / "resources" / "catalog" / "drugs.csv").open(encoding="utf-8") as f:
        seeds = list(csv.DictReader(f))
    classes = {"A": "甲", "B": "乙", "C": "丙"}
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(rows):
            seed = seeds[i % len(seeds)]
            out.writerow([f"XB{i:021d}", seed["generic_name"], seed["form"], f"{seed['strength']}×{i // len(seeds) + 1}",
                          seed["pack_unit"], seed["base_unit"], seed["units_per_pack"], seed["maker"],
                          classes[seed["coverage_class"]], f"{(int(seed['price_fen']) + i % 97) / 100:.2f}",
                          seed["category"]])


class HoldTimer:
    """Records how long each unit of work (one import batch) held the write lock."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._original = uow_module.Database.unit_of_work

    def __enter__(self) -> HoldTimer:
        original, timer = self._original, self

        def timed(db):  # noqa: ANN001, ANN202
            from contextlib import contextmanager

            @contextmanager
            def cm():  # noqa: ANN202
                start = time.perf_counter()
                with original(db) as uow:
                    yield uow
                timer.longest = max(timer.longest, time.perf_counter() - start)
            return cm()

        uow_module.Database.unit_of_work = timed
        return self

    def __exit__(self, *_exc: object) -> None:
        uow_module.Database.unit_of_work = self._original


def import_seconds(work: Path, rows: int) -> float:
    data = work / f"db-{rows}"
    shutil.rmtree(data, ignore_errors=True)
    sv = bootstrap(data, actor=CLI_ACTOR, backup_before_migrate=False)
    try:
        sv.sites.create_standalone("village", "基准测试村", "admin", "bench-pass-1")
        path = work / f"catalog-{rows}.csv"
        if not path.exists():
            write_catalog(path, rows)
        start = time.perf_counter()
        result = sv.catalog.import_file(path)
        elapsed = time.perf_counter() - start
        assert result.created == rows, result
        return elapsed
    finally:
        sv.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="cunyi-bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    out: dict[str, object] = {}
    per_row = []
    with HoldTimer() as hold:
        for rows in sizes:
            seconds = import_seconds(work, rows)
            out[f"rows_{rows}_s"] = round(seconds, 3)
            out[f"rows_{rows}_ms_per_row"] = round(seconds / rows * 1000, 4)
            per_row.append(seconds / rows)
    out["per_row_ratio"] = round(max(per_row) / min(per_row), 3)
    out["longest_batch_s"] = round(hold.longest, 3)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
