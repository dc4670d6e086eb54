"""帮办代办 through the services and the CLI (DESIGN §6, §9): opening a case at a village, the timeline's
steps at the township, lists, the 工作台's overdue and due-soon cases, monthly counts, and every kind of
bad input refused with a Chinese message naming the field and nothing written."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from demo_cli import run_cunyi
from stock_helpers import db_fingerprint

from app.bootstrap import bootstrap
from app.cli import main
from app.db.models import Case, CaseEvent
from app.domain import clock
from app.domain.enums import CaseStatus, CaseType
from app.domain.errors import CunyiError, ForeignRecordError, NotFoundError, PermissionDenied, RuleViolation, ValidationError
from app.domain.idcard import check_digit
from app.services.cases.types import CaseFilter, CaseForm

PASSWORD = "demo1234"  # the demo's users
MANUAL = ("身份证件或医保电子凭证或社保卡", "医疗机构收费票据", "门诊急诊费用清单", "处方底方")


def _id_number(birth: str, seq: str) -> str:
    first17 = "410102" + birth + seq
    return first17 + check_digit(first17)


def _sql(data: Path, query: str, *params) -> list[tuple]:  # noqa: ANN002
    with closing(sqlite3.connect(data / "cunyi.db")) as con:
        return con.execute(query, params).fetchall()


def _local_residents(data: Path, n: int = 3) -> list[tuple[str, str, str]]:
    return _sql(data, "SELECT r.id, r.id_number, r.name FROM residents r JOIN local_site l ON l.site_id = r.site_id "
                      "ORDER BY r.id_number LIMIT ?", n)


@pytest.fixture
def village(demo_copy: Path):
    sv = bootstrap(demo_copy, backup_before_migrate=False)
    sv.identity.sign_in("doctor", PASSWORD)
    residents = _local_residents(demo_copy)
    try:
        yield SimpleNamespace(sv=sv, data=demo_copy, residents=residents, site_id=sv.db.local_site_id)
    finally:
        sv.close()


# -- opening at the village ----------------------------------------------------------------------------
def test_a_case_opened_across_the_spring_festival_is_due_after_the_holiday(village) -> None:
    resident_id, _number, name = village.residents[0]
    opened = village.sv.cases.open(CaseForm(resident_id, CaseType.MANUAL_REIMBURSEMENT, collected=MANUAL[:2],
                                            accepted_on=date(2026, 2, 10), note="门诊费用"))
    assert opened.due_on == date(2026, 3, 30) and opened.warning == "" and opened.case_no == "BD20260210-0001"
    again = village.sv.cases.open(CaseForm(resident_id, "remote_care_filing", accepted_on=date(2026, 2, 13)))
    assert again.due_on == date(2026, 2, 25)  # 2-14 is a make-up Saturday, then the holiday to 2-23
    case = village.sv.cases.get(opened.case_id)
    assert (case.case_type, case.status, case.resident_name, case.responsible_name) == (
        CaseType.MANUAL_REIMBURSEMENT, CaseStatus.ACCEPTED, name, "赵文静")
    assert case.checklist == MANUAL and case.collected == MANUAL[:2] and case.missing == MANUAL[2:]
    assert case.overdue and case.owned_here and case.due_workdays == 30  # 2026-03-30 is before 06-15
    assert [(e.step, e.status, e.user_name) for e in case.events] == [(1, CaseStatus.ACCEPTED, "赵文静")]
    queued = _sql(village.data, "SELECT table_name FROM outbox WHERE record_id IN (?, ?)", opened.case_id,
                  case.events[0].id)
    assert sorted(t for (t,) in queued) == ["case_events", "cases"]
    village.sv.identity.sign_in("admin", PASSWORD)
    texts = [e.text for e in village.sv.status.audit_page(0, 10) if e.action == "case.open"]
    assert f"居民：{name}；事项编号：BD20260210-0001；事项：零星报销；办结时限：2026-03-30" in texts


def test_an_agent_and_family_mutual_aid_for_a_close_relative(village) -> None:
    resident_id = village.residents[0][0]
    agent = _id_number("19800101", "131")
    opened = village.sv.cases.open(CaseForm(resident_id, CaseType.FAMILY_ACCOUNT, agent_name="李明",
                                            agent_id_number=agent.lower(), agent_relation="儿子"))
    case = village.sv.cases.get(opened.case_id)
    assert (case.agent_name, case.agent_id_number, case.agent_relation) == ("李明", agent, "儿子")
    assert opened.due_on == date(2026, 6, 23)  # 5 working days after 2026-06-15; 端午 06-19 is a holiday


@pytest.mark.parametrize(("change", "error", "field", "words"), [
    (dict(resident_id="no-such-resident"), NotFoundError, "居民", "居民不存在"),
    (dict(case_type="lottery"), ValidationError, "事项类型", "事项类型“lottery”不存在"),
    (dict(agent_name="李明", agent_id_number="410102198001011311", agent_relation="儿子"), ValidationError,
     "代办人身份证号", "校验位"),
    (dict(agent_name="李明", agent_id_number="41010219800101", agent_relation="儿子"), ValidationError,
     "代办人身份证号", ""),
    (dict(agent_name="", agent_id_number=_id_number("19800101", "131"), agent_relation="儿子"), ValidationError,
     "代办人姓名", "代办人姓名"),
    (dict(agent_name="李明", agent_id_number=_id_number("19800101", "131")), ValidationError, "与居民关系", "关系"),
    (dict(case_type="family_account", agent_name="李明", agent_id_number=_id_number("19800101", "131"),
          agent_relation="侄子"), RuleViolation, "与居民关系", "“侄子”不是近亲属"),
    (dict(case_type="family_account"), ValidationError, "代办人", "家庭共济请填写"),
    (dict(collected=("户口本复印件",)), ValidationError, "已收材料", "“户口本复印件”不在零星报销的材料清单中"),
    (dict(accepted_on=date(2026, 6, 16)), ValidationError, "受理日期", "晚于今天"),
    (dict(note="很" * 501), ValidationError, "备注", "最多 500 个字"),
    (dict(responsible_user_id="nobody"), NotFoundError, "负责人", "负责人"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(village, change, error, field, words) -> None:  # noqa: ANN001
    form = dict(resident_id=village.residents[0][0], case_type="manual_reimbursement")
    before = db_fingerprint(village.data / "cunyi.db")
    with pytest.raises(error) as err:
        village.sv.cases.open(CaseForm(**{**form, **change}))
    assert err.value.field == field and words in err.value.message, err.value.message
    assert db_fingerprint(village.data / "cunyi.db") == before


def test_the_agent_cannot_be_the_resident_himself(village) -> None:
    resident_id, number, _name = village.residents[0]
    with pytest.raises(ValidationError, match="代办人就是居民本人") as err:
        village.sv.cases.open(CaseForm(resident_id, "maternity", agent_name="本人", agent_id_number=number,
                                       agent_relation="本人"))
    assert err.value.field == "代办人身份证号"


def test_the_village_cannot_take_the_townships_steps_nor_skip_one(village) -> None:
    opened = village.sv.cases.open(CaseForm(village.residents[0][0], "maternity"))
    before = db_fingerprint(village.data / "cunyi.db")
    with pytest.raises(RuleViolation, match="现在是“已受理”，这一步由乡镇医保专干办理") as err:
        village.sv.cases.resubmit(opened.case_id)
    assert err.value.field == "办理状态"
    with pytest.raises(PermissionDenied, match="定点村卫生室不能办结帮办代办事项"):
        village.sv.cases.approve(opened.case_id)
    with pytest.raises(NotFoundError, match="帮办代办事项不存在"):
        village.sv.cases.resubmit("no-such-case")
    assert db_fingerprint(village.data / "cunyi.db") == before


# -- the CLI --------------------------------------------------------------------------------------------
def _cli(capsys, *args: str) -> tuple[int, str, str]:  # noqa: ANN001
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cunyi_case_open_across_the_spring_festival_and_in_a_year_the_calendar_does_not_know(
        village, capsys, today_is) -> None:  # noqa: ANN001
    village.sv.close()
    number, data = village.residents[1][1], str(village.data)
    code, out, err = _cli(capsys, "case", "open", "--data", data, "--resident", number, "--type", "manual_reimbursement",
                          "--on", "2026-02-10")
    assert code == 0, err
    opened = json.loads(out.strip().splitlines()[-1])
    assert set(opened) == {"case_id", "case_no", "due_on"} and opened["due_on"] == "2026-03-30"
    code, out, _ = _cli(capsys, "case", "open", "--data", data, "--resident", number, "--type", "enrollment",
                        "--on", "2026-02-13")
    assert json.loads(out.splitlines()[-1])["due_on"] == "2026-02-27"  # make-up Saturday 02-14 counts
    # a year no release of the calendar will know: Monday to Friday, said on stderr and kept on the case
    today_is(date(2101, 3, 7))
    code, out, err = _cli(capsys, "case", "open", "--data", data, "--resident", number, "--type", "maternity")
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["due_on"] == "2101-03-28"  # 15 weekdays
    assert "2101 年" in err and "周一至周五" in err
    assert _sql(village.data, "SELECT due_fallback FROM cases WHERE due_on = '2101-03-28'") == [(1,)]


def test_cunyi_case_open_refuses_bad_input_with_exit_1_or_2(village, capsys) -> None:  # noqa: ANN001
    village.sv.close()
    number, data = village.residents[1][1], str(village.data)
    before = db_fingerprint(village.data / "cunyi.db")
    for args, code, words in [
        (["--resident", _id_number("19700101", "555"), "--type", "maternity"], 1, "的居民不存在"),
        (["--resident", number, "--type", "lottery"], 1, "事项类型“lottery”不存在"),
        (["--resident", number, "--type", "maternity", "--on", "2026-13-01"], 1, "受理日期“2026-13-01”格式不对"),
        (["--resident", number, "--type", "family_account", "--agent-name", "李明", "--agent-id",
          _id_number("19800101", "131"), "--agent-relation", "舅舅"], 1, "“舅舅”不是近亲属"),
        (["--resident", number, "--type", "maternity", "--agent-name", "李明", "--agent-id", "123",
          "--agent-relation", "儿子"], 1, "代办人身份证号"),
        (["--type", "maternity"], 2, "用法错误"),
    ]:
        with pytest.raises(SystemExit) if code == 2 else _nothing():
            got, _out, err = _cli(capsys, "case", "open", "--data", data, *args)
            assert got == code and words in err, (args, err)
        if code == 2:
            assert words in capsys.readouterr().err
    assert db_fingerprint(village.data / "cunyi.db") == before


class _nothing:  # noqa: N801 - a context manager that lets everything through
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> bool:  # noqa: ANN002
        return False


# -- the township: the timeline, lists and counts ---------------------------------------------------------
@pytest.fixture(scope="module")
def township_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo-township") / "data"
    result = run_cunyi("demo", "--data", str(data), "--site", "township")
    assert result.returncode == 0, result.stderr
    return data


def _arrive(sv, village_id: str, resident_id: str, case_type: CaseType, accepted_on: date, due_on: date,  # noqa: ANN001
            no: str, events: tuple[CaseStatus, ...] = (CaseStatus.ACCEPTED,)) -> str:
    """A village's case as a pull brings it to the township (rows owned by the village)."""
    with sv.db.unit_of_work(applying_remote=True) as uow:
        case = Case(owner_site_id=village_id, site_id=village_id, case_no=no, case_type=case_type.value,
                    resident_id=resident_id, responsible_name="村医", accepted_on=accepted_on, due_workdays=10,
                    due_on=due_on, due_fallback=False, collected="[]", note="", agent_name="", agent_id_number="",
                    agent_relation="")
        uow.session.add(case)
        uow.session.flush()
        for step, status in enumerate(events, 1):
            uow.session.add(CaseEvent(owner_site_id=village_id, case_id=case.id, step=step, status=status.value,
                                      note="", missing="[]", user_name="村医", occurred_at=clock.now()))
        return case.id


