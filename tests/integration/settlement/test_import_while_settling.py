"""A 20,000-row catalog import in one process while another settles visit after visit.

Real subprocesses on one real SQLite file: the import writes in short batches, so the settlement
program is never refused with a raw ``database is locked``; every settlement it reported is in the
file, and some of them went in while the import was still running.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from settle_clinic import Clinic

REPO = Path(__file__).resolve().parents[3]
ROWS = 20_000

IMPORTER = r"""
import json, sys, time
from app.bootstrap import bootstrap
from app.domain.errors import CunyiError
sv = bootstrap(sys.argv[1], backup_before_migrate=False)
sv.session.actor = next(u for u in sv.users.list() if u.username == "admin").actor
print(json.dumps({"start": time.time()}), flush=True)
try:
    result = sv.catalog.import_file(sys.argv[2])
    print(json.dumps({"created": result.created, "end": time.time()}), flush=True)
except CunyiError as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc), "end": time.time()}), flush=True)
"""

SETTLER = r"""
import json, sys, time
from datetime import datetime, timedelta
from pathlib import Path
from app.bootstrap import bootstrap
from app.domain.errors import CunyiError
from app.services.settlement.types import DraftLine, VisitDraft
data, resident_id, drug_id, stop = sys.argv[1:5]
sv = bootstrap(data, backup_before_migrate=False)
sv.session.actor = next(u for u in sv.users.list() if u.username == "doctor").actor
at = datetime(2026, 11, 23, 8, 0)
n = 0
while not Path(stop).exists():
    n += 1
    draft = VisitDraft(resident_id=resident_id, visit_date=at.date(), diagnosis="高血压", diagnosis_code="I10",
                       lines=(DraftLine(drug_id, 1, usage="口服 每日1次 每次1片"),))
    started = time.perf_counter()
    try:
        info = sv.settlement.settle(draft, at=at + timedelta(seconds=n))
        print(json.dumps({"id": info.id, "at": time.time(), "wait": time.perf_counter() - started}), flush=True)
    except CunyiError as exc:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}), flush=True)
    time.sleep(0.02)
"""


def _catalog(path: Path) -> None:
    lines = ["医保药品编码,通用名,规格,包装单位,最小单位,转换比,医保类别,进价(元)"]
    lines += [f"XB{i:021d},测试药品{i}片,{i}mg×24片,盒,片,24,{'甲乙丙'[i % 3]},{1 + i % 50}.50" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def _spawn(tmp_path: Path, name: str, code: str, *args: str) -> subprocess.Popen:
    script = tmp_path / name
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, str(script), *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_import_and_settlements_at_once(clinic: Clinic, tmp_path: Path) -> None:
    clinic.as_admin()
    clinic.sv.stock.receive(clinic.drugs["vitc"], "V-BIG", date(2028, 5, 31), 100_000)
    resident = clinic.resident()
    data = clinic.sv.data.root
    database = clinic.sv.data.database
    clinic.sv.close()
    catalog = tmp_path / "catalog.csv"
    _catalog(catalog)
    stop = tmp_path / "stop"
    settler = _spawn(tmp_path, "settle.py", SETTLER, str(data), resident.id, clinic.drugs["vitc"], str(stop))
    time.sleep(1.0)
    importer = _spawn(tmp_path, "import.py", IMPORTER, str(data), str(catalog))
    try:
        out, err = importer.communicate(timeout=600)
    finally:
        stop.touch()
    s_out, s_err = settler.communicate(timeout=120)
    assert importer.returncode == 0 and "Traceback" not in err, err[-3000:]
    assert settler.returncode == 0 and "Traceback" not in s_err, s_err[-3000:]
    events = [json.loads(line) for line in out.splitlines()]
    start, done = events[0]["start"], events[-1]
    assert done.get("created") == ROWS, done
    settled = [json.loads(line) for line in s_out.splitlines()]
    errors = [s for s in settled if "error" in s]
    assert errors == [], errors[:5]
    during = [s for s in settled if start < s["at"] < done["end"]]
    assert len(during) >= 5, (len(settled), done["end"] - start)
    longest = max(s["wait"] for s in during)
    # the old one-transaction import held the lock ~30 s: settlements failed after the 15 s wait
    assert longest < 10.0, f"a settlement waited {longest:.2f} s for the import"
    with sqlite3.connect(database) as conn:
        stored = {r[0] for r in conn.execute("SELECT id FROM settlements")}
        drugs = conn.execute("SELECT count(*), count(DISTINCT national_code) FROM drugs WHERE generic_name LIKE '测试药品%'").fetchone()
    assert {s["id"] for s in settled} <= stored
    assert drugs == (ROWS, ROWS)
