"""End to end, as processes on loopback (DESIGN §9): one ``cunyi-hub serve``, a township and two villages.

Every step is the real command in its own process: ``cunyi-hub init/serve/add-site``, ``cunyi init
--code``, ``cunyi simulate``, ``cunyi sync --once``, ``cunyi check`` and ``cunyi report stock``. The hub
is killed with SIGKILL while a village pushes an outbox of several pages and started again on the same
home and port; the village's sync rides through the restart. Rounds of ``cunyi sync --once`` then run
until every site pushes and pulls nothing, and every copy of a record equals its owner's.

The default run keeps the histories short (about a minute under load); the ``slow`` run simulates a month.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from demo_cli import REPO, last_json, run_cunyi
from hub_harness import HubProcess
from site_harness import PASSWORD, SiteFolder

from app.sync.hub.pull import REFERENCE_TABLES

#: how long a sync may wait for the restarted hub (its start takes a few seconds under load)
RIDE_THROUGH_SECONDS = "90"
#: pages of 100 changes (``CUNYI_SYNC_PAGE_SIZE``): a week of a village is many pages to push and pull
PAGE_SIZE = 100


@dataclass(frozen=True)
class Plan:
    """How much history each site makes: the township's days before and after the villages join, and each
    village's days (the first village's outbox must span several push pages of 1000)."""

    township_before: int
    township_after: int
    village_days: tuple[int, int]


def _ok(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stdout + result.stderr
    return last_json(result.stdout)


def _parallel(*calls: Callable[[], subprocess.CompletedProcess]) -> list[dict]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return [_ok(f.result()) for f in [pool.submit(call) for call in calls]]


def _add_site(hub: HubProcess, kind: str, name: str, township: str | None = None) -> str:
    return hub.add_site(kind, name, township)[1]  # ``cunyi-hub add-site`` (run as a process in test_hub_cli)


def _join(code: str, data: Path, password_file: Path) -> Callable[[], subprocess.CompletedProcess]:
    return lambda: run_cunyi("init", "--data", str(data), "--code", code, "--admin", "admin",
                             "--password-file", str(password_file))


def _simulate(data: Path, days: int, seed: int, *extra: str) -> Callable[[], subprocess.CompletedProcess]:
    return lambda: run_cunyi("simulate", "--data", str(data), "--days", str(days), "--seed", str(seed), *extra)


def _sync(site: SiteFolder) -> dict:
    return _ok(run_cunyi("sync", "--data", str(site.data), "--once"))


def _hub_count(hub: HubProcess, sql: str, *params: str) -> int:
    """A count read from the hub's SQLite file without taking its write lock."""
    with closing(sqlite3.connect(f"file:{hub.home / 'hub.db'}?mode=ro", uri=True, timeout=30)) as con:
        return con.execute(sql, params).fetchone()[0]


def _outbox(site: SiteFolder) -> int:
    return site.sql("SELECT count(*) FROM outbox")[0][0]


