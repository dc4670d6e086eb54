"""The site side of sync against a real ``cunyi-hub serve``: ``cunyi init --code`` and ``cunyi sync --once``.

A township and two villages join with enrollment codes, work through the real services (catalog, policy
file, stock receipts, residents, settlements, a reversal) and sync in rounds until nothing moves. Then
every site's copy of a record equals the owner's, ``cunyi check`` is clean everywhere and a village holds
no row of the other village.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from pathlib import Path

import pytest
from hub_harness import HubProcess, free_port
from site_harness import PASSWORD, SiteFolder, join, joined, run

from app.sync.hub.pull import REFERENCE_TABLES


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD, encoding="utf-8")
    return path


def _converge(sites: list[SiteFolder], rounds: int = 4) -> None:
    for _ in range(rounds):
        moved = [site.sync() for site in sites]
        if all(m["pushed"] == 0 and m["pulled"] == 0 for m in moved):
            return
    raise AssertionError(f"no convergence after {rounds} rounds: {moved}")


def test_township_and_two_villages_converge(hub: HubProcess, tmp_path: Path, password_file: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    township_id, code = hub.add_site("township", f"乡镇{tag}")
    township = joined(code, tmp_path / "township", password_file)
    assert township.site_id == township_id
    a = joined(hub.add_site("village", f"东村{tag}", township_id)[1], tmp_path / "a", password_file)
    b = joined(hub.add_site("village", f"西村{tag}", township_id)[1], tmp_path / "b", password_file)
    assert a.sql("SELECT kind, name FROM sites WHERE id = ?", a.site_id) == [("village", f"东村{tag}")]
    assert a.sql("SELECT enrolled_at IS NOT NULL FROM local_site") == [(1,)]
    assert township.sql("SELECT enrolled_at FROM local_site") == [(None,)]

    drugs = township.township_setup()
    assert township.sync()["pushed"] > 0
    for village in (a, b):
        assert village.sync()["pulled"] > 0  # the catalog and the policy file arrive
        assert village.sql("SELECT count(*) FROM outbox WHERE table_name IN ('drugs', 'policies')") == [(0,)]
    a.village_work(drugs, "11")
    b.village_work(drugs, "22")
    _converge([a, b, township])

    owners = {township.site_id, a.site_id, b.site_id}
    every = {site.site_id: site.rows() for site in (township, a, b)}
    for site in (township, a, b):
        site.check()
        assert site.pending() == 0
        for key, row in every[site.site_id].items():
            owner = row["owner_site_id"]
            assert owner in owners
            assert row == every[owner][key], f"{site.site_id} holds a stale copy of {key}"
    # each village holds its own rows and the township's reference data, never the other village's rows
    assert not [k for k, r in every[a.site_id].items() if r["owner_site_id"] == b.site_id]
    assert not [k for k, r in every[b.site_id].items() if r["owner_site_id"] == a.site_id]
    for village in (a, b):
        from_township = {table for (table, _), r in every[village.site_id].items()
                         if r["owner_site_id"] == township.site_id}
        assert {"drugs", "policies"} <= from_township <= set(REFERENCE_TABLES)  # not the township's stock
    # the township holds every row of its villages
    for village in (a, b):
        own = {k for k, r in every[village.site_id].items() if r["owner_site_id"] == village.site_id}
        assert own <= set(every[township.site_id])
        assert any(table == "reversals" for table, _ in own)
    # applying pulled rows queued nothing: every outbox row is the site's own
    for site in (township, a, b):
        assert site.sql("SELECT count(*) FROM outbox WHERE json_extract(payload, '$.owner_site_id') <> ?",
                        site.site_id) == [(0,)]


def test_replayed_or_malformed_code_writes_nothing(hub: HubProcess, tmp_path: Path, password_file: Path) -> None:
    _, code = hub.add_site("township", f"乡镇{uuid.uuid4().hex[:6]}")
    joined(code, tmp_path / "first", password_file)
    status, _out, err = join(code, tmp_path / "second", password_file)
    assert status == 1 and "已经用过" in err
    assert not (tmp_path / "second").exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "note.txt").write_text("x")
    status, _out, err = join(code[:-2] + "00", existing, password_file)
    assert status == 1 and "同步码无效" in err
    assert [p.name for p in existing.iterdir()] == ["note.txt"]


def test_unreachable_hub_exits_1_and_keeps_the_outbox(hub: HubProcess, tmp_path: Path, password_file: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _, code = hub.add_site("township", f"乡镇{uuid.uuid4().hex[:6]}")
    site = joined(code, tmp_path / "t", password_file)
    site.township_setup()
    pending = site.pending()
    assert pending > 0
    # the hub moves away: the stored address now points at a closed port
    with contextlib.closing(sqlite3.connect(site.data / "cunyi.db")) as con, con:
        con.execute("UPDATE sync_state SET hub_url = ?", (f"https://127.0.0.1:{free_port()}",))
    monkeypatch.setenv("CUNYI_SYNC_RETRY_SECONDS", "1.5")
    status, out, err = run("sync", "--data", str(site.data), "--once")
    assert status == 1 and out == ""
    assert "连不上乡镇同步服务" in err and "没有丢失" in err
    assert site.pending() == pending
    assert site.sql("SELECT last_error IS NOT NULL FROM sync_state") == [(1,)]


def test_page_size_setting_splits_a_push_into_smaller_pages(hub: HubProcess, tmp_path: Path, password_file: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import re
    from datetime import date

    _, code = hub.add_site("township", f"乡镇{uuid.uuid4().hex[:6]}")
    site = joined(code, tmp_path / "t", password_file)
    drugs = site.township_setup()
    pending = site.pending()
    assert pending > 4
    monkeypatch.setenv("CUNYI_SYNC_PAGE_SIZE", "2")
    status, _out, err = run("sync", "--data", str(site.data), "--once")
    assert status == 0, err
    pushed, pages = map(int, re.search(r"已上传 (\d+) 条（(\d+) 页）\s*已取回", err).groups())
    assert pushed == pending and pages >= -(-pending // 2)
    assert site.pending() == 0
    # a value that is not a number falls back to pages of at most 1000
    with site.services() as sv:
        for n in range(3):
            sv.stock.receive(drugs["vitc"], f"P{n}", date(2027, 5, 31), 100)
    monkeypatch.setenv("CUNYI_SYNC_PAGE_SIZE", "十")
    status, _out, err = run("sync", "--data", str(site.data), "--once")
    assert status == 0, err
    assert re.search(r"已上传 \d+ 条（1 页）\s*已取回", err) and site.pending() == 0
