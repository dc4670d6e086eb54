"""帮办代办 across the hub (DESIGN §4, §6): the case row is the village's alone, the township adds events of
its own addressed to the village; the whole timeline travels both ways through ``cunyi sync``."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import pytest
from hub_harness import HubProcess
from site_harness import PASSWORD, SiteFolder, id_number, joined, run

from app.domain.enums import CaseStatus
from app.domain.ids import new_id
from app.services.residents.types import EnrollmentRecord, ResidentForm

CASE_TABLES = ("cases", "case_events")


def test_the_township_adds_events_but_cannot_change_the_villages_case(hub: HubProcess, sites) -> None:
    town, a, b = sites.township, sites.a, sites.b
    tx = new_id()
    case = a.op("cases", tx_id=tx, site_id=a.site_id, case_no="BD20260615-0001", case_type="manual_reimbursement",
                accepted_on="2026-06-15", due_on="2026-07-27", collected="[]")
    accepted = a.op("case_events", tx_id=tx, case_id=case.record_id, step=1, status="accepted")
    assert [r.status for r in a.push([case, accepted]).results] == ["applied", "applied"]
    assert {(c.table_name, c.record_id) for c in town.pull_all()} >= {("cases", case.record_id),
                                                                      ("case_events", accepted.record_id)}
    before = hub.snapshot()
    # the township changes the village's case under its own name, or forges the village as the owner
    changed = town.op("cases", record_id=case.record_id, site_id=a.site_id, case_no="BD20260615-0001",
                      due_on="2026-12-31", collected='["处方底方"]')
    forged = town.op("cases", record_id=case.record_id, owner_site_id=a.site_id, due_on="2026-12-31")
    answers = [town.push([changed]).results[0], town.push([forged]).results[0]]
    assert [(r.status, r.field) for r in answers] == [("rejected", "owner_site_id")] * 2
    assert all(a.name in r.reason and "帮办代办事项" in r.reason for r in answers)
    after = hub.snapshot()
    for table in ("records", "changelog", "applied_ops"):
        assert after[table] == before[table], table
    # an event of its own, addressed to the village, is the township's way to act on the case
    submitted = town.op("case_events", case_id=case.record_id, step=2, status="submitted", to_site_id=a.site_id)
    assert town.push([submitted]).results[0].status == "applied"
    got = [(c.table_name, c.record_id, c.owner_site_id) for c in a.pull_all() if c.table_name in CASE_TABLES]
    assert got == [("case_events", submitted.record_id, town.site_id)]
    assert not [c for c in b.pull_all() if c.table_name in CASE_TABLES]  # the other village sees none of it


def test_an_event_about_a_case_the_hub_does_not_hold_is_rejected(hub: HubProcess, sites) -> None:
    town, a = sites.township, sites.a
    stray = town.op("case_events", case_id=new_id(), step=2, status="submitted", to_site_id=a.site_id)
    result = town.push([stray]).results[0]
    assert (result.status, result.field) == ("rejected", "case_id") and "帮办代办事项" in result.reason


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD, encoding="utf-8")
    return path


def _status(site: SiteFolder, case_id: str) -> tuple[str, ...]:
    return tuple(s for (s,) in site.sql("SELECT status FROM case_events WHERE case_id = ? ORDER BY step", case_id))


def test_a_case_goes_from_the_village_to_the_township_and_back_until_it_is_done(
        hub: HubProcess, tmp_path: Path, password_file: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    township_id, code = hub.add_site("township", f"乡镇{tag}")
    township = joined(code, tmp_path / "township", password_file)
    village = joined(hub.add_site("village", f"东村{tag}", township_id)[1], tmp_path / "village", password_file)
    number = id_number(f"19{int(tag, 16) % 60 + 30}0{int(tag, 16) % 9 + 1}15", "241")
    with village.services() as sv:
        sv.residents.create(ResidentForm(id_number=number, name="王秀英", address="示例村2组",
                                         enrollments=(EnrollmentRecord(2026, date(2025, 11, 15)),)))
    status, out, err = run("case", "open", "--data", str(village.data), "--resident", number, "--type",
                           "manual_reimbursement", "--on", "2026-02-10")
    assert status == 0, err
    opened = json.loads(out.strip().splitlines()[-1])
    assert opened["due_on"] == "2026-03-30"
    case_id = opened["case_id"]
    village.sync()
    township.sync()
    with township.services() as sv:
        case = sv.cases.get(case_id)
        assert (case.status, case.site_id, case.owned_here) == (CaseStatus.ACCEPTED, village.site_id, False)
        sv.cases.submit(case_id, "已报送县医保局")
        sv.cases.return_for_material(case_id, ["处方底方"], "缺处方底方")
    township.sync()
    village.sync()
    with village.services() as sv:
        case = sv.cases.get(case_id)
        assert case.status is CaseStatus.RETURNED and case.events[-1].missing == ("处方底方",)
        assert case.events[-1].owner_site_id == township.site_id
        sv.cases.resubmit(case_id, ["处方底方"], "已补处方底方")
    village.sync()
    township.sync()
    with township.services() as sv:
        assert sv.cases.get(case_id).collected == ("处方底方",)
        sv.cases.approve(case_id, "已拨付")
    township.sync()
    village.sync()
    steps = ("accepted", "submitted", "returned", "submitted", "approved")
    assert _status(village, case_id) == _status(township, case_id) == steps
    for site in (village, township):
        code, out, err = run("report", "cases", "--data", str(site.data), "--json", "--month", "2026-02")
        assert code == 0, err
        row = json.loads(out)[0]
        assert (row["case_id"], row["status"], row["site_id"]) == (case_id, "approved", village.site_id)
        site.check()
        assert site.pending() == 0
    # each event is owned by the site that acted; the case row is the village's, unchanged at the township
    owners = township.sql("SELECT step, owner_site_id FROM case_events WHERE case_id = ? ORDER BY step", case_id)
    assert [o for _s, o in owners] == [village.site_id, township.site_id, township.site_id, village.site_id,
                                       township.site_id]
    assert township.sql("SELECT owner_site_id, version, collected FROM cases WHERE id = ?", case_id) == \
        village.sql("SELECT owner_site_id, version, collected FROM cases WHERE id = ?", case_id)