def _push_through_a_hub_kill(hub: HubProcess, village: SiteFolder) -> tuple[int, dict]:
    """``cunyi sync --once`` at ``village``; SIGKILL the hub once it has applied a first page, restart it.

    Returns:
        How many of the village's ops the hub had applied when it was killed, and the sync's output.
    """
    env = {**os.environ, "CUNYI_SYNC_RETRY_SECONDS": RIDE_THROUGH_SECONDS,
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    sync = subprocess.Popen([sys.executable, "-m", "ui.launcher", "sync", "--data", str(village.data), "--once"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        applied, deadline = 0, time.monotonic() + 120
        while applied == 0:
            assert sync.poll() is None, "the push ended before the hub applied a page: " + sync.stderr.read()
            assert time.monotonic() < deadline, "the hub applied nothing within 120 s"
            time.sleep(0.02)
            applied = _hub_count(hub, "SELECT count(*) FROM applied_ops WHERE site_id = ?", village.site_id)
        hub.proc.send_signal(signal.SIGKILL)
        hub.proc.wait()
        applied = _hub_count(hub, "SELECT count(*) FROM applied_ops WHERE site_id = ?", village.site_id)
        hub.start()  # the same home and port
        out, err = sync.communicate(timeout=300)
    finally:
        if sync.poll() is None:
            sync.kill()
            sync.wait()
    assert sync.returncode == 0, out + err
    return applied, json.loads(out.strip().splitlines()[-1])


def _converge(sites: list[SiteFolder], rounds: int = 5) -> int:
    """``cunyi sync --once`` at every site, round after round, until a whole round moves nothing."""
    for done in range(1, rounds + 1):
        results = [_sync(site) for site in sites]
        assert all(r["rejected"] == 0 for r in results), results
        if all(r["pushed"] == 0 and r["pulled"] == 0 for r in results):
            return done
    raise AssertionError(f"the sites did not converge in {rounds} rounds")


def _scenario(tmp_path: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUNYI_SYNC_PAGE_SIZE", str(PAGE_SIZE))
    password = tmp_path / "password.txt"
    password.write_text(PASSWORD, encoding="utf-8")
    hub = HubProcess(tmp_path / "hub")
    try:
        _run(hub, tmp_path, password, plan)
    finally:
        hub.stop()


def _run(hub: HubProcess, root: Path, password: Path, plan: Plan) -> None:
    # the township joins, sets itself up (catalog, policy file, purchases) and publishes it
    (joined,) = _parallel(_join(_add_site(hub, "township", "城关镇卫生院"), root / "township", password))
    township = SiteFolder(root / "township", joined["site_id"])
    _parallel(_simulate(township.data, plan.township_before, 1, "--from", "2026-05-01"))
    assert _sync(township)["pushed"] > 0

    # two villages join (their first sync brings the catalog and the policy file) and live their days
    codes = [_add_site(hub, "village", name, township.site_id) for name in ("东坡村卫生室", "西岭村卫生室")]
    joined = _parallel(*(_join(code, root / f"village{i}", password) for i, code in enumerate(codes)))
    villages = [SiteFolder(root / f"village{i}", j["site_id"]) for i, j in enumerate(joined)]
    lived = _parallel(*(_simulate(v.data, days, 2 + i) for i, (v, days) in enumerate(zip(villages, plan.village_days))),
                      _simulate(township.data, plan.township_after, 1))
    for summary in lived[:2]:
        assert summary["counts"].get("settlements", 0) > 0, summary
    first = villages[0]
    queued = _outbox(first)
    assert queued > 4 * PAGE_SIZE, f"the first village's outbox ({queued} rows) should span several push pages"

    # the hub dies mid-push and comes back; the push completes without losing or repeating an op
    applied_at_kill, pushed = _push_through_a_hub_kill(hub, first)
    assert 0 < applied_at_kill < queued, (applied_at_kill, queued)
    assert pushed["rejected"] == 0 and first.pending() == 0
    assert pushed["pushed"] >= queued - applied_at_kill
    for table in ("applied_ops", "changelog"):
        column = "site_id" if table == "applied_ops" else "owner_site_id"
        assert _hub_count(hub, f"SELECT count(*) FROM {table} WHERE {column} = ?", first.site_id) == queued

    sites = [*villages, township]
    assert _converge(sites) >= 2  # the villages' pushes reach the township, its new days reach the villages
    _assert_converged(township, villages)
    for site in sites:
        assert site.pending() == 0
    _parallel(*(lambda s=site: run_cunyi("check", "--data", str(s.data)) for site in sites))

    for village in villages:
        here = run_cunyi("report", "stock", "--data", str(village.data), "--json")
        there = run_cunyi("report", "stock", "--data", str(township.data), "--site", village.site_id, "--json")
        assert here.returncode == 0 and there.returncode == 0, here.stderr + there.stderr
        rows = json.loads(here.stdout)
        assert rows and json.loads(there.stdout) == rows
    # the township's own stock is its own report, not a village's
    own = json.loads(run_cunyi("report", "stock", "--data", str(township.data), "--json").stdout)
    assert own and own != json.loads(here.stdout)


def _assert_converged(township: SiteFolder, villages: list[SiteFolder]) -> None:
    """Every copy equals its owner's; the township holds all its villages' rows, each village the
    township's rows meant for it, and no village another village's."""
    every = {site.site_id: site.rows() for site in (township, *villages)}
    for site_id, rows in every.items():
        for key, row in rows.items():
            assert row == every[row["owner_site_id"]][key], f"{site_id} holds a stale copy of {key}"
    town = every[township.site_id]
    for village in villages:
        mine = {k for k, r in every[village.site_id].items() if r["owner_site_id"] == village.site_id}
        assert mine and mine <= town.keys(), f"the township lacks {len(mine - town.keys())} rows of {village.site_id}"
        meant = {k for k, r in town.items() if r["owner_site_id"] == township.site_id
                 and (k[0] in REFERENCE_TABLES or r.get("to_site_id") == village.site_id)
                 and r.get("to_site_id") in (None, village.site_id)}
        assert meant <= every[village.site_id].keys()
        assert not [k for k, r in every[village.site_id].items()
                    if r["owner_site_id"] == township.site_id and k not in meant], "a village holds township work"
        others = {v.site_id for v in villages} - {village.site_id}
        assert not [k for k, r in every[village.site_id].items() if r["owner_site_id"] in others]


def test_a_township_and_two_villages_converge_through_a_hub_killed_mid_push(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _scenario(tmp_path, Plan(township_before=3, township_after=3, village_days=(6, 3)), monkeypatch)


@pytest.mark.slow
def test_a_month_of_three_sites_converges_through_a_hub_killed_mid_push(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _scenario(tmp_path, Plan(township_before=10, township_after=30, village_days=(30, 30)), monkeypatch)
