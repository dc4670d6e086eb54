"""A standalone village with history joins a real hub later (``cunyi join``): it keeps all its data.

Its whole history arrives at the township; its own drugs are mapped to the township catalog by national
code (stock moved by a ledger pair, trace codes carried, on hand per national code unchanged, ``cunyi
check`` clean at both sites); the unmatched ones are listed for the township, and map on a later sync
once the township adds them. Bad joins are refused in Chinese with nothing written on either side.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hub_harness import HubProcess
from site_harness import PASSWORD, SiteFolder, births_for, id_number, joined, run

from app.bootstrap import bootstrap
from app.domain.enums import Role
from app.domain.errors import PermissionDenied
from app.services.core.policies import DEFAULT_POLICY
from app.services.residents.types import EnrollmentRecord, ResidentForm
from app.services.settlement.types import DraftLine, VisitDraft
from app.sync import codes
from app.sync import protocol as p

AMOX, VITC, BANLAN, NEW = ("XJ01CAA040E001010100001", "XA11GAV100A001010100002", "XR05XAB050F001010100003",
                           "XA02BCA020E001010100004")
CODES = [f"8{n:019d}" for n in range(1, 4)]

pytestmark = pytest.mark.parametrize("hub", ["sqlite"], indirect=True)


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "pw.txt"
    path.write_text(PASSWORD, encoding="utf-8")
    return path


def standalone_village(data: Path, password_file: Path, tag: str) -> tuple[SiteFolder, dict[str, str]]:
    """A standalone village with its own catalog and history: receipts with trace codes, settlements, a reversal."""
    code, out, err = run("init", "--data", str(data), "--kind", "village", "--name", f"南村{tag}", "--admin", "admin",
                         "--password-file", str(password_file))
    assert code == 0, err
    village = SiteFolder(data, json.loads(out.strip().splitlines()[-1])["site_id"])
    with village.services() as sv:
        sv.settings.import_policy(str(DEFAULT_POLICY))
        drugs = {
            "amox": sv.catalog.create(generic_name="阿莫西林胶囊（本村）", national_code=AMOX, strength="0.25g×24粒",
                                      pack_unit="盒", base_unit="粒", units_per_pack=24, coverage_class="B",
                                      class_b_self_bp=1500, price_fen=1250).id,
            "vitc": sv.catalog.create(generic_name="维生素C片（本村）", national_code=VITC, strength="100mg×100片",
                                      pack_unit="瓶", base_unit="片", units_per_pack=100, coverage_class="C",
                                      price_fen=350).id,
            "banlan": sv.catalog.create(generic_name="板蓝根颗粒", national_code=BANLAN, strength="10g×20袋",
                                        pack_unit="盒", base_unit="袋", units_per_pack=20, coverage_class="A",
                                        price_fen=1500).id,
        }
        sv.stock.receive(drugs["amox"], "A1", date(2027, 7, 31), 96, trace_codes=CODES[:3])
        sv.stock.receive(drugs["vitc"], "V1", date(2027, 5, 31), 300)
        sv.stock.receive(drugs["banlan"], "B1", date(2027, 3, 31), 40)
        births = births_for(tag)
        settled = []
        for n, (name, birth) in enumerate(zip(("王五", "赵六"), births)):
            form = ResidentForm(id_number=id_number(birth, f"{n}71"), name=name, phone="", address="南村1组",
                                enrollments=(EnrollmentRecord(2026, date(2025, 11, 15), True),))
            resident = sv.residents.create(form).resident.id
            draft = VisitDraft(resident_id=resident, visit_date=date(2026, 6, 15), diagnosis="急性上呼吸道感染",
                               diagnosis_code="J06.9",
                               lines=(DraftLine(drugs["amox"], 24, "口服 每日3次 每次1粒",
                                                trace_codes=(CODES[n],) if n == 0 else ()),
                                      DraftLine(drugs["vitc"], 20, "口服 每日1次 每次1片")))
            settled.append(sv.settlement.settle(draft).id)
        sv.settlement.reverse(settled[0], "收费录错，退费重收")
    return village, drugs


def on_hand_by_code(site: SiteFolder, site_id: str) -> dict[str, int]:
    code, out, err = run("report", "stock", "--data", str(site.data), "--site", site_id, "--json")
    assert code == 0, err
    totals: dict[str, int] = {}
    for row in json.loads(out):
        totals[row["national_code"]] = totals.get(row["national_code"], 0) + row["on_hand_units"]
    return totals


def unmapped(site: SiteFolder, site_id: str | None = None) -> list[dict]:
    args = ["report", "unmapped-drugs", "--data", str(site.data), "--json"] + (["--site", site_id] if site_id else [])
    code, out, err = run(*args)
    assert code == 0, err
    return json.loads(out)


def test_a_standalone_village_joins_with_its_history_and_its_drugs_are_mapped(
        hub: HubProcess, tmp_path: Path, password_file: Path) -> None:
    tag = tmp_path.name[-8:]
    township = joined(hub.add_site("township", f"乡镇{tag}")[1], tmp_path / "t", password_file)
    with township.services() as sv:
        sv.settings.import_policy(str(DEFAULT_POLICY))
        t_amox = sv.catalog.create(generic_name="阿莫西林胶囊", national_code=AMOX, strength="0.25g×24粒", pack_unit="盒",
                                   base_unit="粒", units_per_pack=24, coverage_class="B", class_b_self_bp=1500,
                                   price_fen=1250).id
        t_vitc = sv.catalog.create(generic_name="维生素C片", national_code=VITC, strength="100mg×50片", pack_unit="瓶",
                                   base_unit="片", units_per_pack=50, coverage_class="C", price_fen=200).id
    township.sync()
    village, drugs = standalone_village(tmp_path / "v", password_file, tag)
    history = set(village.rows())
    before = on_hand_by_code(village, village.site_id)
    assert before == {AMOX: 72, VITC: 280, BANLAN: 40}  # 96 − 24 (the reversed sale put its 24 back) ; 300 − 20

    code_text = hub.add_site("village", f"南村{tag}", township.site_id)[1]
    status, out, err = run("join", "--data", str(village.data), "--code", code_text)
    assert status == 0, err
    answer = json.loads(out.strip().splitlines()[-1])
    assert answer["site_id"] == village.site_id and answer["unmapped_drugs"] == 1
    assert "板蓝根颗粒" in err and BANLAN in err
    assert village.pending() == 0
    assert village.audit_texts("site.join") == [f"同步服务：{hub.url}"]
    assert sorted(village.audit_texts("drug.map")) == [
        f"药品：{name}；医保编码：{code}；库存转入乡镇目录药品：{units}（最小单位）"
        for name, code, units in sorted([("维生素C片（本村）", VITC, 280), ("阿莫西林胶囊（本村）", AMOX, 72)])]

    # every record the village had arrives at the township, still the village's
    township.sync()
    seen = township.rows()
    assert history <= set(seen)
    assert {seen[key]["owner_site_id"] for key in history} == {village.site_id}
    sites = {s["site_id"]: s for s in json.loads(run_hub_sites(hub))}
    assert sites[village.site_id]["enrolled"] and sites[village.site_id]["township_site_id"] == township.site_id

    # matched drugs mapped: stock on the township drugs, the village's own inactive, on hand per code unchanged
    assert on_hand_by_code(village, village.site_id) == before
    assert on_hand_by_code(township, village.site_id) == before
    mapped = dict(village.sql("SELECT drug_id, township_drug_id FROM drug_mappings WHERE status = 'mapped'"))
    assert mapped == {drugs["amox"]: t_amox, drugs["vitc"]: t_vitc}
    assert village.sql("SELECT sum(on_hand) FROM batches WHERE drug_id IN (?, ?)", drugs["amox"], drugs["vitc"]) == [(0,)]
    assert village.sql("SELECT id, active FROM drugs WHERE owner_site_id = ? ORDER BY national_code",
                       village.site_id) == sorted([(drugs["amox"], 0), (drugs["vitc"], 0), (drugs["banlan"], 1)],
                                                  key=lambda r: {drugs["amox"]: AMOX, drugs["vitc"]: VITC,
                                                                 drugs["banlan"]: BANLAN}[r[0]])
    assert village.sql("SELECT batch_no, on_hand FROM batches WHERE drug_id = ?", t_amox) == [("A1", 72)]
    pair = village.sql("SELECT drug_id, quantity FROM stock_movements WHERE doc_type = 'drug_mapping' "
                       "AND drug_id IN (?, ?) ORDER BY quantity", drugs["amox"], t_amox)
    assert pair == [(drugs["amox"], -72), (t_amox, 72)]
    # the unsold boxes' codes now belong to the township drug's batch; the sold one stays sold
    with village.services() as sv:
        assert sv.stock.trace_code(CODES[1]).drug_id == t_amox
        assert sv.stock.trace_code(CODES[1]).state == "received"
        assert sv.stock.trace_code(CODES[0]).drug_id == t_amox  # sold, then un-sold by the reversal: on the shelf
    village.check()
    township.check()

    # the unmatched drug stays usable and is listed at the village and, through sync, at the township
    listed = unmapped(village)
    assert [(r["national_code"], r["generic_name"], r["on_hand_units"]) for r in listed] == [(BANLAN, "板蓝根颗粒", 40)]
    assert BANLAN in listed[0]["reason"]
    assert unmapped(township, village.site_id) == listed

    # the township adds it; the next sync maps it
    with township.services() as sv:
        t_banlan = sv.catalog.create(generic_name="板蓝根颗粒", national_code=BANLAN, strength="10g×20袋", pack_unit="盒",
                                     base_unit="袋", units_per_pack=20, coverage_class="A", price_fen=1500).id
    township.sync()
    village.sync()
    assert unmapped(village) == []
    assert village.sql("SELECT township_drug_id FROM drug_mappings WHERE drug_id = ?", drugs["banlan"]) == [(t_banlan,)]
    assert on_hand_by_code(village, village.site_id) == before
    township.sync()
    assert unmapped(township, village.site_id) == []
    assert on_hand_by_code(township, village.site_id) == before
    village.check()
    township.check()

    # joined already: a second code is refused here, before the hub is asked
    again = hub.add_site("village", f"南村再{tag}", township.site_id)[1]
    shot = village.sql("SELECT count(*) FROM outbox")
    status, _out, err = run("join", "--data", str(village.data), "--code", again)
    assert status == 1 and "已经加入乡镇同步服务" in err
    assert village.sql("SELECT count(*) FROM outbox") == shot


def run_hub_sites(hub: HubProcess) -> str:
    from hub_harness import hub_inline

    code, out, err = hub_inline("sites", "--home", str(hub.home), "--json")
    assert code == 0, err
    return out


def _fingerprint(site: SiteFolder) -> list:
    return [site.sql("SELECT count(*) FROM outbox"), site.sql("SELECT * FROM local_site"),
            site.sql("SELECT count(*) FROM sync_state"), site.sql("SELECT count(*) FROM audit_log")]


def test_bad_joins_are_refused_in_chinese_and_nothing_is_written(
        hub: HubProcess, tmp_path: Path, password_file: Path) -> None:
    tag = tmp_path.name[-8:]
    township = joined(hub.add_site("township", f"乡镇{tag}")[1], tmp_path / "t", password_file)
    village, _drugs = standalone_village(tmp_path / "v", password_file, tag)
    local = _fingerprint(village)

    # a code made for a township does not let a village in
    _tid, township_code = hub.add_site("township", f"另一乡镇{tag}")
    hub_before = hub.snapshot()
    status, _out, err = run("join", "--data", str(village.data), "--code", township_code)
    assert status == 1 and "这个同步码是给乡镇卫生院的，本站是村卫生室" in err
    assert hub.snapshot() == hub_before and _fingerprint(village) == local

    # a used code
    used = hub.add_site("village", f"北村{tag}", township.site_id)[1]
    joined(used, tmp_path / "other", password_file)
    hub_before = hub.snapshot()
    status, _out, err = run("join", "--data", str(village.data), "--code", used)
    assert status == 1 and "同步码" in err and "已经用过" in err
    assert hub.snapshot() == hub_before and _fingerprint(village) == local

    # a site the hub already knows (here: the township's own id) cannot take a new code
    fresh = codes.decode(hub.add_site("township", f"三乡镇{tag}")[1])
    hub_before = hub.snapshot()
    with hub.client() as client:
        answer = client.post(p.ENROLL_PATH, json={"secret": fresh.secret, "db_instance_id": "copy-1",
                                                  "site_id": township.site_id, "kind": "township"})
    assert answer.status_code == 403 and "本站已经加入过乡镇同步服务" in answer.json()["message"]
    assert hub.snapshot() == hub_before

    # a user who is not an administrator, at the services
    with village.services() as sv:
        sv.users.create("doctor1", "村医一", Role.VILLAGE_DOCTOR, PASSWORD)
    sv = bootstrap(village.data, backup_before_migrate=False)
    try:
        sv.identity.sign_in("doctor1", PASSWORD)
        local = _fingerprint(village)
        code_text = hub.add_site("village", f"西南村{tag}", township.site_id)[1]
        hub_before = hub.snapshot()
        with pytest.raises(PermissionDenied, match="村医不能加入乡镇同步服务"):
            sv.sync.join(code_text)
    finally:
        sv.close()
    assert hub.snapshot() == hub_before and _fingerprint(village) == local

    # a malformed code: exit 1 naming the field, nothing opened
    status, _out, err = run("join", "--data", str(village.data), "--code", "不是同步码")
    assert status == 1 and "同步码" in err
    assert _fingerprint(village) == local
