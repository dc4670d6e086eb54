"""Sync benchmark: push + pull of 10,000 ops on loopback vs a bulk insert, and a new village's initial sync.

Prints ONE JSON line:

* ``ops``: outbox rows a village writes through the services (stock receipts of the township's catalog;
  ``--ops``, default 10,000), ``push_s``: its ``sync --once`` to a ``cunyi-hub serve`` on loopback (HTTPS,
  gzip, pages of 1000), ``pull_s``: its township's ``sync --once`` pulling the same ops (a township sees
  every row of its villages; a village never sees the township's own stock), ``bulk_insert_s``: inserting
  the rows the hub wrote for them (changelog, applied ops, records) into a fresh hub database in one
  transaction;
  ``ratio`` = bulk_insert_s / (push_s + pull_s) (target ≥ 0.3).
* ``initial_sync``: a hub loaded with a demo (``--scale``, default ``township-10y``; every row as if its
  owner had pushed it) and a new village joining it with ``cunyi init --code`` as a child process:
  ``seconds`` (target < 60), ``pulled`` changes, ``peak_rss_mb`` of that process (started through a small
  wrapper, so the bench's own memory is not counted in it); ``baseline_*`` the same
  from a hub holding the ``small`` demo, and ``rss_ratio`` = peak / baseline peak (memory bounded by the
  page size, not by history: close to 1).

Usage: ``python3 bench/sync.py [--work DIR] [--ops N] [--scale small|township-10y] [--skip-initial]``. Demo
databases are kept in ``DIR/demo-SCALE`` and reused (``township-10y`` takes about 10 minutes and 9 GB to
build), and so are the hubs loaded with them (``DIR/hub-SCALE``: another 10 minutes and 17 GB), while the demo
file and the hub's tables are unchanged.
``--skip-initial`` measures only the 10,000 ops (the line then has no ``initial_sync``).
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
from sqlalchemy import select

from app.bootstrap import bootstrap
from app.cli import main as cunyi_main
from app.db.models import Base, synced_tables
from app.paths import resource
from app.services.core.context import CLI_ACTOR
from app.sync import protocol as p
from app.sync.hub import tables as t
from app.sync.hub.db import open_engine, transaction
from app.sync.hub_cli import main as hub_main

PASSWORD = "bench-pass-1"
TARGET_RATIO, TARGET_INITIAL_S = 0.3, 60
_BATCH = 5000


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _quiet(main, args: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()) as err:
        code = main(args)
    if code != 0:
        raise SystemExit(f"{args[0]} failed: {err.getvalue()}")
    return out.getvalue()


class Hub:
    """A ``cunyi-hub`` home and its ``serve`` process on a free loopback port."""

    def __init__(self, home: Path, *, create: bool = True) -> None:
        self.home = home
        if create:
            _quiet(hub_main, ["init", "--home", str(home)])
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.engine = open_engine(f"sqlite:///{home / 'hub.db'}")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "app.sync.hub_cli", "serve", "--home", str(self.home),
                                      "--port", str(self.port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=open(self.home / "serve.log", "ab"))  # noqa: SIM115
        context = ssl.create_default_context(cafile=str(self.home / "tls" / "hub-cert.pem"))
        deadline = time.monotonic() + 120
        with httpx.Client(base_url=f"https://127.0.0.1:{self.port}", verify=context) as client:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.TransportError):
                    if client.get("/v1/info").status_code == 200:
                        return
                time.sleep(0.1)
        raise SystemExit("cunyi-hub serve did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        self.engine.dispose()

    def add_site(self, kind: str, name: str, township: str | None = None) -> tuple[str, str]:
        out = _quiet(hub_main, ["add-site", "--home", str(self.home), "--kind", kind, "--name", name,
                                *(["--township", township] if township else [])]).strip().splitlines()
        return json.loads(out[0])["site_id"], out[-1]


def _password(work: Path) -> Path:
    path = work / "password.txt"
    path.write_text(PASSWORD, encoding="utf-8")
    return path


def join(data: Path, code: str, password: Path) -> None:
    """``cunyi init --data DATA --code CODE`` in this process (its first sync included)."""
    _quiet(cunyi_main, ["init", "--data", str(data), "--code", code, "--admin", "admin", "--password-file",
                        str(password)])


# -- 10,000 ops: push + pull vs bulk insert -----------------------------------------------------
def import_catalog(data: Path) -> None:
    """The township's catalog (``resources/catalog/drugs.csv``), imported through the services."""
    sv = bootstrap(data, actor=CLI_ACTOR, backup_before_migrate=False)
    try:
        sv.catalog.import_file(resource("catalog", "drugs.csv"))
    finally:
        sv.close()


