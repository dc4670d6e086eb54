"""Network faults between real sites and a real hub: every kind, on push and on pull, and the sites converge.

A township and two villages join a running ``cunyi-hub serve`` and work through the real services; each
of their syncs goes through a :class:`FaultTransport` that drops requests, drops answers, duplicates,
reorders or delays push and pull pages (small pages, so a sync is many requests). After a few more
``cunyi sync --once`` rounds: nothing is applied twice, no acknowledged op is lost, every copy equals
the owner's, the cursors never skipped, and ``cunyi check`` is clean everywhere.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from convergence import converged, cursors_never_skip
from fault_transport import KINDS, FaultTransport
from hub_harness import HubProcess
from site_harness import PASSWORD, SiteFolder, births_for, joined

from app.db.uow import Database
from app.sync.client import SyncClient

#: the pages that get the fault: two pushes and two pulls of every sync
SCHEDULE = ((("push", 2), ("push", 4), ("pull", 1), ("pull", 3)))


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD, encoding="utf-8")
    return path


def _faulty_sync(site: SiteFolder, kind: str, seed: int) -> FaultTransport:
    """One ``sync_once`` of ``site`` in pages of 3, through faults of ``kind``; checks the cursors it carried."""
    faults = FaultTransport({key: kind for key in SCHEDULE}, seed=seed)
    pushed0, pulled0 = site.sql("SELECT pushed_seq, pulled_seq FROM local_site")[0]
    db = Database(site.data / "cunyi.db")
    sync = SyncClient(db, page_size=3, retry_seconds=10, sleep=lambda _s: None, wrap=faults.wrap)
    try:
        sync.sync_once()
        faults.flush()
    finally:
        sync.close()
        db.dispose()
    outbox = [row[0] for row in site.sql("SELECT local_seq FROM outbox ORDER BY local_seq")]
    cursors_never_skip(faults.log, outbox, pushed0, pulled0)
    return faults


def _settle(sites: list[SiteFolder], rounds: int = 4) -> None:
    for _ in range(rounds):
        moved = [site.sync() for site in sites]
        if all(m["pushed"] == 0 and m["pulled"] == 0 for m in moved):
            return
    raise AssertionError(f"no convergence after {rounds} rounds: {moved}")


@pytest.mark.parametrize("kind", KINDS)
def test_sites_converge_through_network_faults(hub: HubProcess, tmp_path: Path, password_file: Path,
                                               kind: str) -> None:
    tag = uuid.uuid4().hex[:6]
    township_id, code = hub.add_site("township", f"乡镇{tag}")
    township = joined(code, tmp_path / "t", password_file)
    a = joined(hub.add_site("village", f"东村{tag}", township_id)[1], tmp_path / "a", password_file)
    b = joined(hub.add_site("village", f"西村{tag}", township_id)[1], tmp_path / "b", password_file)
    drugs = township.township_setup()

    used: list[FaultTransport] = [_faulty_sync(township, kind, seed=1)]  # the catalog goes up in faulty pages
    used += [_faulty_sync(village, kind, seed=n) for n, village in ((2, a), (3, b))]  # and comes down
    assert a.sql("SELECT count(*) FROM drugs") == [(2,)]
    a.village_work(drugs, "11", births_for(tag))
    b.village_work(drugs, "22", births_for(tag + "b"))
    used += [_faulty_sync(village, kind, seed=n) for n, village in ((4, a), (5, b))]
    used.append(_faulty_sync(township, kind, seed=6))  # the villages' rows come down to the township

    for path in ("push", "pull"):
        assert any(f.path == path for faults in used for f in faults.faults(kind)), f"no {kind} fault on {path}"
    if kind == "reorder":  # each held page arrived after a newer one: the hub applied nothing of it again
        late = [s for faults in used for s in faults.late]
        assert {s.path for s in late} == {"push", "pull"}
        assert all(s.status == 200 for s in late), [s.answer for s in late]
        assert {r["status"] for s in late if s.path == "push" for r in s.answer["results"]} == {"duplicate"}
    if kind == "drop_response":  # the lost answers' pages were applied, and acknowledged as duplicates on retry
        retried = [s for faults in used for s in faults.log if s.path == "push" and s.delivered
                   and any(f.body == s.body for f in faults.faults("drop_response"))]
        assert retried and all(r["status"] == "duplicate" for s in retried for r in s.answer["results"])
    if kind == "duplicate":
        answers = [s for faults in used for s in faults.faults("duplicate") if s.path == "push"]
        assert {r["status"] for s in answers for r in s.answer["results"]} <= {"applied", "duplicate"}

    _settle([a, b, township])
    converged(hub, [township, a, b])
