"""The sync client's guarantees, each against a real hub: a page and its cursor move together, a forged or
newer change is refused without writing, pushes page on transaction boundaries, rejections are kept, and
a server without the pinned certificate gets nothing.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from datetime import date
from pathlib import Path

import pytest
from hub_harness import HubProcess
from site_harness import PASSWORD, SiteFolder, id_number, joined, run

from app.db.uow import Database
from app.services.residents.types import EnrollmentRecord, ResidentForm
from app.services.settlement.types import DraftLine, VisitDraft
from app.sync import protocol as p
from app.sync import state
from app.sync.client import SyncClient
from app.sync.hub import tables as t
from app.sync.transport import HubClient, SyncError


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD, encoding="utf-8")
    return path


@pytest.fixture
def pair(hub: HubProcess, tmp_path: Path, password_file: Path) -> tuple[SiteFolder, SiteFolder]:
    """A township with its catalog pushed, and a village joined before the catalog was pulled."""
    tag = uuid.uuid4().hex[:6]
    township_id, code = hub.add_site("township", f"乡镇{tag}")
    township = joined(code, tmp_path / "t", password_file)
    village = joined(hub.add_site("village", f"东村{tag}", township_id)[1], tmp_path / "a", password_file)
    township.township_setup()
    township.sync()
    return township, village


@contextlib.contextmanager
def client(site: SiteFolder, **kw) -> SyncClient:
    db = Database(site.data / "cunyi.db")
    sync = SyncClient(db, **kw)
    try:
        yield sync
    finally:
        sync.close()
        db.dispose()


def _state(site: SiteFolder) -> tuple:
    return (site.sql("SELECT pulled_seq, pushed_seq FROM local_site")[0],
            site.sql("SELECT count(*) FROM drugs")[0][0], site.sql("SELECT count(*) FROM policies")[0][0])


def test_a_failure_after_the_apply_keeps_neither_rows_nor_cursor(pair, monkeypatch: pytest.MonkeyPatch) -> None:
    _township, village = pair
    before = _state(village)
    assert before[1] == 0

    def crash(conn, cursor):  # the page is applied; the cursor is about to be saved
        raise RuntimeError("断电")

    monkeypatch.setattr(state, "save_pulled", crash)
    with client(village) as sync, pytest.raises(RuntimeError):
        sync.pull_page()
    assert _state(village) == before
    monkeypatch.undo()
    with client(village) as sync:
        page, tables = sync.pull_page()
    assert {"drugs", "policies"} <= tables
    assert village.sql("SELECT pulled_seq FROM local_site")[0][0] == page.cursor > 0
    assert _state(village)[1] == 2
    assert village.pending() == 0  # the pulled rows queued nothing


def _page(monkeypatch: pytest.MonkeyPatch, changes: list[p.Change]) -> None:
    real = HubClient.post

    def post(self, path, body, answer):
        if path == p.PULL_PATH:
            return p.PullResponse(changes=changes, cursor=changes[-1].seq, more=False)
        return real(self, path, body, answer)

    monkeypatch.setattr(HubClient, "post", post)


def _change(row: dict, seq: int, table: str = "drugs", **kw) -> p.Change:
    fields = {"seq": seq, "table_name": table, "record_id": row["id"], "owner_site_id": row["owner_site_id"],
              "tx_id": "tx-forged", "schema_version": 1, "payload": dict(row)}
    return p.Change(**{**fields, **kw})


@pytest.mark.parametrize("bad", ["echo", "owner", "newer", "id"])
def test_a_forged_or_newer_change_is_refused_whole(pair, monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    township, village = pair
    drugs = [r for (table, _), r in township.rows().items() if table == "drugs"]
    good = _change(drugs[0], 900001)
    second = dict(drugs[1])
    if bad == "echo":
        second["owner_site_id"] = village.site_id
        wrong = _change(second, 900002, owner_site_id=village.site_id)
    elif bad == "owner":
        second["owner_site_id"] = village.site_id
        wrong = _change(second, 900002)
    elif bad == "newer":
        wrong = _change(second, 900002, schema_version=99)
    else:
        wrong = _change(second, 900002, record_id=good.record_id)
    before = _state(village)
    _page(monkeypatch, [good, wrong])
    with client(village) as sync, pytest.raises(SyncError) as refused:
        sync.pull_page()
    assert _state(village) == before  # not even the good change of the page
    assert ("升级" in str(refused.value)) if bad == "newer" else ("没有保存" in str(refused.value))


def test_an_older_payload_with_unknown_keys_is_applied(pair, monkeypatch: pytest.MonkeyPatch) -> None:
    township, village = pair
    drug = next(r for (table, _), r in township.rows().items() if table == "drugs")
    payload = {k: v for k, v in drug.items() if k != "barcode"} | {"retired_column": "x"}
    _page(monkeypatch, [_change(payload, 900001, payload=payload)])
    with client(village) as sync:
        _, tables = sync.pull_page()
    assert tables == {"drugs"}
    assert village.sql("SELECT generic_name, owner_site_id FROM drugs WHERE id = ?", drug["id"]) == [
        (drug["generic_name"], township.site_id)]
    assert village.sql("SELECT pulled_seq FROM local_site") == [(900001,)]


def test_a_page_is_saved_with_a_few_statements_as_if_change_by_change(pair, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page of many changes costs a few statements per table, not one or two per change; a record
    inserted and then changed in the same page ends as its last change, and an older version is skipped."""
    from sqlalchemy import event

    township, village = pair
    real = [r for (table, _), r in township.rows().items() if table == "drugs"]
    drugs = real + [dict(real[0], id=uuid.uuid4().hex, generic_name=f"药{i}") for i in range(200)]
    changes = [_change(drug, 900001 + i) for i, drug in enumerate(drugs)]
    newer = dict(drugs[0], generic_name="改名后的药", version=drugs[0]["version"] + 1)
    older = dict(drugs[1], generic_name="旧名字", version=drugs[1]["version"] - 1)
    changes += [_change(newer, 900900), _change(older, 900901)]
    _page(monkeypatch, changes)
    with client(village) as sync:
        statements: list[str] = []
        event.listen(sync.db.writer, "before_cursor_execute", lambda *a: statements.append(a[2]))
        sync.pull_page()
    assert len(statements) < 15, statements
    assert village.sql("SELECT count(*) FROM drugs") == [(len(drugs),)]
    assert village.sql("SELECT generic_name, version FROM drugs WHERE id = ?", newer["id"]) == [
        ("改名后的药", newer["version"])]
    assert village.sql("SELECT generic_name FROM drugs WHERE id = ?", older["id"]) == [(drugs[1]["generic_name"],)]