def write_ops(data: Path, target: int) -> int:
    """Stock receipts through the services until the site's outbox holds ``target`` rows."""
    sv = bootstrap(data, actor=CLI_ACTOR, backup_before_migrate=False)
    try:
        with sqlite3.connect(data / "cunyi.db") as con:
            drugs = [r[0] for r in con.execute("SELECT id FROM drugs ORDER BY id")]
        n, expiry = 0, date(2028, 12, 31)
        while True:
            with sqlite3.connect(data / "cunyi.db") as con:
                count = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
            if count >= target:
                return count
            for _ in range(200):
                sv.stock.receive(drugs[n % len(drugs)], f"B{n:06d}", expiry - timedelta(days=n % 300), 100)
                n += 1
            note(f"township outbox: {count} rows")
    finally:
        sv.close()


def sync_seconds(data: Path) -> tuple[float, dict]:
    sv = bootstrap(data, actor=CLI_ACTOR, backup_before_migrate=False)
    try:
        start = time.perf_counter()
        result = sv.sync.sync_now()
        return time.perf_counter() - start, result.as_dict()
    finally:
        sv.close()


def bulk_insert_seconds(hub: Hub, site_id: str, work: Path) -> float:
    """Insert the hub's rows for ``site_id``'s ops into a fresh hub database, in one transaction."""
    with hub.engine.connect() as conn:
        changes = [dict(r._mapping) for r in conn.execute(select(t.changelog).where(
            t.changelog.c.owner_site_id == site_id))]
        applied = [dict(r._mapping) for r in conn.execute(select(t.applied_ops).where(
            t.applied_ops.c.site_id == site_id))]
        records = [dict(r._mapping) for r in conn.execute(select(t.records).where(
            t.records.c.owner_site_id == site_id))]
    fresh = work / "bulk"
    fresh.mkdir(parents=True, exist_ok=True)
    engine = open_engine(f"sqlite:///{fresh / 'hub.db'}")
    try:
        with transaction(engine) as conn:
            t.create(conn)
        start = time.perf_counter()
        with transaction(engine) as conn:
            conn.execute(t.changelog.insert(), changes)
            conn.execute(t.applied_ops.insert(), applied)
            conn.execute(t.records.insert(), records)
        return time.perf_counter() - start
    finally:
        engine.dispose()


def measure_ops(work: Path, target: int) -> dict:
    hub = Hub(work / "hub-ops")
    hub.start()
    try:
        password = _password(work)
        township_id, code = hub.add_site("township", "基准乡镇卫生院")
        join(work / "ops-township", code, password)
        village_id, code = hub.add_site("village", "基准村卫生室", township_id)
        join(work / "ops-village", code, password)
        import_catalog(work / "ops-township")
        sync_seconds(work / "ops-township")
        sync_seconds(work / "ops-village")  # the village receives the township's drugs
        ops = write_ops(work / "ops-village", target)
        note(f"push {ops} ops")
        push_s, pushed = sync_seconds(work / "ops-village")
        note(f"pushed in {push_s:.1f} s; pull")
        pull_s, pulled = sync_seconds(work / "ops-township")
        note(f"pulled in {pull_s:.1f} s")
        bulk_s = bulk_insert_seconds(hub, village_id, work)
    finally:
        hub.stop()
    return {"ops": ops, "pushed": pushed["pushed"], "pulled": pulled["pulled"], "push_s": round(push_s, 2),
            "pull_s": round(pull_s, 2), "bulk_insert_s": round(bulk_s, 3),
            "ratio": round(bulk_s / (push_s + pull_s), 3), "ratio_target": f">= {TARGET_RATIO}"}