@pytest.fixture
def township(township_build: Path, tmp_path: Path):
    data = tmp_path / "township"
    shutil.copytree(township_build, data)
    villages = _sql(data, "SELECT id, name FROM sites WHERE kind = 'village' ORDER BY name")
    residents = {v: _sql(data, "SELECT id, name FROM residents WHERE site_id = ? ORDER BY id_number LIMIT 2", v)
                 for v, _n in villages}
    sv = bootstrap(data, backup_before_migrate=False)
    sv.identity.sign_in("caseworker", PASSWORD)
    try:
        yield SimpleNamespace(sv=sv, data=data, villages=villages, residents=residents)
    finally:
        sv.close()


def test_the_township_reviews_along_the_timeline_and_never_changes_the_villages_row(township) -> None:
    sv, (village_id, _name) = township.sv, township.villages[0]
    resident_id = township.residents[village_id][0][0]
    case_id = _arrive(sv, village_id, resident_id, CaseType.MANUAL_REIMBURSEMENT, date(2026, 6, 1), date(2026, 7, 13),
                      "BD20260601-0001")
    before = db_fingerprint(township.data / "cunyi.db")
    for call, error, words in [
        (lambda: sv.cases.approve(case_id), RuleViolation, "现在是“已受理”，不能直接“已办结”，下一步只能是“已报送”"),
        (lambda: sv.cases.return_for_material(case_id, ["处方底方"]), RuleViolation, "不能直接“退回补件”"),
        (lambda: sv.cases.resubmit(case_id), PermissionDenied, "乡镇卫生院不能补齐材料后重新报送"),
        (lambda: sv.cases.submit("no-such-case"), NotFoundError, "帮办代办事项不存在"),
    ]:
        with pytest.raises(error, match=words):
            call()
    assert db_fingerprint(township.data / "cunyi.db") == before
    assert sv.cases.submit(case_id, "已报送县医保局").status is CaseStatus.SUBMITTED
    with pytest.raises(ValidationError, match="写明缺少哪些材料") as err:
        sv.cases.return_for_material(case_id, [" "])
    assert err.value.field == "缺少材料"
    with pytest.raises(ValidationError, match="写明原因"):
        sv.cases.reject(case_id, "")
    returned = sv.cases.return_for_material(case_id, ["处方底方", "门诊急诊费用清单"], "请补齐后再报")
    assert returned.status is CaseStatus.RETURNED
    assert returned.events[-1].missing == ("处方底方", "门诊急诊费用清单")
    with pytest.raises(RuleViolation, match="现在是“退回补件”，这一步由村卫生室办理"):
        sv.cases.submit(case_id)
    # the township's events are its own rows, addressed to the village; the case row stays the village's
    rows = _sql(township.data, "SELECT owner_site_id, to_site_id, status FROM case_events WHERE case_id = ? "
                               "AND owner_site_id != ? ORDER BY step", case_id, village_id)
    assert [(r[1], r[2]) for r in rows] == [(village_id, "submitted"), (village_id, "returned")]
    assert {r[0] for r in rows} == {sv.db.local_site_id}
    assert _sql(township.data, "SELECT version FROM cases WHERE id = ?", case_id) == [(1,)]
    with pytest.raises(ForeignRecordError), sv.db.unit_of_work() as uow:
        uow.session.get(Case, case_id).collected = '["处方底方"]'
    with sv.db.unit_of_work(applying_remote=True) as uow:  # the village's 已报送 arrives
        uow.session.add(CaseEvent(owner_site_id=village_id, case_id=case_id, step=4, status="submitted", note="已补齐",
                                  missing="[]", user_name="村医", occurred_at=clock.now()))
    done = sv.cases.approve(case_id, "已拨付")
    assert done.status is CaseStatus.APPROVED and done.closed_on == clock.today() and not done.overdue
    assert [e.status.label for e in done.events] == ["已受理", "已报送", "退回补件", "已报送", "已办结"]
    with pytest.raises(RuleViolation, match="已经“已办结”，办理已结束，不能再“不予办理”"):
        sv.cases.reject(case_id, "重复申请")
    sv.identity.sign_in("tadmin", PASSWORD)
    texts = [e.text for e in sv.status.audit_page(0, 20) if e.action == "case.step"]
    assert any("办理：退回补件" in t and "缺少材料：处方底方、门诊急诊费用清单" in t for t in texts)