def test_push_pages_end_on_transaction_boundaries(hub: HubProcess, pair) -> None:
    township, _village = pair
    township.township_setup()  # more transactions of several rows each
    pending = township.pending()
    seqs = township.sql("SELECT local_seq, tx_id FROM outbox WHERE local_seq > (SELECT pushed_seq FROM local_site) "
                        "ORDER BY local_seq")
    with client(township, page_size=2) as sync:
        sent = []
        while (page := sync.push_page()) is not None:
            sent.append(page[0])
            pushed = township.sql("SELECT pushed_seq FROM local_site")[0][0]
            after = [tx for seq, tx in seqs if seq > pushed]
            assert not after or after[0] not in {tx for seq, tx in seqs if seq <= pushed}  # a whole tx each time
    assert sum(sent) == pending and len(sent) > 1
    assert township.pending() == 0
    with hub.engine.connect() as conn:
        ops = conn.execute(t.applied_ops.select().where(t.applied_ops.c.site_id == township.site_id)).all()
    assert {op.local_seq for op in ops} >= {seq for seq, _ in seqs}


def test_a_rejected_op_is_kept_with_its_reason(hub: HubProcess, pair, tmp_path: Path, password_file: Path) -> None:
    township, a = pair
    b = joined(hub.add_site("village", f"西村{uuid.uuid4().hex[:6]}", township.site_id)[1], tmp_path / "b",
               password_file)
    number = id_number("19590312", "771")
    for village in (a, b):
        with village.services() as sv:
            sv.residents.create(ResidentForm(id_number=number, name="张三", address="示例村3组"))
    assert a.sync()["rejected"] == 0
    assert b.sync()["rejected"] >= 1
    rows = b.sql("SELECT table_name, field, reason, action FROM sync_rejections WHERE field = 'id_number'")
    assert rows and rows[0][0] == "residents" and "已由东村" in rows[0][2] and "联系东村" in rows[0][3]
    assert b.pending() == 0  # settled by the hub: not sent again
    assert b.sync() == {"pushed": 0, "pulled": 0, "rejected": 0}


