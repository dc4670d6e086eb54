"""SIGKILL at the named points of sync (``app.sync.fault_points``), with real processes, and nothing is lost.

One ``cunyi-hub serve`` on SQLite for the module; fresh sites per test. ``cunyi sync --once`` and the
hub run as processes with ``CUNYI_FAULT_POINT`` naming where they die:

- the client right after a local commit: a service write, a saved push acknowledgment, a saved pulled page;
- the client between applying a pulled page and saving its cursor (one transaction: neither survives);
- the hub after it committed a pushed page and before it answered: restarted on the same home and port,
  the retried page is acknowledged as a duplicate and nothing is doubled.

After each: the sites converge (``convergence.converged``) and ``cunyi check`` exits 0 everywhere.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from convergence import converged
from demo_cli import REPO, last_json, run_cunyi
from hub_harness import HubProcess
from site_harness import PASSWORD, SiteFolder, births_for, joined
from sqlalchemy import select

from app.sync.fault_points import ENV
from app.sync.hub import tables as t

KILLED = -signal.SIGKILL


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> HubProcess:
    process = HubProcess(tmp_path_factory.mktemp("hub-kill") / "home")
    yield process
    process.stop()


@pytest.fixture
def pair(hub: HubProcess, tmp_path: Path) -> tuple[SiteFolder, SiteFolder, dict[str, str]]:
    """A township whose catalog and policy are on the hub, and a village that has not pulled them yet."""
    password = tmp_path / "password.txt"
    password.write_text(PASSWORD, encoding="utf-8")
    tag = uuid.uuid4().hex[:6]
    township_id, code = hub.add_site("township", f"乡镇{tag}")
    township = joined(code, tmp_path / "t", password)
    village = joined(hub.add_site("village", f"东村{tag}", township_id)[1], tmp_path / "a", password)
    drugs = township.township_setup()
    township.sync()
    return township, village, drugs


def _sync(site: SiteFolder, monkeypatch: pytest.MonkeyPatch, point: str | None = None, page_size: int = 1000,
          retry: float = 5) -> subprocess.CompletedProcess:
    """``cunyi sync --data DIR --once`` as a process, dying at ``point``."""
    with monkeypatch.context() as env:
        env.setenv("CUNYI_SYNC_PAGE_SIZE", str(page_size))
        env.setenv("CUNYI_SYNC_RETRY_SECONDS", str(retry))
        if point:
            env.setenv(ENV, point)
        return run_cunyi("sync", "--data", str(site.data), "--once")


def _cursor(site: SiteFolder) -> tuple[int, int]:
    return site.sql("SELECT pushed_seq, pulled_seq FROM local_site")[0]


def _applied(hub: HubProcess, site: SiteFolder) -> dict[str, int]:
    a = t.applied_ops.c
    with hub.engine.connect() as conn:
        return dict(conn.execute(select(a.op_id, a.seq).where(a.site_id == site.site_id)).all())


def _settle(hub: HubProcess, sites: list[SiteFolder]) -> None:
    for _ in range(3):
        moved = [site.sync() for site in sites]
        if all(m["pushed"] == 0 and m["pulled"] == 0 for m in moved):
            converged(hub, sites)
            return
    raise AssertionError(f"no convergence: {moved}")


_WRITE_AND_DIE = """
import os, signal, sys
from datetime import date
from pathlib import Path
from site_harness import SiteFolder
site = SiteFolder(Path(sys.argv[1]), sys.argv[2])
with site.services() as sv:
    sv.stock.receive(sys.argv[3], "K-1", date(2027, 7, 31), 48)
    os.kill(os.getpid(), signal.SIGKILL)  # right after the commit, the database still open
"""


def test_client_killed_right_after_a_local_commit(hub: HubProcess, pair) -> None:
    township, village, drugs = pair
    village.sync()
    before = village.pending()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests" / "sync")])}
    died = subprocess.run([sys.executable, "-c", _WRITE_AND_DIE, str(village.data), village.site_id, drugs["amox"]],
                          check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert died.returncode == KILLED, died.stderr
    assert village.sql("SELECT count(*) FROM batches WHERE batch_no = 'K-1'") == [(1,)]
    assert village.pending() > before  # the receipt's outbox rows committed with it
    village.check()
    _settle(hub, [township, village])
    assert township.sql("SELECT count(*) FROM batches WHERE batch_no = 'K-1'") == [(1,)]


def test_client_killed_after_saving_a_push_acknowledgment(hub: HubProcess, pair,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    township, village, drugs = pair
    village.sync()
    village.village_work(drugs, "31", births_for(village.site_id))
    pending, known = village.pending(), len(_applied(hub, village))
    died = _sync(village, monkeypatch, "after_push_commit", page_size=5)
    assert died.returncode == KILLED, died.stderr
    pushed, _pulled = _cursor(village)
    assert 0 < pushed and 0 < village.pending() < pending  # one page acknowledged and saved, the rest waits
    assert len(_applied(hub, village)) - known == pending - village.pending()
    _settle(hub, [township, village])


def test_client_killed_after_a_pulled_page_commits(hub: HubProcess, pair, monkeypatch: pytest.MonkeyPatch) -> None:
    township, village, _drugs = pair
    died = _sync(village, monkeypatch, "after_pull_commit", page_size=1)
    assert died.returncode == KILLED, died.stderr
    _pushed, pulled = _cursor(village)
    saved = village.sql("SELECT count(*) FROM drugs")[0][0] + village.sql("SELECT count(*) FROM policies")[0][0]
    assert pulled > 0 and saved >= 1  # the page and its cursor, together
    assert village.pending() == 0
    village.check()
    _settle(hub, [township, village])


def test_client_killed_between_a_pulled_page_and_its_cursor(hub: HubProcess, pair,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    township, village, _drugs = pair
    before = (_cursor(village), village.rows())
    died = _sync(village, monkeypatch, "pull_before_cursor")
    assert died.returncode == KILLED, died.stderr
    assert (_cursor(village), village.rows()) == before  # neither the rows nor the cursor moved
    assert village.sql("SELECT count(*) FROM drugs") == [(0,)]
    village.check()
    assert village.sync()["pulled"] > 0  # the next sync applies both
    assert village.sql("SELECT count(*) FROM drugs") == [(2,)]
    _settle(hub, [township, village])


def test_hub_killed_after_applying_before_answering(hub: HubProcess, pair, monkeypatch: pytest.MonkeyPatch) -> None:
    township, village, drugs = pair
    village.sync()
    village.village_work(drugs, "41", births_for(village.site_id))
    pending, pushed, known = village.pending(), _cursor(village)[0], len(_applied(hub, village))
    hub.stop()
    with monkeypatch.context() as env:
        env.setenv(ENV, "hub_after_apply")
        hub.start()
    try:
        failed = _sync(village, monkeypatch, page_size=5, retry=1)
        assert hub.proc.wait(30) == KILLED
    finally:
        hub.start()  # the same home and port, without the fault
    assert failed.returncode == 1 and "连不上乡镇同步服务" in failed.stderr, failed.stderr
    applied = _applied(hub, village)
    assert 0 < len(applied) - known < pending  # the first page was applied and committed ...
    assert _cursor(village)[0] == pushed and village.pending() == pending  # ... but never acknowledged
    done = _sync(village, monkeypatch)
    assert done.returncode == 0, done.stderr
    assert last_json(done.stdout)["pushed"] == pending
    after = _applied(hub, village)
    assert len(after) == known + pending and all(after[op] == seq for op, seq in applied.items())  # acked as duplicates
    _settle(hub, [township, village])