# -- a new village's initial sync from a hub holding a demo ------------------------------------
def demo_folder(work: Path, scale: str) -> Path:
    from app.services.demo.builder import build_demo

    folder = work / f"demo-{scale}"
    marker = folder / "bench-sync.json"
    if not marker.exists():
        note(f"building the {scale} demo in {folder}")
        build_demo(folder, scale=scale, progress=note)
        marker.write_text("{}")
    return folder


def load_demo(hub: Hub, database: Path) -> str:
    """Every synced row of the demo into the hub as if its owner had pushed it; returns the township's id."""
    con = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        sites = con.execute("SELECT id, kind, name, township_id FROM sites").fetchall()
        townships = {sid: (tid if kind == "village" else sid) for sid, kind, _name, tid in sites}
        township = next(sid for sid, kind, _n, _t in sites if kind == "township")
        present = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        # a demo built before a newer synced table existed has no rows of it to load
        order = [table.name for table in Base.metadata.sorted_tables
                 if table.name in set(synced_tables()) and table.name in present]
        seq = 0
        with transaction(hub.engine) as conn:
            conn.execute(t.hub_sites.insert(), [{
                "site_id": sid, "kind": kind, "name": name, "township_site_id": tid if kind == "village" else None,
                "created_at": hub_now(), "enroll_secret_hash": "-", "enroll_used": True, "last_local_seq": 0,
                "acked_local_seq": 0} for sid, kind, name, tid in sites])
        for table in order:
            columns = [c.name for c in Base.metadata.tables[table].columns]
            payload = "json_object(" + ", ".join(f"'{c}', {c}" for c in columns) + ")"
            to_site = p.ADDRESSED_FIELD if p.ADDRESSED_FIELD in columns else "NULL"
            rows = con.execute(f"SELECT id, owner_site_id, {to_site}, {payload} FROM {table} ORDER BY rowid")
            version = _schema_version(table)
            while batch := rows.fetchmany(_BATCH):
                changes = []
                for record_id, owner, to, body in batch:
                    seq += 1
                    changes.append({"seq": seq, "table_name": table, "record_id": record_id, "owner_site_id": owner,
                                    "township_site_id": townships.get(owner), "to_site_id": to or None,
                                    "tx_id": f"import-{seq}", "schema_version": version, "payload": body})
                with transaction(hub.engine) as conn:
                    conn.execute(t.changelog.insert(), changes)
                    conn.execute(t.records.insert(), [{k: c[k] for k in ("table_name", "record_id", "owner_site_id",
                                                                         "schema_version", "payload", "seq")}
                                                      for c in changes])
            note(f"hub: {table} loaded, seq {seq}")
        return township
    finally:
        con.close()


def hub_now():
    from app.domain import clock

    return clock.now()


def _schema_version(table: str) -> int:
    from app.db.outbox import _schema_version as version

    return version(table)


#: runs argv[1:] and prints its exit code and peak resident memory (KB) as one JSON line
_PEAK_WRAPPER = ("import json, resource, subprocess, sys; r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
                 "stderr=sys.stderr); print(json.dumps({'code': r.returncode, "
                 "'peak_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")