def test_lists_filters_the_workbench_and_monthly_counts(township, today_is) -> None:
    sv = township.sv
    (east, east_name), (west, _west_name) = township.villages[:2]
    today = clock.today()  # 2026-06-15, a Monday; 06-19 端午 is a holiday
    r_east, r_west = township.residents[east][0], township.residents[west][0]
    demo_counts = Counter({(c.month, c.site_id, c.case_type): c.count
                           for c in sv.cases.monthly_counts(date(2026, 1, 1), today)})
    overdue = _arrive(sv, east, r_east[0], CaseType.MANUAL_REIMBURSEMENT, date(2026, 5, 4), date(2026, 6, 12), "BD1")
    soon = _arrive(sv, east, r_east[0], CaseType.MATERNITY, date(2026, 5, 20), date(2026, 6, 18), "BD2")
    later = _arrive(sv, west, r_west[0], CaseType.MATERNITY, date(2026, 6, 1), date(2026, 6, 22), "BD3")
    closed = _arrive(sv, west, r_west[0], CaseType.CHRONIC_DISEASE, date(2026, 4, 1), date(2026, 5, 1), "BD4",
                     (CaseStatus.ACCEPTED, CaseStatus.SUBMITTED))
    sv.cases.reject(closed, "不符合条件")
    mine = {overdue, soon, later, closed}  # the demo's own cases of these villages are left out of the lists
    ids = lambda where: [c.id for c in sv.cases.list(where) if c.id in mine]  # noqa: E731
    attention = lambda: SimpleNamespace(**{k: [c for c in getattr(sv.cases.attention(), k) if c.id in mine]  # noqa: E731
                                           for k in ("overdue", "due_soon")})
    assert set(ids(CaseFilter())) == {overdue, soon, later, closed}
    assert ids(CaseFilter(case_type="maternity")) == [later, soon]  # the most recently accepted first
    assert ids(CaseFilter(case_type="生育保险待遇", site_id=east)) == [soon]
    assert ids(CaseFilter(status="rejected")) == [closed] and ids(CaseFilter(status="不予办理")) == [closed]
    assert ids(CaseFilter(overdue=True)) == [overdue]
    assert set(ids(CaseFilter(overdue=False))) == {soon, later, closed}
    assert set(ids(CaseFilter(resident=r_west[1]))) == {later, closed}
    assert ids(CaseFilter(resident="no such name")) == []
    assert ids(CaseFilter(responsible_user_id="nobody")) == []
    with pytest.raises(ValidationError, match="办理状态“done”不存在"):
        sv.cases.list(CaseFilter(status="done"))
    seen = attention()
    # due within 3 working days of Monday 06-15: to Thursday 06-18 (06-19 is 端午)
    assert [c.id for c in seen.overdue] == [overdue] and [c.id for c in seen.due_soon] == [soon]
    assert seen.overdue[0].site_name == east_name
    counts = Counter({(c.month, c.site_id, c.case_type): c.count for c in sv.cases.monthly_counts(date(2026, 1, 1), today)})
    assert counts - demo_counts == {("2026-05", east, CaseType.MANUAL_REIMBURSEMENT): 1, ("2026-05", east, CaseType.MATERNITY): 1,
                      ("2026-06", west, CaseType.MATERNITY): 1, ("2026-04", west, CaseType.CHRONIC_DISEASE): 1}
    today_is(today + timedelta(days=7))  # 06-22: the day ``later`` is due, not past it yet
    assert {c.id for c in attention().overdue} == {overdue, soon}
    assert [c.id for c in attention().due_soon] == [later]
    today_is(today + timedelta(days=8))
    assert {c.id for c in attention().overdue} == {overdue, soon, later}


