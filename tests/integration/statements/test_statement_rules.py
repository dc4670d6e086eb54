"""统一结算单 through the services, the hub and the CLI (DESIGN §4, §9): the village's month-end marks, the fund
receivable against the ``settlements`` report and the raw rows, finalising only once the village's mark has
arrived, the subsidy, acknowledgment, and every refusal with a Chinese message naming the field and nothing
written."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from site_harness import run
from stock_helpers import db_fingerprint

from app.domain.errors import CunyiError, NotFoundError, PermissionDenied, RuleViolation, ValidationError
from app.domain.statements import month_span
from app.services.statements.types import REPORT_KEYS, DataNotArrived, OutOfOrder

JAN, FEB, MAR = "2026-01", "2026-02", "2026-03"


def _db(site) -> Path:  # noqa: ANN001
    return site.data / "cunyi.db"


def _fund_from_raw_rows(site, village_id: str, month: str) -> int:  # noqa: ANN001
    """fund + general-fee fund of the month's settlements, minus those of the settlements reversed that month
    (a reversal counts on the day it was made), straight from the tables."""
    lo, hi = (t.isoformat(" ") for t in month_span(month))
    settled = site.sql("SELECT coalesce(sum(fund_fen + general_fee_fund_fen), 0) FROM settlements "
                       "WHERE site_id = ? AND settled_at >= ? AND settled_at < ?", village_id, lo, hi)[0][0]
    reversed_ = site.sql("SELECT coalesce(sum(s.fund_fen + s.general_fee_fund_fen), 0) FROM reversals r "
                         "JOIN settlements s ON s.id = r.settlement_id WHERE s.site_id = ? AND r.reversed_at >= ? "
                         "AND r.reversed_at < ?", village_id, lo, hi)[0][0]
    return settled - reversed_


def _report(site, name: str, village_id: str, month: str, *extra: str):  # noqa: ANN001, ANN202
    code, out, err = run("report", name, "--data", str(site.data), "--site", village_id, "--month", month, *extra)
    assert code == 0, err
    return json.loads(out)


def _january(world) -> dict[str, str]:  # noqa: ANN001
    """Two settlements in January, one of them reversed on 2 February, one more in February; the village
    syncs on 4 February (its January mark goes with it) and the township on 5 February."""
    first = world.settle(date(2026, 1, 20), {"amox": 24, "amlo": 28})
    second = world.settle(date(2026, 1, 28), {"amox": 12}, resident=1)
    world.reverse(date(2026, 2, 2), first)
    world.settle(date(2026, 2, 3), {"amlo": 14}, resident=1)
    return {"first": first, "second": second}


def test_the_fund_receivable_is_the_settlements_report_summed_and_the_raw_rows(world) -> None:  # noqa: ANN001
    _january(world)
    world.sync(world.village, date(2026, 3, 2))
    world.sync(world.town, date(2026, 3, 3))
    v = world.village.site_id
    with world.on(world.town, date(2026, 3, 3)) as sv:
        figures = {m: sv.statements.compute(v, m) for m in (JAN, FEB)}
    for month, f in figures.items():
        rows = _report(world.town, "settlements", v, month)
        from_report = sum(r["fund_fen"] + r["general_fee_fund_fen"] for r in rows)
        assert f.fund_receivable_fen == from_report == _fund_from_raw_rows(world.town, v, month), month
        # the village computes the same from its own rows
        assert f.fund_receivable_fen == _fund_from_raw_rows(world.village, v, month)
    assert figures[JAN].fund_receivable_fen > 0
    assert figures[FEB].fund_receivable_fen < 0  # the reversal of a January settlement counts in February
    # nothing supplied: nothing due, nothing deducted even from a positive fund
    assert (figures[JAN].due_fen, figures[JAN].from_fund_fen, figures[JAN].carried_out_fen) == (0, 0, 0)
    # both marks (January and February) arrived with the village's sync of 2 March
    assert figures[JAN].covers_local_seq is not None and figures[FEB].covers_local_seq is not None
    assert figures[JAN].status == "draft"


def test_the_village_marks_each_ended_month_once_with_its_last_outbox_sequence(world) -> None:  # noqa: ANN001
    village = world.village
    assert village.sql("SELECT month FROM month_closes") == [("2025-12",)]  # joined on 2026-01-05
    world.settle(date(2026, 1, 20), {"amox": 24})
    with world.on(village, date(2026, 4, 2)) as sv:
        before = village.sql("SELECT max(seq) FROM sqlite_sequence WHERE name = 'outbox'")[0][0]
        assert sv.statements.close_months() == [JAN, FEB, MAR]
        assert sv.statements.close_months() == []  # once
    marks = village.sql("SELECT month, last_local_seq FROM month_closes ORDER BY month")
    assert marks[1:] == [(JAN, before), (FEB, before), (MAR, before)]
    # the marks' own outbox rows come after the sequence they name: whoever holds a mark holds everything
    # up to its sequence
    seqs = village.sql("SELECT o.local_seq FROM outbox o JOIN month_closes m ON m.id = o.record_id "
                       "WHERE m.month IN (?, ?, ?)", JAN, FEB, MAR)
    assert len(seqs) == 3 and min(s for (s,) in seqs) > before
    texts = village.audit_texts("statement.close_month")
    assert texts[0] == f"月份：2026-01、2026-02、2026-03；数据截至序号：{before}"  # newest first


def test_a_failing_mark_does_not_stop_the_sync(world, monkeypatch) -> None:  # noqa: ANN001
    from app.services.statements.service import StatementService

    def broken(self, **_kw):  # noqa: ANN001, ANN202
        raise RuntimeError("disk full")

    monkeypatch.setattr(StatementService, "close_months", broken)
    world.settle(date(2026, 1, 20), {"amox": 24})
    with world.on(world.village, date(2026, 2, 4)) as sv:
        result = sv.sync.sync_now()
    assert result.pushed > 0 and world.village.pending() == 0
    assert world.village.sql("SELECT month FROM month_closes") == [("2025-12",)]
    monkeypatch.undo()
    world.sync(world.village, date(2026, 2, 5))  # the next sync writes the mark
    assert world.village.sql("SELECT month FROM month_closes ORDER BY month")[-1] == (JAN,)


def test_finalising_before_the_villages_mark_has_arrived_is_refused_and_nothing_is_written(world) -> None:  # noqa: ANN001
    _january(world)
    v = world.village.site_id
    world.sync(world.village, date(2026, 1, 30))  # January's data, but January has not ended: no mark yet
    world.sync(world.town, date(2026, 2, 1))
    with world.on(world.town, date(2026, 2, 1)) as sv:
        draft = sv.statements.draft(v, JAN)
        assert draft.covers_local_seq is None and draft.status == "draft" and draft.statement_no == "JS202601-001"
        before = db_fingerprint(_db(world.town))
        with pytest.raises(DataNotArrived) as err:
            sv.statements.finalise(draft.id)
        assert db_fingerprint(_db(world.town)) == before
    name = world.village.sql("SELECT name FROM sites WHERE id = ?", v)[0][0]
    assert err.value.field == "同步"
    assert f"{name}2026年1月的月结数据还没有同步到本站" in err.value.message and f"请等{name}同步后再定稿" in err.value.message
    world.sync(world.village, date(2026, 2, 4))
    world.sync(world.town, date(2026, 2, 5))
    mark = world.village.sql("SELECT last_local_seq FROM month_closes WHERE month = ?", JAN)[0][0]
    with world.on(world.town, date(2026, 2, 5)) as sv:
        final = sv.statements.finalise(draft.id)
    assert (final.status, final.covers_local_seq, final.statement_no) == ("final", mark, "JS202601-001")
    assert final.fund_receivable_fen == _fund_from_raw_rows(world.town, v, JAN)
    assert final.finalised_at is not None and final.finalised_at.date() == date(2026, 2, 5)


def test_subsidy_draft_final_acknowledgment_and_their_refusals(world, tmp_path: Path) -> None:  # noqa: ANN001
    _january(world)
    v = world.village.site_id
    world.sync(world.village, date(2026, 2, 4))
    world.sync(world.town, date(2026, 2, 5))
    with world.on(world.town, date(2026, 2, 5)) as sv:
        st = sv.statements
        assert [(s.site_id, s.amount_fen, s.locked) for s in st.subsidies(JAN)] == [(v, None, False)]
        draft = st.draft(v, JAN)
        subsidy_id = st.set_subsidy(v, JAN, 1_234_56, "第一季度基药补助")
        assert st.set_subsidy(v, JAN, 2_000_00, "第一季度基药补助（更正）") == subsidy_id  # one row per month
        assert st.get(draft.id).subsidy_fen == 2_000_00  # the draft follows the subsidy
        again = st.draft(v, JAN)
        assert again.id == draft.id and again.statement_no == draft.statement_no  # recomputed, same statement
        final = st.finalise(draft.id)
        assert final.subsidy_fen == 2_000_00 and final.status == "final"
        before = db_fingerprint(_db(world.town))
        for call, error, field, words in [
            (lambda: st.set_subsidy(v, JAN, 1), RuleViolation, "基药补助", "2026年1月的统一结算单已定稿，基药补助不能再修改"),
            (lambda: st.draft(v, JAN), RuleViolation, "结算单", "已定稿（JS202601-001），不能重新生成"),
            (lambda: st.finalise(draft.id), RuleViolation, "结算单", "已经定稿，不能再次定稿"),
            (lambda: st.draft(v, "2026-02"), RuleViolation, "月份", "2026年2月还没有结束"),
            (lambda: st.set_subsidy(v, FEB, -5), ValidationError, "基药补助", "不能为负数"),
            (lambda: st.set_subsidy(v, FEB, "100"), ValidationError, "基药补助", "应为整数"),
            (lambda: st.set_subsidy(v, FEB, 10**10), ValidationError, "基药补助", "太大"),
            (lambda: st.set_subsidy(v, FEB, 100, "很" * 201), ValidationError, "备注", "最多 200 个字"),
            (lambda: st.set_subsidy(v, "2026-13", 100), ValidationError, "月份", "“2026-13”格式不对"),
            (lambda: st.compute(v, "一月"), ValidationError, "月份", "格式不对"),
            (lambda: st.draft(v, "2026/01"), ValidationError, "月份", "格式不对"),
            (lambda: st.compute("no-such-village", JAN), NotFoundError, "村卫生室", "不存在"),
            (lambda: st.draft(world.town.site_id, JAN), NotFoundError, "村卫生室", "不存在"),
            (lambda: st.set_subsidy("no-such-village", JAN, 100), NotFoundError, "村卫生室", "不存在"),
            (lambda: st.finalise("no-such-statement"), NotFoundError, "结算单", "统一结算单不存在"),
            (lambda: st.acknowledge(draft.id), PermissionDenied, "用户", "乡镇卫生院不能确认统一结算单"),
        ]:
            with pytest.raises(error) as err:
                call()
            assert err.value.field == field and words in err.value.message, err.value.message
        assert [(s.amount_fen, s.locked) for s in st.subsidies(JAN)] == [(2_000_00, True)]
        assert db_fingerprint(_db(world.town)) == before
    with world.on(world.town, date(2026, 3, 2)) as sv:
        sv.statements.draft(v, FEB)  # February still a draft at the township
    world.sync(world.town, date(2026, 3, 2))
    world.sync(world.village, date(2026, 3, 3))
    with world.on(world.village, date(2026, 3, 3)) as sv:
        st = sv.statements
        mine = {s.month: s for s in st.statements()}
        assert mine[JAN].status == "final" and mine[FEB].status == "draft"
        before = db_fingerprint(_db(world.village))
        with pytest.raises(RuleViolation, match="2026年2月的统一结算单还是草稿，乡镇卫生院定稿后才能确认"):
            st.acknowledge(mine[FEB].id)
        with pytest.raises(PermissionDenied, match="村卫生室不能统一结算单定稿"):
            st.finalise(mine[FEB].id)
        with pytest.raises(PermissionDenied, match="村卫生室不能录入基药补助"):
            st.set_subsidy(v, FEB, 100)
        assert db_fingerprint(_db(world.village)) == before
        ack = st.acknowledge(mine[JAN].id, "已核对")
        before = db_fingerprint(_db(world.village))
        with pytest.raises(RuleViolation) as err:
            st.acknowledge(mine[JAN].id, "再确认一次")
        assert err.value.field == "结算单" and "已于 2026-03-03" in err.value.message and "不能重复确认" in err.value.message
        assert db_fingerprint(_db(world.village)) == before
        got = st.get(mine[JAN].id)
        assert (got.status, got.acknowledgment_note, got.acknowledged_by) == ("acknowledged", "已核对", "管理员")
        assert world.village.sql("SELECT id FROM statement_acknowledgments") == [(ack,)]
        assert st.compute(v, JAN).status == "acknowledged"
    world.sync(world.village, date(2026, 3, 4))
    world.sync(world.town, date(2026, 3, 4))
    with world.on(world.town, date(2026, 3, 4)) as sv:
        assert sv.statements.get(final.id).status == "acknowledged"
        assert sv.statements.get(final.id).acknowledged_at.date() == date(2026, 3, 3)
    assert _report(world.town, "statement", v, JAN)["status"] == "acknowledged"
    # the audit log reads in Chinese, with the village's name and yuan
    town_texts = {a: world.town.audit_texts(a) for a in ("statement.draft", "statement.set_subsidy", "statement.finalise")}
    name = world.village.sql("SELECT name FROM sites WHERE id = ?", v)[0][0]
    assert f"村卫生室：{name}；月份：2026-01；金额：¥2000.00；原金额：¥1234.56；说明：第一季度基药补助（更正）" in town_texts[
        "statement.set_subsidy"]
    assert all(t.startswith(f"村卫生室：{name}；月份：2026-0") and "结算单号：JS20260" in t
               for t in town_texts["statement.draft"] + town_texts["statement.finalise"])
    assert world.village.audit_texts("statement.acknowledge") == ["月份：2026-01；结算单号：JS202601-001；说明：已核对"]


def test_months_are_finalised_in_order(world) -> None:  # noqa: ANN001
    _january(world)
    v = world.village.site_id
    world.sync(world.village, date(2026, 4, 2))
    world.sync(world.town, date(2026, 4, 3))
    with world.on(world.town, date(2026, 4, 3)) as sv:
        st = sv.statements
        jan, mar = st.draft(v, JAN), st.draft(v, MAR)
        before = db_fingerprint(_db(world.town))
        with pytest.raises(OutOfOrder, match="2026年1月的统一结算单还没有定稿：请按月份顺序定稿"):
            st.finalise(mar.id)
        assert db_fingerprint(_db(world.town)) == before
        st.finalise(jan.id)
        with pytest.raises(OutOfOrder, match="2026年2月还没有统一结算单：请先生成并定稿2026年2月的结算单"):
            st.finalise(mar.id)
        st.finalise(st.draft(v, FEB).id)
        assert st.finalise(mar.id).status == "final"
        before = db_fingerprint(_db(world.town))
        with pytest.raises(RuleViolation) as err:  # a month before the first statement, once later ones are final
            st.draft(v, "2025-12")
        assert err.value.field == "月份" and "2026年1月的统一结算单已定稿，不能再补开更早月份（2025年12月）" in err.value.message
        assert db_fingerprint(_db(world.town)) == before
        assert [s.month for s in st.statements()] == [MAR, FEB, JAN]
        assert [s.month for s in st.statements(month=FEB, site_id=v)] == [FEB]


def test_report_statement_prints_one_object_with_the_design_keys_and_exports_to_excel(world, tmp_path: Path) -> None:  # noqa: ANN001
    _january(world)
    v = world.village.site_id
    world.sync(world.village, date(2026, 2, 4))
    world.sync(world.town, date(2026, 2, 5))
    with world.on(world.town, date(2026, 2, 5)) as sv:
        sv.statements.set_subsidy(v, JAN, 50_00)
        figures = sv.statements.compute(v, JAN)
    got = _report(world.town, "statement", v, JAN)
    assert isinstance(got, dict) and tuple(got) == REPORT_KEYS
    assert got == figures.report_row() and got["status"] == "draft" and got["subsidy_fen"] == 50_00
    assert got["due_fen"] == got["supplied_fen"] - got["returned_fen"] + got["carried_in_fen"]
    assert got["due_fen"] == got["from_fund_fen"] + got["from_subsidy_fen"] + got["carried_out_fen"]
    assert _report(world.town, "statement", v, "2026-1") == got  # the month without its leading zero
    xlsx = tmp_path / "statement.xlsx"
    code, out, err = run("report", "statement", "--data", str(world.town.data), "--site", v, "--month", JAN,
                         "--xlsx", str(xlsx))
    assert code == 0, err
    sheet = load_workbook(xlsx).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "统一结算单" and "先从统筹基金扣，再从基药补助扣" in values[1][0]
    header, row = values[2], values[3]
    assert header[:3] == ["月份", "本月供药金额", "本月退回金额"] and row[0] == JAN
    assert row[header.index("基药补助")] == 50.0 and row[header.index("应收统筹基金")] == got["fund_receivable_fen"] / 100
    # bad input through the CLI: exit 1 and a Chinese message naming the field
    for args, words in [(("--site", v, "--month", "2026-13"), "月份“2026-13”格式不对"),
                        (("--site", "no-such-village", "--month", JAN), "机构 no-such-village 不存在"),
                        (("--month", JAN), "统一结算单按村卫生室出具")]:
        code, out, err = run("report", "statement", "--data", str(world.town.data), *args)
        assert code == 1 and words in err and out == "", (args, err)


def test_every_refused_call_names_its_field(world) -> None:  # noqa: ANN001
    """The service's typed errors all carry a field (the UI puts the message beside it)."""
    with world.on(world.town, date(2026, 2, 5)) as sv:
        for call, field in ((lambda: sv.statements.subsidies("13-2026"), "月份"),
                            (lambda: sv.statements.statements(month="x"), "月份"),
                            (lambda: sv.statements.savings("2026-00"), "月份"),
                            (lambda: sv.statements.get(""), "结算单")):
            with pytest.raises(CunyiError) as err:
                call()
            assert err.value.field == field, err.value.message
