"""统一结算 table models under ``qtmodeltester`` (township rows with and without a statement, village rows,
节约医保基金 rows with and without a reference price), the deduction shown with its own numbers, and the
基药补助 amount parser's refusals naming the field."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.domain.errors import RuleViolation, ValidationError
from app.services.statements.types import DataNotArrived, OutOfOrder, SavingsRow, StatementInfo
from ui.pages.statements.detail import formula_lines
from ui.pages.statements.dialogs import AMOUNT_FIELD, parse_subsidy
from ui.pages.statements.models import SavingsModel, StatementsModel, VillageMonth
from ui.pages.statements.page import finalise_advice, recent_months


def _statement(status: str = "draft", carried_out: int = 7623, seq: int | None = None) -> StatementInfo:
    return StatementInfo("s1", "v1", "东风村卫生室", "2026-05", "JS202605-001", 14060, 0, 14060, 0, 1437, 5000, 1437,
                         5000, carried_out, 30190, status, seq, datetime(2026, 6, 2, 9, 0),
                         datetime(2026, 6, 3, 9, 0) if status != "draft" else None, None)


def test_the_township_model_lists_villages_with_and_without_a_statement(qtmodeltester) -> None:
    model = StatementsModel(township=True)
    model.set_rows([VillageMonth("v1", "东风村卫生室", "2026-05", _statement(seq=25)),
                    VillageMonth("v2", "红旗村卫生室", "2026-05", None)])
    qtmodeltester.check(model)
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert cells == ["东风村卫生室", "140.60", "0.00", "0.00", "140.60", "14.37", "50.00", "14.37", "50.00", "76.23",
                     "301.90", "草稿", "25"]
    assert model.index(1, model.column_of("状态")).data() == "未生成"
    assert model.index(1, model.column_of("本月供药")).data() == "—"
    assert model.statement_at(1) is None


def test_the_village_model_lists_its_months(qtmodeltester) -> None:
    model = StatementsModel(township=False)
    model.set_rows([_statement("final"), _statement("acknowledged")])
    qtmodeltester.check(model)
    assert model.COLUMNS[:2] == ("月份", "结算单号") and "覆盖至序号" not in model.COLUMNS
    assert model.index(0, 0).data() == "2026年5月"
    assert [model.index(r, model.column_of("状态")).data() for r in (0, 1)] == ["已定稿", "村已确认"]


def test_the_savings_model(qtmodeltester) -> None:
    model = SavingsModel()
    model.set_rows([SavingsRow(None, "d1", "阿莫西林胶囊", "0.25g×24粒", "X01", "盒", "粒", 24, 250, 3000, 1000, 10417, 20833),
                    SavingsRow(None, "d2", "维生素C片", "100mg×100片", "X02", "瓶", "片", 100, 300, None, 350, 1050, 0)])
    qtmodeltester.check(model)
    assert [model.index(0, c).data() for c in range(model.columnCount())] == [
        "阿莫西林胶囊", "0.25g×24粒", "10盒10粒", "30.00", "10.00", "104.17", "208.33", "（30.00 − 10.00）× 10盒10粒"]
    assert model.index(1, 3).data() == "无参考价" and model.index(1, 7).data() == "无集采前参考价，不计"
    assert model.total_fen() == 20833


def test_the_deduction_is_shown_with_the_statement_s_numbers() -> None:
    lines = formula_lines(_statement())
    assert lines[0] == ("应扣合计", "本月供药 140.60 − 退回 0.00 + 上月结转 0.00", "140.60")
    assert lines[1][2] == "14.37" and "统筹应付 14.37" in lines[1][1]
    assert lines[2][2] == "50.00" and "尚欠 126.23" in lines[2][1]
    assert lines[3] == ("③ 结转下月", "应扣合计 140.60 − 统筹扣款 14.37 − 补助扣款 50.00", "76.23")


@pytest.mark.parametrize(("typed", "said"), [("-5", "不能为负数"), ("abc", "不是有效金额"), ("", "不能为空"),
                                             ("1.234", "最多两位小数"), ("五十", AMOUNT_FIELD)])
def test_a_bad_subsidy_amount_is_refused_naming_the_field(typed: str, said: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_subsidy(typed)
    assert refused.value.field == AMOUNT_FIELD and AMOUNT_FIELD in str(refused.value) and said in str(refused.value)


def test_a_subsidy_amount_in_yuan_is_fen() -> None:
    assert parse_subsidy("1500") == 150000 and parse_subsidy(" 12.5 ") == 1250 and parse_subsidy("0") == 0


def test_the_month_picker_starts_this_month_and_goes_back() -> None:
    from datetime import date

    months = recent_months(date(2026, 1, 10), back=3)
    assert months == ["2026-01", "2025-12", "2025-11", "2025-10"]


def test_a_refused_finalise_says_what_to_do() -> None:
    not_synced = DataNotArrived("东村2026年5月的月结数据还没有同步到本站，暂不能定稿：请等东村同步后再定稿", "同步")
    assert "立即同步" in finalise_advice(not_synced) and "Ctrl+R" in finalise_advice(not_synced)
    out_of_order = OutOfOrder("东村2026年4月的统一结算单还没有定稿：请按月份顺序定稿（上月结转金额要从上月的定稿结算单来）", "结算单")
    assert "前一个月" in finalise_advice(out_of_order)
    assert finalise_advice(RuleViolation("统一结算单已定稿，不能修改", "结算单")) == ""