def test_cunyi_report_cases_at_the_township_lists_every_villages_cases(township, capsys) -> None:  # noqa: ANN001
    sv = township.sv
    (east, _), (west, _) = township.villages[:2]
    first = _arrive(sv, east, township.residents[east][0][0], CaseType.ENROLLMENT, date(2026, 5, 4), date(2026, 5, 11),
                    "BD20260504-0001")
    second = _arrive(sv, west, township.residents[west][0][0], CaseType.MATERNITY, date(2026, 6, 1), date(2026, 6, 22),
                     "BD20260601-0001", (CaseStatus.ACCEPTED, CaseStatus.SUBMITTED))
    sv.cases.approve(second)
    sv.close()
    code = main(["report", "cases", "--data", str(township.data), "--json"])
    rows = [r for r in json.loads(capsys.readouterr().out) if r["case_id"] in (first, second)]  # not the demo's
    assert code == 0 and [r["case_id"] for r in rows] == [first, second]
    assert list(rows[0]) == ["case_id", "case_no", "site_id", "resident_id", "type", "opened_on", "due_on", "status",
                             "closed_on"]
    assert rows[0] | {"case_id": None} == {"case_id": None, "case_no": "BD20260504-0001", "site_id": east,
                                           "resident_id": township.residents[east][0][0], "type": "enrollment",
                                           "opened_on": "2026-05-04", "due_on": "2026-05-11", "status": "accepted",
                                           "closed_on": None}
    assert (rows[1]["status"], rows[1]["closed_on"]) == ("approved", clock.today().isoformat())
    code = main(["report", "cases", "--data", str(township.data), "--json", "--month", "2026-06", "--site", west])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0 and [r["case_id"] for r in rows if r["case_id"] in (first, second)] == [second]
    assert {(r["opened_on"][:7], r["site_id"]) for r in rows} == {("2026-06", west)}
    assert main(["report", "cases", "--data", str(township.data), "--json", "--month", "2026-6x"]) == 1
    assert "月份" in capsys.readouterr().err


