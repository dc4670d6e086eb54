"""Bad input: a Chinese message naming the field, and the database exactly as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from settle_helpers import AT, DAY, change_final_rows, id_number

from app.domain.errors import CunyiError, NotFoundError, PolicyError, RuleViolation, ValidationError
from app.services.residents.types import ResidentForm


@pytest.fixture
def resident(clinic):
    return clinic.resident()


def _refused(clinic, call, error: type[CunyiError], field: str, *words: str) -> CunyiError:
    before = clinic.fingerprint()
    with pytest.raises(error) as err:
        call()
    assert err.value.field == field, err.value
    message = str(err.value)
    assert all(w in message for w in words), message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    assert clinic.fingerprint() == before
    return err.value


def test_invalid_id_number(clinic):
    bad = id_number("19590312")[:-1] + ("0" if id_number("19590312")[-1] != "0" else "1")
    _refused(clinic, lambda: clinic.sv.residents.create(ResidentForm(bad, "张三")), ValidationError, "身份证号",
             "校验位")
    _refused(clinic, lambda: clinic.sv.residents.create(ResidentForm("41010219591", "张三")), ValidationError,
             "身份证号", "18位")


def test_settlement_for_an_unknown_resident(clinic):
    draft = clinic.draft("01a00000-0000-7000-8000-000000000000")
    _refused(clinic, lambda: clinic.sv.settlement.settle(draft, at=AT), NotFoundError, "参保人", "参保人")
    _refused(clinic, lambda: clinic.sv.settlement.preview(draft, today=DAY), NotFoundError, "参保人")


def test_quantity_over_stock(clinic, resident):
    # the first line is fine and is dispensed before the second fails: all of it must roll back
    draft = clinic.draft(resident.id, {"amlo": 28, "amox": 49})
    _refused(clinic, lambda: clinic.sv.settlement.settle(draft, at=AT), RuleViolation, "数量",
             "阿莫西林胶囊", "库存不足", "需要 2盒1粒", "只有 2盒")  # in packs and units, never 49/48


def test_quantity_not_a_positive_integer(clinic, resident):
    for quantity in (0, -3, 2.5):
        draft = clinic.draft(resident.id, {"amlo": quantity})
        _refused(clinic, lambda d=draft: clinic.sv.settlement.settle(d, at=AT), ValidationError, "数量",
                 "苯磺酸氨氯地平片")


def test_expired_batch_only(clinic, resident):
    draft = clinic.draft(resident.id, {"amlo": 28, "ibu": 20})
    _refused(clinic, lambda: clinic.sv.settlement.settle(draft, at=AT), RuleViolation, "数量",
             "布洛芬缓释胶囊", "过期")


def test_visit_date_in_the_future(clinic, resident):
    draft = clinic.draft(resident.id, visit_date=DAY + timedelta(days=1))
    _refused(clinic, lambda: clinic.sv.settlement.settle(draft, at=AT), ValidationError, "就诊日期", "晚于今天")
    _refused(clinic, lambda: clinic.sv.settlement.preview(draft, today=DAY), ValidationError, "就诊日期")


def test_visit_date_outside_the_policy_year(clinic, resident):
    draft = clinic.draft(resident.id, visit_date=AT.date().replace(year=2025))
    _refused(clinic, lambda: clinic.sv.settlement.settle(draft, at=AT), PolicyError, "就诊日期",
             "有效期", "2026-01-01")


def test_empty_prescription(clinic, resident):
    draft = clinic.draft(resident.id)
    draft = type(draft)(**{**draft.__dict__, "lines": ()})
    _refused(clinic, lambda: clinic.sv.settlement.settle(draft, at=AT), ValidationError, "处方", "至少")


def test_policy_file_with_a_bad_key_is_refused_when_picked(clinic, resident, tmp_path):
    from app.services.core.policies import DEFAULT_POLICY

    bad = tmp_path / "bad-2026.toml"
    good = DEFAULT_POLICY.read_text(encoding="utf-8")
    bad.write_text(good.replace("ratio_bp = 6000", "ratio_bp = 6000\nratio_bpp = 6000"), encoding="utf-8")
    clinic.as_admin()
    err = _refused(clinic, lambda: clinic.sv.settings.set("policy_file", str(bad)), PolicyError,
                   "outpatient.ratio_bpp", "待遇政策文件有误", "未导入", "ratio_bpp")
    assert "bad-2026.toml" in str(err)
    # a missing file is named too
    _refused(clinic, lambda: clinic.sv.settings.set("policy_file", str(tmp_path / "missing.toml")), ValidationError,
             "待遇政策文件", "不存在", "missing.toml")
    assert clinic.sv.settings.get("policy_file") == ""
    clinic.as_doctor()  # the policy in force is still the one before
    assert clinic.sv.settlement.settle(clinic.draft(resident.id), at=AT).receipt_no


def test_a_policy_row_that_does_not_parse_refuses_settling(clinic, resident):
    """A row written by another program (e.g. pulled from a hub) is checked again when it is read."""
    import sqlite3

    from app.services.core.policies import DEFAULT_POLICY

    clinic.as_admin()
    clinic.sv.settings.set("policy_file", str(DEFAULT_POLICY))
    change_final_rows(clinic.sv.data.database, "policies",
                      "UPDATE policies SET text = replace(text, 'ratio_bp = 6000', 'ratio_bp = 6000' || char(10) || "
                      "'ratio_bpp = 6000'), "
                      "policy_version = 'broken'")
    con = sqlite3.connect(clinic.sv.data.database)
    with con:
        assert con.execute("SELECT count(*) FROM policies WHERE policy_version = 'broken'").fetchone() == (1,)
    con.close()
    clinic.as_doctor()
    draft = clinic.draft(resident.id)
    err = _refused(clinic, lambda: clinic.sv.settlement.settle(draft, at=AT), PolicyError, "outpatient.ratio_bpp",
                   "待遇政策文件有误", "ratio_bpp")
    assert "demo-2026.toml" in str(err)
    _refused(clinic, lambda: clinic.sv.settlement.preview(draft, today=DAY), PolicyError, "outpatient.ratio_bpp")


@pytest.mark.parametrize("usage,problem", [("", "为空"), ("   ", "为空"), ("遵医嘱", "不能写“遵医嘱”"),
                                           ("口服 遵医嘱", "不能写“遵医嘱”")])
def test_a_line_without_a_written_usage_is_refused(clinic, resident, usage, problem):
    draft = clinic.draft(resident.id, {"amlo": 28, "amox": 12})
    lines = (draft.lines[0], type(draft.lines[1])(draft.lines[1].drug_id, 12, usage))
    draft = type(draft)(**{**draft.__dict__, "lines": lines})
    error = _refused(clinic, lambda: clinic.sv.settlement.settle(draft, at=AT), ValidationError, "用法用量",
                     "第2行“阿莫西林胶囊”用法用量", problem, "如 口服 每日3次 每次1片")
    assert "第1行" not in str(error)
    assert clinic.sv.settlement.preview(draft, today=DAY).total_fen > 0  # the live split still shows while typing


def test_setting_numbers_in_other_scripts_are_refused_and_full_width_is_read(clinic):
    clinic.as_admin()
    label = "无操作自动锁屏（分钟，0=不锁屏）"
    for value in ("²", "1²", "٣", "①", "9" * 5000):
        _refused(clinic, lambda v=value: clinic.sv.settings.set("idle_lock_minutes", v), ValidationError, label)
    clinic.sv.settings.set("idle_lock_minutes", "１５")
    assert clinic.sv.settings.get("idle_lock_minutes") == 15


def test_resident_list_order_survives_any_digits_in_an_address(clinic):
    odd = clinic.resident("张三", address="西河村1²2组٣号")
    plain = clinic.resident("李四", "19700101", "111", address="西河村1组2号")
    assert set(clinic.sv.residents.site_roster()) == {odd.id, plain.id}
