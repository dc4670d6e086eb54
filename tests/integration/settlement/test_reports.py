"""门诊日志, 收费日报 and 月度统筹汇总 through ``cunyi report``; the ``cunyi check`` rules of the area."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from settle_helpers import AT
from sqlalchemy import text

from app.cli import main
from app.db.models import Base
from app.services.core.check import run_checks


@pytest.fixture
def month(clinic):
    """Three settlements on 2026-11-22/23 and one reversal on 11-23 of the 11-22 one."""
    a = clinic.resident("张三", "19590312", "123", address="示例村3组")
    b = clinic.resident("李四", "19700101", "111", address="示例村1组")
    y = AT - timedelta(days=1)
    s1 = clinic.sv.settlement.settle(clinic.draft(a.id, {"amlo": 28}, visit_date=y.date()), at=y)
    s2 = clinic.sv.settlement.settle(clinic.draft(a.id, {"amox": 12, "vitc": 100}), at=AT)
    s3 = clinic.sv.settlement.settle(clinic.draft(b.id, {"amlo": 14}, general_fee=False), at=AT + timedelta(hours=1))
    clinic.as_admin()
    clinic.sv.settlement.reverse(s1.id, "退药", at=AT + timedelta(hours=2))
    clinic.as_doctor()
    return s1, s2, s3


def _report(clinic, capsys, *args: str):
    capsys.readouterr()
    assert main(["report", *args, "--data", str(clinic.sv.data.root)]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_daily_log(clinic, month, capsys):
    s1, s2, s3 = month
    rows = _report(clinic, capsys, "daily-log", "--day", "2026-11-23", "--json")
    assert [(r["name"], r["amount_fen"], r["fund_fen"]) for r in rows] == [
        ("张三", s2.split.total_fen, s2.split.fund_fen + s2.split.general_fee_fund_fen),
        ("李四", s3.split.total_fen, s3.split.fund_fen)]
    first = rows[0]
    assert first["sex"] == "男" and first["age"] == 67 and first["address"] == "示例村3组"
    assert first["diagnosis"] == "高血压 I10" and first["drugs"] == "阿莫西林胶囊 12粒；维生素C片 1瓶"
    rows = _report(clinic, capsys, "daily-log", "--month", "2026-11", "--json")
    assert [r["status"] for r in rows] == ["已冲正", "", ""]


def test_settlements_daily_nets_reversals_on_their_day(clinic, month, capsys):
    s1, s2, s3 = month
    rows = {r["date"]: r for r in _report(clinic, capsys, "settlements", "--month", "2026-11", "--json")}
    assert rows["2026-11-22"]["visits"] == 1 and rows["2026-11-22"]["total_fen"] == s1.split.total_fen
    day = rows["2026-11-23"]
    assert (day["visits"], day["reversals"], day["net_visits"]) == (2, 1, 1)
    assert day["total_fen"] == s2.split.total_fen + s3.split.total_fen - s1.split.total_fen
    assert day["fund_fen"] == s2.split.fund_fen + s3.split.fund_fen - s1.split.fund_fen
    assert day["cash_fen"] == day["self_paid_fen"] + day["self_funded_fen"]


def test_monthly_summary_and_files(clinic, month, capsys, tmp_path):
    _, s2, s3 = month
    rows = _report(clinic, capsys, "monthly-summary", "--month", "2026-11", "--json")
    assert [r["month"] for r in rows][-2:] == ["2026-10", "2026-11"]
    nov = rows[-1]
    assert nov["visits"] == 2 and nov["total_fen"] == s2.split.total_fen + s3.split.total_fen
    assert nov["average_fen"] == (s2.split.total_fen + s3.split.total_fen + 1) // 2
    xlsx = tmp_path / "summary.xlsx"
    assert _report(clinic, capsys, "monthly-summary", "--month", "2026-11", "--xlsx", str(xlsx))["rows"] == 11
    assert load_workbook(xlsx).active["A1"].value == "月度统筹汇总"
    pdf = tmp_path / "log.pdf"
    assert _report(clinic, capsys, "daily-log", "--month", "2026-11", "--pdf", str(pdf))["rows"] == 3
    assert pdf.read_bytes().startswith(b"%PDF")


def _copy(session, table: str, row_id: str, **overrides: str) -> None:
    """Insert a copy of one row with some columns replaced by SQL expressions (bypassing the services)."""
    columns = [c.name for c in Base.metadata.tables[table].columns]
    exprs = [overrides.get(c, c) for c in columns]
    session.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {table} "
                         "WHERE id = :id"), {"id": row_id})


def test_check_passes_then_finds_an_unbalanced_settlement(clinic, month):
    with clinic.sv.db.read() as s:
        checked, violation = run_checks(s)
    assert violation is None and {"结算平衡", "冲正结算的发药已冲回", "结算发药与处方一致"} <= set(checked)
    _, s2, _ = month
    with clinic.sv.db.unit_of_work() as uow:  # a settlement whose parts do not add up
        _copy(uow.session, "visits", s2.visit_id, id="'v-bad'")
        _copy(uow.session, "settlements", s2.id, id="'s-bad'", visit_id="'v-bad'", receipt_no="'20261123-9999'",
              total_fen="total_fen + 1")
    with clinic.sv.db.read() as s:
        violation = run_checks(s)[1]
    assert violation.startswith("结算平衡") and "20261123-9999" in violation


def test_check_finds_a_reversal_that_left_stock_out(clinic, month):
    _, s2, _ = month
    with clinic.sv.db.unit_of_work() as uow:
        uow.session.execute(text(
            "INSERT INTO reversals (id, owner_site_id, created_at, updated_at, version, settlement_id, receipt_no, "
            "reversed_at, reason, user_id) SELECT 'r-bad', owner_site_id, created_at, updated_at, 1, id, "
            "'CZ20261123-9999', settled_at, '手工', NULL FROM settlements WHERE id = :s"), {"s": s2.id})
    with clinic.sv.db.read() as s:
        violation = run_checks(s)[1]
    assert violation.startswith("冲正结算的发药已冲回") and s2.receipt_no in violation


def test_report_period_digits() -> None:
    from app.domain.errors import ValidationError
    from app.services.core.reports import parse_period

    period = parse_period("s", "２０２６-０３", "２０２６-０３-０５")
    assert (period.month, str(period.day)) == ("2026-03", "2026-03-05")
    for month in ("2026-0٣", "2026-0³", "²⁰²⁶-03"):
        with pytest.raises(ValidationError) as err:
            parse_period("s", month, None)
        assert err.value.field == "月份"


def _broken_copy(clinic, tmp_path, *copies: tuple[str, str, dict[str, str]]):
    """A copy of the clinic's data folder with rows copied behind the services' back (see ``_copy``)."""
    import shutil
    import sqlite3

    folder = tmp_path / "copy"
    shutil.copytree(clinic.sv.data.root, folder)
    con = sqlite3.connect(folder / clinic.sv.data.database.name)
    with con:
        for table, row_id, overrides in copies:
            columns = [c.name for c in Base.metadata.tables[table].columns]
            exprs = [overrides.get(c, c) for c in columns]
            con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {table} "
                        "WHERE id = ?", (row_id,))
    con.close()
    return folder


def _check_fails(folder, capsys, rule: str, *words: str) -> str:
    capsys.readouterr()
    assert main(["check", "--data", str(folder)]) == 1
    err = capsys.readouterr().err
    assert rule in err and all(w in err for w in words) and "Traceback" not in err, err
    return err


def test_check_finds_a_total_that_is_not_the_five_parts(clinic, month, capsys, tmp_path):
    """The total still equals lines + general fee; only the split is one fen off."""
    _, s2, _ = month
    assert main(["check", "--data", str(clinic.sv.data.root)]) == 0
    folder = _broken_copy(
        clinic, tmp_path, ("visits", s2.visit_id, {"id": "'v-bad'"}),
        ("settlements", s2.id, {"id": "'s-bad'", "visit_id": "'v-bad'", "receipt_no": "'20261123-9999'",
                                "total_fen": "general_fee_fen", "fund_fen": "general_fee_fen + 1",
                                "general_fee_fund_fen": "0", "assistance_fen": "0", "self_paid_fen": "0",
                                "self_funded_fen": "0"}))
    _check_fails(folder, capsys, "结算平衡", "20261123-9999", "统筹+救助+个人自付+自费")
    assert main(["check", "--data", str(clinic.sv.data.root)]) == 0  # the original is untouched


def test_check_finds_a_dispense_that_is_not_the_prescription(clinic, month, capsys, tmp_path):
    """One more unit prescribed than dispensed (at 0 fen, so the money still balances)."""
    _, s2, _ = month
    with clinic.sv.db.read() as s:
        line_id = s.execute(text("SELECT id FROM prescription_lines WHERE visit_id = :v LIMIT 1"),
                            {"v": s2.visit_id}).scalar()
    folder = _broken_copy(clinic, tmp_path, ("prescription_lines", line_id,
                                             {"id": "'l-bad'", "line_no": "99", "quantity_units": "1", "amount_fen": "0"}))
    _check_fails(folder, capsys, "结算发药与处方一致", s2.receipt_no)
