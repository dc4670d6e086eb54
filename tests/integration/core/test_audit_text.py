"""The audit log in words: every action the app writes reads in Chinese, with names and yuan, never an
id or an English key — for rows written now and rows written before (the small demo's own rows)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from app.bootstrap import bootstrap
from app.domain.enums import Role
from app.domain.errors import AuthError
from app.domain.money import fen_to_yuan
from app.services.core.audit_text import ACTION_LABELS

PASSWORD = "demo1234"  # the demo's users
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
#: what may stay ASCII in a detail: user names, batch and receipt numbers, amounts
ASCII_WORD = re.compile(r"[A-Za-z_]{2,}")
SYNC_ACTIONS = {"site.join", "site.link_township", "drug.map"}
#: the unified statement's actions need a township and its village: read in tests/integration/statements
STATEMENT_ACTIONS = {"statement.close_month", "statement.set_subsidy", "statement.draft", "statement.finalise",
                     "statement.acknowledge"}
#: purchasing, requisitions, shipments and receipts need a township and its villages: read in
#: tests/integration/transfers/test_transfers_audit.py
TRANSFER_ACTIONS = {action for action in ACTION_LABELS if action.startswith("transfers.")}


def _every_action(data: Path) -> None:
    """Sign-ins, settings, accounts, stock, stocktakes and a reversal, through the services."""
    sv = bootstrap(data)
    try:
        identity, users = sv.identity, sv.users
        with pytest.raises(AuthError):
            identity.sign_in("ghost", "whatever")
        identity.sign_in("admin", PASSWORD)
        sv.settings.set("idle_lock_minutes", "20")
        nurse = users.create("nurse", "赵护士", Role.VILLAGE_DOCTOR, "nurse-pass-1")
        for _ in range(5):
            with pytest.raises(AuthError):
                identity.sign_in("nurse", "wrong-pass")
        with pytest.raises(AuthError):
            identity.sign_in("nurse", "nurse-pass-1")  # locked
        identity.sign_in("admin", PASSWORD)
        users.unlock(nurse.id)
        users.reset_password(nurse.id, "nurse-pass-2")
        users.set_active(nurse.id, False)
        with pytest.raises(AuthError):
            identity.sign_in("nurse", "nurse-pass-2")  # disabled
        users.set_active(nurse.id, True)
        users.change_role(nurse.id, Role.ADMIN)

        identity.sign_in("doctor", PASSWORD)
        users.change_own_password(PASSWORD, "doctor-new-1")
        stock = sv.stock
        batch_id = _a_batch(data)
        stock.return_to_township(batch_id, 1, "近效期退回")
        take = sv.stocktake.start(stock.local_store_id())
        sv.stocktake.cancel(take.id, "改天再盘")
        take = sv.stocktake.start(stock.local_store_id())
        sv.stocktake.finalise(take.id, skip_uncounted=True)
        settlement_id = _a_settlement(data)
        sv.settlement.reverse(settlement_id, "患者退药")
        _settle(sv)
        _case(sv, data)

        identity.sign_in("admin", PASSWORD)  # corrections of the stock and the catalog are an administrator's
        moved = stock.adjust(batch_id, 2, "清点发现多出")
        stock.reverse_movement(moved, "录错")
        stock.write_off(batch_id, 1, "damaged", "掉地上摔碎")
        _catalog(sv, data)
    finally:
        sv.close()


def _catalog(sv, data: Path) -> None:  # noqa: ANN001
    """A new drug, a price change and a file import."""
    drug = sv.catalog.create(generic_name="审计测试片", strength="10mg×10片", pack_unit="盒", base_unit="片",
                             units_per_pack=10, coverage_class="A", price_fen=1250)
    sv.catalog.update(drug.id, retail_price_fen=1300)
    path = data / "审计导入.csv"
    path.write_text("generic_name,strength,units_per_pack,price_fen,coverage_class,pack_unit,base_unit\n"
                    "审计导入胶囊,0.25g×24粒,24,990,乙,盒,粒\n", encoding="utf-8")
    sv.catalog.import_file(path)


def _case(sv, data: Path) -> None:  # noqa: ANN001
    """A case opened at the village, then a step of its timeline (the township's return arrives by sync)."""
    from app.db.models import CaseEvent
    from app.domain import clock
    from app.services.cases.types import CaseForm

    resident_id = _query(data, "SELECT r.id FROM residents r JOIN local_site l ON l.site_id = r.site_id LIMIT 1")[0][0]
    opened = sv.cases.open(CaseForm(resident_id, "manual_reimbursement", note="门诊票据"))
    sv.cases.set_collected(opened.case_id, ["医疗机构收费票据", "身份证件或医保电子凭证或社保卡"])
    township = _query(data, "SELECT id FROM sites WHERE kind = 'township'")[0][0]
    with sv.db.unit_of_work(applying_remote=True) as uow:
        for step, status in ((2, "submitted"), (3, "returned")):
            uow.session.add(CaseEvent(owner_site_id=township, case_id=opened.case_id, step=step, status=status,
                                      note="", missing='["处方底方"]', user_name="专干", occurred_at=clock.now(),
                                      to_site_id=sv.db.local_site_id))
    sv.cases.resubmit(opened.case_id, ["处方底方"], "已补处方底方")
    scan = data.parent / "收费票据.pdf"
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n")
    sv.cases.add_attachment(opened.case_id, scan)


def _settle(sv) -> None:  # noqa: ANN001
    """A visit settled now: its row carries the resident's name as well as the id."""
    from app.domain import clock
    from app.services.settlement.types import DraftLine, VisitDraft

    resident = next(r for r in sv.residents.many(sv.residents.site_roster()[:50])
                    if r.coverage is not None and r.coverage.eligible)
    drug = sv.catalog.search("")[0] if sv.catalog.search("") else None
    lines = (DraftLine(drug.id, 1, "口服 每日3次 每次1片"),) if drug else ()
    sv.settlement.settle(VisitDraft(resident_id=resident.id, visit_date=clock.today(), diagnosis="急性上呼吸道感染",
                                    diagnosis_code="J06.9", lines=lines))


def _query(data: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(data / "cunyi.db")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _a_batch(data: Path) -> str:
    return _query(data, "SELECT b.id FROM batches b JOIN stores s ON s.id = b.store_id JOIN local_site l "
                        "ON l.site_id = s.site_id WHERE b.on_hand >= 5 ORDER BY b.id LIMIT 1")[0][0]


def _a_settlement(data: Path) -> str:
    return _query(data, "SELECT s.id FROM settlements s JOIN local_site l ON l.site_id = s.site_id "
                        "LEFT JOIN reversals r ON r.settlement_id = s.id WHERE r.id IS NULL ORDER BY s.id DESC LIMIT 1")[0][0]


def _site_create_rows(tmp_path: Path):  # noqa: ANN202
    sv = bootstrap(tmp_path / "standalone")
    try:
        sv.sites.create_standalone("village", "示例村卫生室", "admin", "admin-pass-1")
        return sv.status.audit_page(0, 100)
    finally:
        sv.close()


def test_every_audit_action_reads_in_chinese_with_names_and_yuan(demo_copy: Path, tmp_path: Path) -> None:
    _every_action(demo_copy)
    sv = bootstrap(demo_copy)
    try:
        entries = sv.status.audit_page(0, 100_000) + _site_create_rows(tmp_path)
        names = dict(_query(demo_copy, "SELECT id, name FROM residents"))
    finally:
        sv.close()
    written = {e.action for e in entries}
    # every action, each with a label; the sync actions need a hub and are read in tests/sync
    # (test_village_link.py, test_join_standalone.py)
    expected = set(ACTION_LABELS) - SYNC_ACTIONS - STATEMENT_ACTIONS - TRANSFER_ACTIONS
    assert written == expected, expected ^ written
    for entry in entries:
        text = entry.text
        assert not UUID.search(text), (entry.action, text)
        for key in entry.detail:
            assert key not in text, (entry.action, key, text)
        allowed = {str(v) for v in entry.detail.values()} | {"nurse", "doctor", "admin"}
        for word in ASCII_WORD.findall(text):
            assert any(word in a for a in allowed), (entry.action, word, text)
        for key in ("total_fen", "refund_fen", "value_fen"):
            if isinstance(entry.detail.get(key), int):
                assert f"¥{fen_to_yuan(abs(entry.detail[key]))}" in text, (entry.action, text)
        if "resident_id" in entry.detail:
            assert text.count("居民：") == 1 and f"居民：{names[entry.detail['resident_id']]}" in text
    by_action = {e.action: e.text for e in entries}
    newest: dict[str, str] = {}
    for e in entries:  # newest first: this test's case steps come after the demo's own 帮办代办 history
        newest.setdefault(e.action, e.text)
    assert by_action["demo.build"] == "村卫生室 3 个；规模：小型示例（1 个乡镇、3 个村）"
    assert by_action["user.role"] == "赵护士（nurse）；原角色：村医；新角色：管理员"
    assert by_action["signin.fail"].startswith("连续错误") or by_action["signin.fail"] == "原因：用户不存在"
    assert re.fullmatch(r"\S+ 批号 \S+；数量变化：\+2\S+；原因：清点发现多出", by_action["stock.adjust"])
    assert re.fullmatch(r"\S+ 批号 \S+；冲正数量：-2\S+；原因：录错", by_action["stock.reverse"])
    assert by_action["stocktake.cancel"] == "原因：改天再盘"
    assert re.fullmatch(r"事项编号：BD\d{8}-\d{4}；文件：收费票据\.pdf", by_action["case.attach"])
    assert by_action["settings.change"] == "无操作自动锁屏（分钟，0=不锁屏）：10 → 20"
    assert by_action["catalog.create"] == "药品：审计测试片；医保类别：甲类；进价：¥12.50；零售价：¥12.50"
    assert by_action["catalog.update"] == "药品：审计测试片；零售价：¥12.50 → ¥13.00；零差价：是 → 否"
    assert by_action["catalog.import"] == "文件：审计导入.csv；新增 1 种；更新 0 种"
    assert re.fullmatch(r"居民：\S+；事项编号：BD\d{8}-\d{4}；事项：零星报销；办结时限：\d{4}-\d\d-\d\d",
                        newest["case.open"]), newest["case.open"]
    assert re.fullmatch(r"事项编号：BD\d{8}-\d{4}；已收材料：身份证件或医保电子凭证或社保卡、医疗机构收费票据",
                        newest["case.collect"]), newest["case.collect"]
    assert re.fullmatch(r"居民：\S+；事项编号：BD\d{8}-\d{4}；办理：已报送；说明：已补处方底方", newest["case.step"]), \
        newest["case.step"]


def test_every_action_the_app_writes_has_a_chinese_label() -> None:
    """A new ``write_audit(..., "area.action", ...)`` anywhere in app/ needs its label in ACTION_LABELS."""
    root = Path(__file__).resolve().parents[3] / "app"
    written = set()
    for path in root.rglob("*.py"):
        written |= set(re.findall(r'write_audit\([^()]*?"([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert {"site.create", "site.join", "drug.map", "settlement.reverse"} <= written  # the scan finds them
    assert sorted(written - set(ACTION_LABELS)) == []
