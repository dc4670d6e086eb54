"""The villages' sync status, through a real ``cunyi-hub serve``: ``/v1/peers`` answers a township with
its villages' last sync and last sequence, refuses a village, and the township's ``cunyi sync --once``
keeps the answer in ``peer_sync_status``, which the 村室药品一览 shows."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import pytest
from hub_harness import HubProcess
from site_harness import PASSWORD, joined

from app.sync import protocol as p


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD, encoding="utf-8")
    return path


def test_a_township_learns_when_its_villages_last_synced(hub: HubProcess, tmp_path: Path, password_file: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    township_id, code = hub.add_site("township", f"乡镇{tag}")
    township = joined(code, tmp_path / "township", password_file)
    a = joined(hub.add_site("village", f"东村{tag}", township_id)[1], tmp_path / "a", password_file)
    b_id, _unused_code = hub.add_site("village", f"西村{tag}", township_id)  # registered, never enrolled
    other_township, _other_code = hub.add_site("township", f"别乡{tag}")
    hub.add_site("village", f"别村{tag}", other_township)

    township.township_setup()
    township.sync()
    a.sync()
    a_seq = a.sql("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")[0][0]
    township.sync()

    rows = {r[0]: r[1:] for r in township.sql(
        "SELECT site_id, last_sync_at, last_local_seq, fetched_at FROM peer_sync_status")}
    assert set(rows) == {a.site_id, b_id}, "the township's villages, and only them"
    last_sync_at, last_seq, fetched_at = rows[a.site_id]
    assert last_sync_at is not None and fetched_at is not None
    assert last_seq == a_seq
    assert rows[b_id][0] is None and rows[b_id][1] == 0

    # a village syncing saves nothing of the kind, and the table is the township's own (never synced)
    a.sync()
    assert a.sql("SELECT count(*) FROM peer_sync_status") == [(0,)]
    assert township.sql("SELECT count(*) FROM outbox WHERE table_name = 'peer_sync_status'") == [(0,)]

    with township.services() as sv:
        figures = {f.site_id: f for f in sv.overview.villages()}
    assert figures[a.site_id].last_sync_at == datetime.fromisoformat(last_sync_at)


def test_peers_is_refused_to_a_village(sites) -> None:
    body = sites.a.envelope()
    response = sites.a.post(p.PEERS_PATH, body)
    assert response.status_code == 403
    assert response.json()["code"] == p.NOT_TOWNSHIP
    assert "乡镇卫生院" in response.json()["message"]

    answer = sites.township.post(p.PEERS_PATH, sites.township.envelope())
    assert answer.status_code == 200
    listed = {s["site_id"]: s for s in p.PeersResponse.model_validate(answer.json()).model_dump()["sites"]}
    assert set(listed) == {sites.a.site_id, sites.b.site_id}

    wrong = sites.township.post(p.PEERS_PATH, sites.township.envelope(), token="not-the-token")
    assert wrong.status_code == 401