def test_a_pharmacist_may_not_see_cases_and_a_case_worker_may_not_open_one(township) -> None:
    sv = township.sv
    with pytest.raises(PermissionDenied, match="乡镇卫生院不能受理帮办代办事项"):
        sv.cases.open(CaseForm("x", "maternity"))
    sv.identity.sign_in("pharmacist", PASSWORD)
    with pytest.raises(PermissionDenied, match="乡镇药管员不能查看帮办代办事项"):
        sv.cases.list()
    assert isinstance(CunyiError("x"), Exception)


def test_the_village_ticks_what_the_resident_brought_and_resubmits_after_a_return(village) -> None:
    opened = village.sv.cases.open(CaseForm(village.residents[0][0], "manual_reimbursement", collected=MANUAL[:1]))
    case = village.sv.cases.set_collected(opened.case_id, [MANUAL[3], MANUAL[1], MANUAL[3]])
    assert case.collected == (MANUAL[1], MANUAL[3]) and case.missing == (MANUAL[0], MANUAL[2])  # checklist order
    before = db_fingerprint(village.data / "cunyi.db")
    with pytest.raises(ValidationError, match="“结婚证”不在零星报销的材料清单中") as err:
        village.sv.cases.set_collected(opened.case_id, ["结婚证"])
    assert err.value.field == "已收材料"
    assert db_fingerprint(village.data / "cunyi.db") == before
    township = _sql(village.data, "SELECT id FROM sites WHERE kind = 'township'")[0][0]
    with village.sv.db.unit_of_work(applying_remote=True) as uow:  # the township's steps arrive by sync
        for step, status in ((2, "submitted"), (3, "returned")):
            uow.session.add(CaseEvent(owner_site_id=township, case_id=opened.case_id, step=step, status=status,
                                      note="", missing=json.dumps([MANUAL[2]], ensure_ascii=False), user_name="专干",
                                      occurred_at=clock.now(), to_site_id=village.site_id))
    with pytest.raises(ValidationError, match="“结婚证”不在零星报销的材料清单中") as err:
        village.sv.cases.resubmit(opened.case_id, ["结婚证"])
    assert err.value.field == "已收材料"
    assert village.sv.cases.get(opened.case_id).status is CaseStatus.RETURNED
    case = village.sv.cases.resubmit(opened.case_id, MANUAL, "已补齐")
    assert case.status is CaseStatus.SUBMITTED and case.missing == () and case.events[-1].owner_site_id == village.site_id
    assert _sql(village.data, "SELECT to_site_id FROM case_events WHERE id = ?", case.events[-1].id) == [(None,)]