def test_a_server_without_the_pinned_certificate_gets_nothing(pair, monkeypatch: pytest.MonkeyPatch) -> None:
    township, _village = pair
    township.township_setup()
    pending = township.pending()
    with contextlib.closing(sqlite3.connect(township.data / "cunyi.db")) as con, con:
        con.execute("UPDATE sync_state SET fingerprint = ?", ("0" * 64,))
    status, out, err = run("sync", "--data", str(township.data), "--once")
    assert status == 1 and out == "" and "证书指纹不符" in err
    assert township.pending() == pending


def test_work_on_a_rejected_record_is_rejected_too_and_never_blocks_the_township(
        hub: HubProcess, pair, tmp_path: Path, password_file: Path) -> None:
    """A village treats a resident it registered twice over: the hub refuses the registration, so it refuses
    the visit and settlement that refer to him too, naming the reference; the township's pull goes on."""
    township, a = pair
    b = joined(hub.add_site("village", f"南村{uuid.uuid4().hex[:6]}", township.site_id)[1], tmp_path / "b",
               password_file)
    number = id_number("19480917", "552")
    with a.services() as sv:
        sv.residents.create(ResidentForm(id_number=number, name="王五", address="示例村1组",
                                         enrollments=(EnrollmentRecord(2026, date(2025, 11, 15), True),)))
    assert a.sync()["rejected"] == 0
    b.sync()  # the township's catalog and policy
    drug = b.sql("SELECT id FROM drugs WHERE generic_name = '维生素C片'")[0][0]
    with b.services() as sv:
        sv.stock.receive(drug, "V0917", date(2027, 5, 31), 300)
        resident = sv.residents.create(ResidentForm(id_number=number, name="王五", address="示例村1组",
                                                    enrollments=(EnrollmentRecord(2026, date(2025, 11, 15), True),)))
        visit = VisitDraft(resident_id=resident.resident.id, visit_date=date(2026, 6, 15), diagnosis="急性上呼吸道感染",
                           diagnosis_code="J06.9", lines=(DraftLine(drug, 20, "口服 每日1次 每次1片"),))
        settlement_id = sv.settlement.settle(visit).id
    assert b.sync()["rejected"] >= 2
    rejected = dict(b.sql("SELECT table_name, field FROM sync_rejections WHERE record_id IN "
                          "(SELECT id FROM visits WHERE resident_id = ?)", resident.resident.id))
    assert rejected == {"visits": "resident_id"}
    reason, action = b.sql("SELECT reason, action FROM sync_rejections WHERE table_name = 'visits'")[0]
    assert "居民" in reason and "不在乡镇同步服务上" in reason and "同步" in action
    assert b.sql("SELECT count(*) FROM sync_rejections WHERE record_id = ?", settlement_id)[0][0] == 1
    with hub.engine.connect() as conn:
        held = {row[0] for row in conn.execute(t.records.select().with_only_columns(t.records.c.record_id)
                                               .where(t.records.c.owner_site_id == b.site_id))}
    assert resident.resident.id not in held and settlement_id not in held
    assert b.sql("SELECT id FROM batches WHERE batch_no = 'V0917'")[0][0] in held  # its other work arrived
    township.sync()
    assert township.sync() == {"pushed": 0, "pulled": 0, "rejected": 0}
    assert township.sql("SELECT count(*) FROM settlements WHERE id = ?", settlement_id)[0][0] == 0
    township.check()
    b.check()
