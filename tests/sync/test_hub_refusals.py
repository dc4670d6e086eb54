"""Every refusal of the hub names what is wrong in Chinese and writes nothing."""

from __future__ import annotations

import gzip
import json

import pytest
from hub_harness import HubProcess

from app.domain.ids import new_id
from app.sync import protocol as p


def _refused(hub: HubProcess, send, status: int, *words: str) -> dict:
    before = hub.snapshot()
    response = send()
    assert response.status_code == status, response.text
    body = p.ErrorBody.model_validate(response.json())
    for word in words:
        assert word in body.message, body.message
    assert hub.snapshot() == before
    return body.model_dump()


def test_a_wrong_or_borrowed_token_is_refused(hub: HubProcess, sites) -> None:
    a, b = sites.a, sites.b
    body = a.push_body([a.op("visits")])
    _refused(hub, lambda: a.post(p.PUSH_PATH, body, token="not-a-token"), 401, "身份验证失败")
    _refused(hub, lambda: a.post(p.PUSH_PATH, body, token=b.token), 401, "身份验证失败")
    _refused(hub, lambda: a.post(p.PULL_PATH, a.envelope(cursor=0), token=b.token), 401, "身份验证失败")
    with hub.client() as client:
        _refused(hub, lambda: client.post(p.PUSH_PATH, json=body), 401, "身份验证失败")


def test_a_record_owned_by_another_site_is_rejected(hub: HubProcess, sites) -> None:
    town, a = sites.township, sites.a
    drug = town.op("drugs", generic_name="布洛芬")
    town.push([drug])
    before = hub.snapshot()
    # A sends a row that says it is the township's, and a change of the township's drug under its own name
    forged = a.op("drugs", owner_site_id=town.site_id)
    taken = a.op("drugs", record_id=drug.record_id, generic_name="改名")
    answers = [a.push([forged]).results[0], a.push([taken]).results[0]]
    assert [(r.status, r.field) for r in answers] == [("rejected", "owner_site_id")] * 2
    assert all(town.name in r.reason for r in answers)
    after = hub.snapshot()
    for table in ("records", "changelog", "applied_ops", "resident_ids"):
        assert after[table] == before[table], table
    assert len(after["rejected_ops"]) == len(before["rejected_ops"]) + 2
    assert sites.township.pull_all() == [] and sites.b.pull_all()[0].payload["generic_name"] == "布洛芬"


@pytest.mark.parametrize("path", [p.PUSH_PATH, p.PULL_PATH])
def test_a_copied_or_restored_database_is_refused(hub: HubProcess, sites, path: str) -> None:
    a = sites.a
    a.push([a.op("visits"), a.op("visits")])

    def send(**envelope):
        body = a.push_body([], **envelope) if path == p.PUSH_PATH else a.envelope(cursor=0, **envelope)
        return lambda: a.post(path, body)

    other = _refused(hub, send(db_instance_id=new_id()), 409, "数据库编号不同", "cunyi init --code")
    assert (other["code"], other["field"]) == (p.COPIED_DATABASE, "db_instance_id")
    back = _refused(hub, send(last_local_seq=1), 409, "倒退", "cunyi init --code")
    assert back["field"] == "last_local_seq"


def test_malformed_requests_get_a_chinese_4xx_and_write_nothing(hub: HubProcess, sites) -> None:
    a = sites.a
    headers = {"Authorization": f"Bearer {a.token}", "Content-Type": "application/json"}

    def raw(content: bytes, **extra):
        def send():
            with hub.client() as client:
                return client.post(p.PUSH_PATH, content=content, headers={**headers, **extra})
        return send

    _refused(hub, raw(b'{"site_id": '), 422, "不是有效的 JSON")
    _refused(hub, raw(gzip.compress(b"[1, 2"), **{"Content-Encoding": "gzip"}), 422, "不是有效的 JSON")
    _refused(hub, raw(gzip.compress(b"{}")), 400, "UTF-8 编码的 JSON")
    _refused(hub, raw(b"not gzip at all", **{"Content-Encoding": "gzip"}), 400, "无法解压")
    _refused(hub, raw(json.dumps([1]).encode()), 422, "JSON 对象")

    missing = a.push_body([a.op("visits")])
    del missing["ops"][0]["payload"]["owner_site_id"]
    assert _refused(hub, lambda: a.post(p.PUSH_PATH, missing), 422, "缺少字段 owner_site_id")["field"]
    no_field = a.push_body([a.op("visits")])
    del no_field["db_instance_id"]
    assert _refused(hub, lambda: a.post(p.PUSH_PATH, no_field), 422, "db_instance_id")["field"] == "db_instance_id"
    wrong_type = a.push_body([a.op("visits")], last_local_seq="many")
    _refused(hub, lambda: a.post(p.PUSH_PATH, wrong_type), 422, "应为整数")

    tx = new_id()
    split = [a.op("visits", tx_id=tx), a.op("visits", tx_id=tx)]
    cut = a.push_body(split[:1])
    cut["tx_sizes"] = {tx: 2}
    _refused(hub, lambda: a.post(p.PUSH_PATH, cut), 422, "没有在事务边界结束")
    many = [a.op("visits") for _ in range(p.MAX_PAGE_OPS + 1)]
    assert _refused(hub, lambda: a.post(p.PUSH_PATH, a.push_body(many)), 413, "最多 1000 条")["code"] == p.PAGE_TOO_BIG
    backwards = a.push_body([a.op("visits"), a.op("visits")][::-1])
    _refused(hub, lambda: a.post(p.PUSH_PATH, backwards), 422, "从小到大")
    unknown = a.push_body([a.op("no_such_table")])
    _refused(hub, lambda: a.post(p.PUSH_PATH, unknown), 422, "不认识数据表")
    newer = a.op("visits")
    newer_body = a.push_body([newer])
    newer_body["ops"][0]["schema_version"] = 99
    assert _refused(hub, lambda: a.post(p.PUSH_PATH, newer_body), 422, "升级")["code"] == p.SCHEMA_TOO_NEW
    # the site's own later pushes still work: nothing above moved its sequence
    assert a.push([a.op("visits")]).results[0].status == "applied"
