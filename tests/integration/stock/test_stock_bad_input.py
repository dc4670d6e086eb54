"""One test per bad input: a Chinese message naming the field, and the data left unchanged."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from stock_helpers import NOW, Clinic, days

from app.domain.errors import CunyiError, NotFoundError, RuleViolation, ValidationError
from app.services.catalog.service import ImportRejected
from app.services.stock.service import dispense_in

CODE_A = "81000000000000000001"


@pytest.fixture
def stocked(clinic: Clinic) -> Clinic:
    clinic.sv.stock.receive(clinic.amox.id, "A1", days(200), 48, trace_codes=[CODE_A])
    clinic.sv.stock.receive(clinic.nife.id, "N-OLD", days(-2), 30, at=NOW - timedelta(days=300))
    return clinic


def _refused(clinic: Clinic, call, error: type[CunyiError], field: str, *words: str) -> CunyiError:  # noqa: ANN001
    before = clinic.fingerprint()
    with pytest.raises(error) as err:
        call()
    message = str(err.value)
    assert err.value.field == field, message
    assert field in message, message
    for word in words:
        assert word in message, message
    assert clinic.fingerprint() == before
    return err.value


@pytest.mark.parametrize(
    "quantity,words",
    [(0, ("大于 0",)), (-5, ("大于 0",)), (10**9 + 1, ("太大",)), (2.5, ("整数",)), ("两盒", ("没有数字", "请输入整数，如 2"))],
    ids=["zero", "negative", "huge", "non-integer", "text"],
)
def test_bad_dispense_quantity(stocked: Clinic, quantity: object, words: tuple[str, ...]) -> None:
    _refused(stocked, lambda: stocked.sv.stock.dispense(stocked.amox.id, quantity), ValidationError, "数量", *words)


@pytest.mark.parametrize("quantity", ["²", "2²", "٣", "٣盒", "1盒٣片", "9" * 5000], ids=lambda q: q[:6])
def test_quantities_in_other_scripts_or_huge_are_refused(stocked: Clinic, quantity: str) -> None:
    _refused(stocked, lambda: stocked.sv.stock.dispense(stocked.amox.id, quantity), ValidationError, "数量")


def test_full_width_quantity_is_read(stocked: Clinic) -> None:
    def units() -> int:
        return {r.drug_id: r.on_hand_units for r in stocked.sv.stock.on_hand()}[stocked.amox.id]

    before = units()
    stocked.sv.stock.dispense(stocked.amox.id, "１２粒")
    assert units() == before - 12


@pytest.mark.parametrize(("field", "value", "label"), [
    ("units_per_pack", "²", "转换比"), ("units_per_pack", "٣", "转换比"), ("retail_price_yuan", "٣.50", "零售价"),
    ("retail_price_yuan", "1²", "零售价"), ("min_stock_units", "①", "最低库存"), ("class_b_self_bp", "1²%", "乙类先行自付比例"),
], ids=["pack-superscript", "pack-arabic", "price-arabic", "price-superscript", "min-circled", "bp-superscript"])
def test_catalog_numbers_in_other_scripts_are_refused(clinic: Clinic, field: str, value: str, label: str) -> None:
    err = _refused(clinic, lambda: clinic.sv.catalog.create(generic_name="布洛芬片", **{field: value}),
                   ValidationError, label)
    assert value in str(err)


@pytest.mark.parametrize("quantity", [0, -1, 10**10, 1.25], ids=["zero", "negative", "huge", "non-integer"])
def test_bad_receipt_quantity(stocked: Clinic, quantity: object) -> None:
    _refused(stocked, lambda: stocked.sv.stock.receive(stocked.vb1.id, "V", days(100), quantity), ValidationError, "数量")


def test_bad_quantity_inside_a_callers_unit_of_work(stocked: Clinic) -> None:
    def call() -> None:
        with stocked.sv.db.unit_of_work() as uow:
            dispense_in(uow.session, store_id=stocked.store_id, drug_id=stocked.amox.id, quantity_units=-3, at=NOW,
                        doc_type="visit", doc_id="v", user_id=None)
    _refused(stocked, call, ValidationError, "数量")


def test_expired_batch_only(stocked: Clinic) -> None:
    _refused(stocked, lambda: stocked.sv.stock.dispense(stocked.nife.id, 1), RuleViolation, "数量", "过期")


def test_receiving_an_expired_batch(stocked: Clinic) -> None:
    _refused(stocked, lambda: stocked.sv.stock.receive(stocked.vb1.id, "V", days(-1), 10), RuleViolation, "效期", "过期")


def test_more_than_in_stock(stocked: Clinic) -> None:
    _refused(stocked, lambda: stocked.sv.stock.dispense(stocked.amox.id, 49), RuleViolation, "数量", "库存不足")


def test_unknown_drug(stocked: Clinic) -> None:
    _refused(stocked, lambda: stocked.sv.stock.dispense("no-such-drug", 1), NotFoundError, "药品", "找不到")
    _refused(stocked, lambda: stocked.sv.stock.receive("no-such-drug", "X", days(10), 1), NotFoundError, "药品")


def test_duplicate_trace_code_at_receipt(stocked: Clinic) -> None:
    _refused(stocked, lambda: stocked.sv.stock.receive(stocked.amox.id, "A2", days(300), 24, trace_codes=[CODE_A]),
             ValidationError, "药品追溯码", "入库过")


def test_trace_code_scanned_twice_in_one_list(stocked: Clinic) -> None:
    code = "81000000000000000009"
    _refused(stocked, lambda: stocked.sv.stock.receive(stocked.amox.id, "A2", days(300), 48, trace_codes=[code, code]),
             ValidationError, "药品追溯码", "重复")


@pytest.mark.parametrize("code", ["8100000000000000000", "91000000000000000001", "8100000000000000000A"])
def test_malformed_trace_code(stocked: Clinic, code: str) -> None:
    _refused(stocked, lambda: stocked.sv.stock.dispense(stocked.amox.id, 24, trace_codes=[code]),
             ValidationError, "药品追溯码", "20 位")


@pytest.mark.parametrize("code", ["X123", "ZA04AAX012301010048", "QA01ABD075A002010100483"])
def test_malformed_national_code(clinic: Clinic, code: str) -> None:
    _refused(clinic, lambda: clinic.sv.catalog.create(generic_name="布洛芬片", national_code=code),
             ValidationError, "医保药品编码", "格式不对")


def test_malformed_national_code_on_update(clinic: Clinic) -> None:
    _refused(clinic, lambda: clinic.sv.catalog.update(clinic.amox.id, national_code="X1"), ValidationError, "医保药品编码")


def test_bad_write_off_reason(stocked: Clinic) -> None:
    batch = stocked.sv.stock.batches(stocked.amox.id)[0].batch_id
    _refused(stocked, lambda: stocked.sv.stock.write_off(batch, 1, "stolen"), ValidationError, "报损原因")
    _refused(stocked, lambda: stocked.sv.stock.return_to_township(batch, 1, "  "), ValidationError, "原因", "不能为空")


BAD_ROWS = [
    ["通用名", "规格", "转换比", "进价(元)", "医保类别", "医保药品编码"],
    ["布洛芬片", "0.1g×100片", "100", "3.50", "乙", ""],
    ["头孢克肟胶囊", "0.1g×6粒", "六", "12.00", "甲", "XJ01DDA080E001010100483"],
    ["", "1g", "1", "1.00", "甲", ""],
    ["蒙脱石散", "3g×10袋", "10", "8.8.8", "丁", "X12"],
]


def _check_rejected(clinic: Clinic, path: Path) -> None:
    err = _refused(clinic, lambda: clinic.sv.catalog.import_file(path), ImportRejected, "导入文件", "未导入任何数据")
    problems = {(p.row, p.field) for p in err.problems}
    assert problems == {(3, "转换比"), (4, "通用名"), (5, "进价"), (5, "医保类别"), (5, "医保药品编码")}
    assert "第 3 行 转换比" in str(err)


def test_bad_import_rows_csv(clinic: Clinic, tmp_path: Path) -> None:
    path = tmp_path / "drugs.csv"
    path.write_text("\n".join(",".join(r) for r in BAD_ROWS) + "\n", encoding="utf-8-sig")
    _check_rejected(clinic, path)


def test_bad_import_rows_xlsx(clinic: Clinic, tmp_path: Path) -> None:
    wb = Workbook()
    for row in BAD_ROWS:
        wb.active.append(row)
    path = tmp_path / "drugs.xlsx"
    wb.save(path)
    _check_rejected(clinic, path)


def test_import_unknown_header(clinic: Clinic, tmp_path: Path) -> None:
    path = tmp_path / "drugs.csv"
    path.write_text("通用名,颜色\n布洛芬片,白\n", encoding="utf-8")
    err = _refused(clinic, lambda: clinic.sv.catalog.import_file(path), ImportRejected, "导入文件", "颜色")
    assert err.problems[0].row == 1 and err.problems[0].field == "表头"