def _loaded_marker(demo: Path) -> dict:
    """What a loaded hub was loaded from: the demo file and the hub's table definitions."""
    import hashlib

    tables = Path(t.__file__).read_bytes()
    return {"demo_mtime_ns": (demo / "cunyi.db").stat().st_mtime_ns, "tables": hashlib.sha256(tables).hexdigest()}


def loaded_hub(work: Path, scale: str, demo: Path) -> tuple[Hub, str]:
    """A hub holding the ``scale`` demo; loading ``township-10y`` takes minutes, so a hub loaded from the
    same demo file with the same hub tables (``DIR/hub-SCALE/bench-loaded.json``) is reused."""
    home, wanted = work / f"hub-{scale}", _loaded_marker(demo)
    marker = home / "bench-loaded.json"
    if marker.exists():
        saved = json.loads(marker.read_text())
        if {k: saved.get(k) for k in wanted} == wanted:
            note(f"reusing the hub loaded with the {scale} demo: {home}")
            return Hub(home, create=False), saved["township"]
    shutil.rmtree(home, ignore_errors=True)
    hub = Hub(home)
    township = load_demo(hub, demo / "cunyi.db")
    marker.write_text(json.dumps({**wanted, "township": township}))
    return hub, township


def initial_sync(work: Path, scale: str) -> dict:
    """A new village joins a hub holding the ``scale`` demo; its wall time and peak memory."""
    demo = demo_folder(work, scale)
    hub, township = loaded_hub(work, scale, demo)
    try:
        hub.start()
        _, code = hub.add_site("village", f"新加入的村卫生室{time.strftime('%H%M%S')}", township)
        data = work / f"joiner-{scale}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        start = time.perf_counter()
        # started through a small wrapper process: a child forked straight from this (large) process would
        # count this process's memory in its own peak
        proc = subprocess.run([sys.executable, "-c", _PEAK_WRAPPER, sys.executable, "-m", "ui.launcher", "init",
                               "--data", str(data), "--code", code, "--admin", "admin", "--password-file",
                               str(_password(work))], cwd=ROOT, env=env, capture_output=True, check=False)
        seconds = time.perf_counter() - start
        answer = json.loads(proc.stdout.decode().strip().splitlines()[-1])
        if answer["code"] != 0:
            raise SystemExit(f"cunyi init --code failed: {proc.stderr.decode()}")
        with sqlite3.connect(data / "cunyi.db") as con:
            pulled = con.execute("SELECT pulled_seq FROM local_site").fetchone()[0]
            rows = sum(con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in synced_tables())
    finally:
        hub.stop()
    return {"seconds": round(seconds, 2), "rows": rows, "cursor": pulled, "peak_rss_mb": round(answer["peak_kb"] / 1024, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", help="work folder (default: a temporary folder)")
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--scale", default="township-10y", choices=("small", "township-10y"))
    parser.add_argument("--skip-initial", action="store_true", help="measure only the push + pull of the ops")
    args = parser.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="cunyi-bench-sync-"))
    work.mkdir(parents=True, exist_ok=True)
    loaded = {path.parent for path in work.glob("hub-*/bench-loaded.json")}  # reused when still current
    for stale in [*work.glob("hub-*"), *work.glob("ops-*"), *work.glob("joiner-*"), work / "bulk"]:
        if stale not in loaded:
            shutil.rmtree(stale, ignore_errors=True)

    result = {"ops": measure_ops(work, args.ops)}
    if args.skip_initial:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    big = initial_sync(work, args.scale)
    base = big if args.scale == "small" else initial_sync(work, "small")
    result["initial_sync"] = {"scale": args.scale, **big, "seconds_target": f"< {TARGET_INITIAL_S}",
                              "baseline_scale": "small", "baseline_seconds": base["seconds"],
                              "baseline_rows": base["rows"], "baseline_peak_rss_mb": base["peak_rss_mb"],
                              "rss_ratio": round(big["peak_rss_mb"] / base["peak_rss_mb"], 2),
                              "page_size": p.MAX_PAGE_OPS}
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
