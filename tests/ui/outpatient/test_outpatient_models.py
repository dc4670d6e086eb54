"""The table models of the outpatient, residents and reports pages pass ``qtmodeltester.check`` and
show what the services return (plain values in, no database)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

from PySide6.QtCore import Qt

from app.domain.idcard import check_digit
from app.domain.policy import Split
from app.services.catalog.service import DrugInfo
from app.services.core.reports import Column, Table
from app.services.residents.types import ChronicRecord, EnrollmentRecord, ResidentInfo
from app.services.settlement.types import SettledLine, SettlementInfo
from app.services.stock.queries import BatchInfo
from ui.models.outpatient import PrescriptionModel, TodayModel
from ui.models.outpatient_diagnoses import DiagnosisModel, match_diagnoses
from ui.models.residents import ChronicModel, EnrollmentModel, ResidentsModel, short_address
from ui.pages.reports.page import ReportModel

TODAY = date(2026, 11, 23)


def _drug(key: str, name: str, upp: int, pack: str, base: str, cls: str, price: int) -> DrugInfo:
    return DrugInfo(
        id=key, national_code="", generic_name=name, brand_name="", form="片剂", strength="5mg", pack_unit=pack,
        base_unit=base, units_per_pack=upp, coverage_class=cls, class_b_self_bp=None, is_vbp=False, vbp_round="",
        is_essential=True, retail_price_fen=price, price_fen=price, pinyin_abbr="x", barcode="", shelf="",
        category="", min_stock_units=0, maker="某药业",
    )


def _batch(drug: DrugInfo, batch_no: str, expiry: date, units: int) -> BatchInfo:
    return BatchInfo(f"b-{batch_no}", drug.id, drug.generic_name, drug.strength, batch_no, expiry, units, 0, 0,
                     drug.pack_unit, drug.base_unit, 100, 100, TODAY, False, expiry < TODAY, (expiry - TODAY).days)


def test_prescription_model(qtmodeltester) -> None:
    model = PrescriptionModel(today=TODAY)
    amlo = _drug("amlo", "苯磺酸氨氯地平片", 28, "盒", "片", "A", 812)
    amox = _drug("amox", "阿莫西林胶囊", 24, "盒", "粒", "B", 1250)
    assert model.add_drug(amlo) == (0, True) and model.add_drug(amlo) == (0, False)
    model.add_drug(amox)
    model.set_batches("amlo", [_batch(amlo, "OLD", TODAY - timedelta(days=1), 100),
                               _batch(amlo, "B1", date(2027, 2, 28), 20), _batch(amlo, "B2", date(2028, 1, 31), 40)])
    problems: list[str] = []
    model.problem.connect(problems.append)
    assert model.setData(model.index(1, model.QTY), "14粒") and model.lines[1].quantity_units == 14
    assert not model.setData(model.index(1, model.QTY), "1.5") and problems and "第2行“阿莫西林胶囊”数量" in problems[-1]
    assert model.setData(model.index(0, model.USAGE), "口服 每日1次 每次1片")
    qtmodeltester.check(model)
    row = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert row == ["苯磺酸氨氯地平片", "5mg", "1", "盒", "8.12", "8.12", "甲", "B1 2027-02 等2批", "口服 每日1次 每次1片"]
    assert model.headerData(1, Qt.Orientation.Vertical) == "2"
    assert model.data(model.index(1, model.QTY), Qt.ItemDataRole.EditRole) == "14粒"
    assert model.data(model.index(1, model.PRICE)) == "0.5208" and model.data(model.index(1, model.AMOUNT)) == "7.29"
    assert model.total_fen() == 812 + 729
    assert model.setData(model.index(0, model.QTY), "3")  # 84 > 60 usable (the expired batch does not count)
    assert model.lines[0].batch_text(TODAY) == "库存不足（可用 2盒4片）"
    assert model.stock_problems() and "第1行" in model.stock_problems()[0]
    assert [(d.drug_id, d.quantity_units) for d in model.draft_lines()] == [("amlo", 84), ("amox", 14)]
    model.remove(0)
    assert model.rowCount() == 1
    qtmodeltester.check(model)


def test_today_model(qtmodeltester) -> None:
    line = SettledLine(1, "d", "阿莫西林胶囊", "0.25g", 24, "1盒", "12.50元/盒", 1250, "B", "口服")
    base = SettlementInfo(
        id="s1", visit_id="v1", resident_id="r1", resident_name="张三", receipt_no="20261123-0001",
        settled_at=datetime(2026, 11, 23, 9, 30), visit_date=TODAY, policy_year=2026, pool="general",
        split=Split(total_fen=2250, fund_fen=600, general_fee_fund_fen=800, assistance_fen=0, self_paid_fen=850,
                    self_funded_fen=0, b_pre_self_fen=125, deductible_fen=0, eligible=True, waiting_until=None,
                    reason=""),
        general_fee_fen=1000, lines=(line,),
    )
    model = TodayModel()
    model.set_settlements([dataclasses.replace(base, id="s2", reversed=True, reversal_id="x"), base,
                           dataclasses.replace(base, id="s3", resident_name="李四",
                                               split=dataclasses.replace(base.split, eligible=False, fund_fen=0))])
    qtmodeltester.check(model)
    assert [model.data(model.index(r, 1)) for r in range(3)] == ["张三·冲正", "张三", "李四·自付"]
    assert model.data(model.index(1, 3)) == "8.50"
    assert model.totals() == (2, 4500, 1700) and model.row_of("s3") == 2


def _resident(name: str, years: tuple[int, ...]) -> ResidentInfo:
    first17 = "410102" + "19590312" + "123"
    return ResidentInfo(
        "r-" + name, "site", first17 + check_digit(first17), name, "zs", "M", date(1959, 3, 12), "13800138000",
        "示例县示例镇示例村3组12号", "h", "本人", "tekun", "",
        tuple(EnrollmentRecord(y, date(y - 1, 11, 1)) for y in years),
        (ChronicRecord("I10", "高血压", date(2025, 1, 1), date(2027, 12, 31)),), True,
    )


def test_residents_models(qtmodeltester) -> None:
    model = ResidentsModel(today=TODAY)
    model.set_residents([_resident("张三", (2025, 2026)), _resident("李四", (2024,))])
    qtmodeltester.check(model)
    assert [model.data(model.index(0, c)) for c in range(model.columnCount())] == [
        "张三", "男", "67", "410***********1231"[:0] + model.resident(0).masked_id, "示例村3组12号", "已参保",
        "13800138000", "特困人员 · 高血压"]
    assert model.data(model.index(1, 5)) == "未参保" and model.headerData(5, Qt.Orientation.Horizontal) == "2026年"
    assert short_address("示例县示例镇西河村6组14号") == "西河村6组14号" and short_address("东坡村1组") == "东坡村1组"

    enrollments = EnrollmentModel()
    enrollments.set_records((EnrollmentRecord(2025, date(2024, 11, 1)),))
    enrollments.add_row([2026, date(2025, 11, 1), True, 0, False])
    problems: list[str] = []
    enrollments.problem.connect(problems.append)
    assert not enrollments.setData(enrollments.index(1, 0), "2025") and "已经登记" in problems[-1]
    assert not enrollments.setData(enrollments.index(1, 1), "2025-13-01") and "参保日期" in problems[-1]
    assert enrollments.setData(enrollments.index(1, 1), "20251115")
    for bad in ("2²26", "٢٠٢٦", "2" * 5000):  # digits of other scripts and huge numbers: a message, never a traceback
        assert not enrollments.setData(enrollments.index(1, 0), bad) and "参保年度" in problems[-1]
    for bad in ("²", "٣", "9" * 5000):
        assert not enrollments.setData(enrollments.index(1, 3), bad) and "补缴年数" in problems[-1]
    assert not enrollments.setData(enrollments.index(1, 1), "٢٠٢٥-11-15") and "参保日期" in problems[-1]
    assert enrollments.setData(enrollments.index(1, 3), "１")
    assert enrollments.setData(enrollments.index(1, 3), "0")
    assert enrollments.setData(enrollments.index(1, 2), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    qtmodeltester.check(enrollments)
    assert enrollments.records()[1] == EnrollmentRecord(2026, date(2025, 11, 15), False, 0, False)

    chronic = ChronicModel(names={"E11": "糖尿病"})
    chronic.add_row(["", "", date(2026, 1, 1), date(2026, 12, 31)])
    assert chronic.setData(chronic.index(0, 0), "e11") and chronic.records()[0].name == "糖尿病"
    qtmodeltester.check(chronic)


def test_diagnosis_and_report_models(qtmodeltester) -> None:
    diagnoses = DiagnosisModel()
    qtmodeltester.check(diagnoses)
    assert diagnoses.find_code("i10").name == "原发性高血压"
    assert [d.code for d in match_diagnoses("gxy")][:1] == ["I10"]
    assert match_diagnoses("J06")[0].name == "急性上呼吸道感染" and match_diagnoses("  ") == []

    table = Table("收费日报", (Column("date", "日期", "date"), Column("visits", "人次", "int"),
                               Column("total_fen", "合计", "fen")),
                  [{"date": "2026-11-01", "visits": 3, "total_fen": 7062}], totals={"visits": 3, "total_fen": 7062})
    model = ReportModel()
    model.set_table(table)
    qtmodeltester.check(model)
    assert model.rowCount() == 2 and model.data(model.index(1, 0)) == "合计"
    assert model.data(model.index(0, 2)) == "70.62" and model.headerData(2, Qt.Orientation.Horizontal) == "合计"  # 元: page subtitle
    model.set_table(None)
    assert model.rowCount() == 0 and model.columnCount() == 0
