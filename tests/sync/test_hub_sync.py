"""The hub applies pushed transactions whole, once, and hands each site only what it may see."""

from __future__ import annotations

from hub_harness import HubProcess, Site

from app.domain.ids import new_id
from app.sync import protocol as p
from app.sync.hub import tables as t


def _ids(changes: list[p.Change]) -> set[str]:
    return {c.record_id for c in changes}


def test_enrollment_gives_identity_and_a_code_works_once(hub: HubProcess) -> None:
    township_id, code = hub.add_site("township", "某乡卫生院")
    site = Site.enroll(hub, code)
    assert (site.site_id, site.kind, site.name, site.township_site_id) == (township_id, "township", "某乡卫生院", None)
    _, village_code = hub.add_site("village", "某村卫生室", township_id)
    village = Site.enroll(hub, village_code)
    assert (village.kind, village.township_site_id) == ("village", township_id)

    before = hub.snapshot()
    from app.sync import codes

    with hub.client() as client:
        replay = client.post(p.ENROLL_PATH, json={"secret": codes.decode(code).secret, "db_instance_id": new_id()})
        forged = client.post(p.ENROLL_PATH, json={"secret": f"{township_id}.guess", "db_instance_id": new_id()})
    assert replay.status_code == 403 and "已经用过" in replay.json()["message"]
    assert forged.status_code == 403 and "同步码无效" in forged.json()["message"]
    assert hub.snapshot() == before
    # the token hub stores is a hash, never the token itself
    with hub.engine.connect() as conn:
        stored = conn.execute(t.hub_sites.select().where(t.hub_sites.c.site_id == township_id)).one()
    assert site.token not in stored.token_hash and stored.token_hash.startswith("scrypt$")


def test_push_and_pull_between_a_township_and_two_villages(hub: HubProcess, sites) -> None:
    town, a, b = sites.township, sites.a, sites.b
    drug = town.op("drugs", generic_name="阿莫西林")
    for_a = town.op("batches", to_site_id=a.site_id, batch_no="A1")
    for_b = town.op("batches", to_site_id=b.site_id, batch_no="B1")
    assert [r.status for r in town.push([drug, for_a, for_b]).results] == ["applied"] * 3
    tx = new_id()
    resident_a = a.op("residents", tx_id=tx, id_number="11010519491231002X", name="张三")
    visit_a = a.op("visits", tx_id=tx, resident_id=resident_a.record_id)
    answer = a.push([resident_a, visit_a])
    assert [r.status for r in answer.results] == ["applied", "applied"]
    assert answer.acked_local_seq == visit_a.local_seq
    resident_b = b.op("residents", id_number="110105194912310037", name="李四")
    b.push([resident_b])

    assert _ids(town.pull_all()) == {resident_a.record_id, visit_a.record_id, resident_b.record_id}
    assert _ids(a.pull_all()) == {drug.record_id, for_a.record_id}
    assert _ids(b.pull_all()) == {drug.record_id, for_b.record_id}
    pulled = {c.record_id: c for c in town.pulled}
    assert pulled[resident_a.record_id].payload == resident_a.payload
    assert pulled[resident_a.record_id].tx_id == pulled[visit_a.record_id].tx_id == tx
    assert pulled[resident_a.record_id].owner_site_id == a.site_id
    # nothing new: the next pull is empty and keeps the cursor
    cursor = a.cursor
    page = a.pull_page()
    assert (page.changes, page.cursor, page.more) == ([], cursor, False)

    # a change of A's resident reaches the township and never B
    changed = a.op("residents", record_id=resident_a.record_id, id_number="11010519491231002X", name="张三丰")
    changed.payload["version"] = 2
    a.push([changed])
    assert [c.payload["name"] for c in town.pull_all()] == ["张三丰"]
    assert b.pull_all() == []


def test_a_duplicate_push_is_acknowledged_and_applied_once(hub: HubProcess, sites) -> None:
    a = sites.a
    ops = [a.op("visits"), a.op("visits")]
    first = a.push(ops)
    changelog = hub.count(t.changelog)
    again = a.push(ops)
    assert [r.status for r in first.results] == ["applied", "applied"]
    assert [r.status for r in again.results] == ["duplicate", "duplicate"]
    assert again.acked_local_seq == ops[-1].local_seq
    assert hub.count(t.changelog) == changelog
    assert [c.record_id for c in sites.township.pull_all()] == [op.record_id for op in ops]


def test_pages_end_on_transaction_boundaries(hub: HubProcess, sites) -> None:
    a = sites.a
    tx1, tx2 = new_id(), new_id()
    ops = [a.op("visits", tx_id=tx1) for _ in range(3)] + [a.op("visits", tx_id=tx2) for _ in range(3)]
    a.push(ops)
    town = sites.township
    first = town.pull_page(limit=4)  # the second transaction does not fit: the page stops before it
    assert [c.tx_id for c in first.changes] == [tx1] * 3 and first.more
    second = town.pull_page(limit=2)  # a transaction bigger than the page comes whole
    assert [c.tx_id for c in second.changes] == [tx2] * 3 and not second.more


def test_a_rejected_transaction_is_kept_and_writes_no_record(hub: HubProcess, sites) -> None:
    a, b = sites.a, sites.b
    resident = a.op("residents", id_number="110105194912310053", name="王五")
    a.push([resident])
    tx = new_id()
    own = b.op("visits", tx_id=tx)
    clash = b.op("residents", tx_id=tx, id_number="110105194912310053", name="王五")
    before = hub.snapshot()
    answer = b.push([own, clash])
    assert [r.status for r in answer.results] == ["rejected", "rejected"]
    refused = answer.results[1]
    assert refused.field == "id_number" and a.name in refused.reason and "变更申请" in refused.action
    assert "同一次保存" in answer.results[0].reason
    assert answer.acked_local_seq == clash.local_seq
    after = hub.snapshot()
    for table in ("records", "changelog", "applied_ops", "resident_ids"):
        assert after[table] == before[table], table
    assert len(after["rejected_ops"]) == len(before["rejected_ops"]) + 2
    # sent again (a retry after a lost answer): the same verdict, nothing more kept
    again = b.push([own, clash])
    assert [(r.status, r.reason) for r in again.results] == [(r.status, r.reason) for r in answer.results]
    assert hub.snapshot()["rejected_ops"] == after["rejected_ops"]
    import json

    from hub_harness import hub_inline

    code, out, _ = hub_inline("sites", "--home", str(hub.home), "--json")
    listed = {row["site_id"]: row for row in json.loads(out)}
    assert code == 0 and listed[b.site_id]["rejected_ops"] == 2 and listed[b.site_id]["acked_local_seq"] == 2
