"""居民档案: ID check, sex and birth from the ID, household, duplicates, search, ownership, coverage."""

from __future__ import annotations

import json
from datetime import date

import pytest
from settle_helpers import AT, DAY, id_number
from sqlalchemy import text

from app.domain.errors import ForeignRecordError, ValidationError
from app.services.residents.service import id_from_scan
from app.services.residents.types import ChronicRecord, EnrollmentRecord, ResidentForm


def test_create_takes_sex_and_birth_from_the_id(clinic):
    number = id_number("19590312", "124")  # even sequence: female
    saved = clinic.sv.residents.create(ResidentForm(
        number.lower()[:-1] + number[-1].lower(), " 张 秀英 ", phone="138 0013 8000", address="示例村3组",
        assistance_category="dibao", enrollments=(EnrollmentRecord(2026, date(2025, 11, 1)),),
        chronic=(ChronicRecord("E11", "糖尿病", date(2026, 1, 1), date(2026, 12, 31)),),
    ))
    r = saved.resident
    assert (r.id_number, r.name, r.sex, r.birth_date, r.phone) == (number, "张秀英", "F", date(1959, 3, 12), "13800138000")
    assert r.pinyin_abbr == "zxy" and r.relation_to_head == "本人" and r.household_id and r.owned_here
    assert r.masked_id == number[:3] + "*" * 11 + number[-4:] and r.age_on(DAY) == 67
    assert r.covered_years == {2026} and r.chronic[0].valid_on(DAY) and saved.warnings == ()


def test_duplicate_id_refused_namesake_warned(clinic):
    first = clinic.resident("张三", "19590312", "123")
    before = clinic.fingerprint()
    with pytest.raises(ValidationError) as err:
        clinic.resident("张三丰", "19590312", "123")
    assert err.value.field == "身份证号" and "张三" in str(err.value) and "重复建档" in str(err.value)
    assert clinic.fingerprint() == before
    saved = clinic.sv.residents.create(ResidentForm(id_number("19590312", "135"), "张三"))
    assert len(saved.warnings) == 1 and "同名" in saved.warnings[0] and first.id != saved.resident.id


def test_full_width_id_number_is_the_same_resident_and_other_scripts_are_refused(clinic):
    first = clinic.resident("张三", "19590312", "123")
    full_width = first.id_number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    before = clinic.fingerprint()
    with pytest.raises(ValidationError) as err:
        clinic.sv.residents.create(ResidentForm(full_width, "张三丰"))
    assert err.value.field == "身份证号" and "重复建档" in str(err.value)
    for foreign in ("٤" + first.id_number[1:], first.id_number[:-1] + "²"):
        with pytest.raises(ValidationError) as err:
            clinic.sv.residents.create(ResidentForm(foreign, "张三丰"))
        assert err.value.field == "身份证号" and "0–9" in str(err.value)
    assert clinic.fingerprint() == before
    assert [r.id for r in clinic.sv.residents.search(full_width)] == [first.id]
    assert [r.id for r in clinic.sv.residents.search(full_width[-6:])] == [first.id]
    assert clinic.sv.residents.by_id_number(full_width).id == first.id
    assert clinic.sv.residents.search("٤" + first.id_number[1:]) == []


def test_household_relations(clinic):
    head = clinic.resident("刘大", "19600101", "111")
    wife = clinic.resident("陈二", "19620202", "122", household_id=head.household_id, relation_to_head="配偶")
    assert wife.household_id == head.household_id
    assert [m.name for m in clinic.sv.residents.household_members(head.household_id)] == ["刘大", "陈二"]
    with pytest.raises(ValidationError) as err:  # a relative needs a household
        clinic.resident("刘小", "20100303", "131", relation_to_head="子")
    assert err.value.field == "家庭户"
    with pytest.raises(ValidationError) as err:
        clinic.resident("刘小", "20100303", "131", relation_to_head="表哥")
    assert err.value.field == "与户主关系"
    with pytest.raises(ValidationError) as err:  # the household already has a head
        clinic.resident("刘小", "20100303", "131", household_id=head.household_id)
    assert err.value.field == "与户主关系"


def test_bad_fields_are_named(clinic):
    cases = [
        (ResidentForm(id_number("19590312"), ""), "姓名"),
        (ResidentForm(id_number("19590312"), "张三", phone="12345"), "手机号"),
        (ResidentForm(id_number("19590312"), "张三", assistance_category="poor"), "救助类别"),
        (ResidentForm(id_number("19590312"), "张三", enrollments=(EnrollmentRecord(2026, date(2027, 1, 1)),)),
         "参保日期"),
        (ResidentForm(id_number("19590312"), "张三",
                      chronic=(ChronicRecord("I10", "高血压", date(2026, 5, 1), date(2026, 1, 1)),)), "慢特病有效期"),
    ]
    before = clinic.fingerprint()
    for form, field in cases:
        with pytest.raises(ValidationError) as err:
            clinic.sv.residents.create(form)
        assert err.value.field == field, (field, err.value)
    assert clinic.fingerprint() == before


def test_update_upserts_years_and_qualifications(clinic):
    r = clinic.resident()
    form = ResidentForm(r.id_number, r.name, phone="0371-12345678", household_id=r.household_id,
                        enrollments=(EnrollmentRecord(2026, date(2025, 12, 20), False),),
                        chronic=(ChronicRecord("I10", "高血压", date(2026, 1, 1), date(2027, 6, 30)),))
    updated = clinic.sv.residents.update(r.id, form).resident
    assert updated.phone == "0371-12345678"
    assert [(e.year, e.enrolled_on, e.central_period) for e in updated.enrollments] == [
        (2025, date(2024, 11, 10), True), (2026, date(2025, 12, 20), False)]
    renewed = clinic.sv.residents.set_chronic(r.id, ChronicRecord("I10", "高血压", date(2026, 1, 1), date(2028, 6, 30)))
    assert [(c.code, c.valid_to) for c in renewed.chronic] == [("I10", date(2028, 6, 30))]


def test_search_by_every_key(clinic):
    zhang = clinic.resident("张三", "19590312", "123", phone="13800138000")
    li = clinic.resident("李四", "19700101", "111", phone="13912345678")
    search = clinic.sv.residents.search
    assert [r.id for r in search(zhang.id_number)] == [zhang.id]
    assert [r.id for r in search(zhang.id_number[-6:])] == [zhang.id]
    assert [r.id for r in search("张")] == [zhang.id]
    assert [r.id for r in search("ls")] == [li.id]
    assert [r.id for r in search("13912345678")] == [li.id]
    voucher = json.dumps({"data": {"idNo": li.id_number, "userName": "李四", "ecToken": "abc"}})
    assert [r.id for r in search(voucher)] == [li.id]
    assert [r.id for r in search(f"ECQR|certNo={zhang.id_number}|t=20261123")] == [zhang.id]
    assert search("") == [] and search("12") == []


def test_pinyin_search_finds_every_reading_and_the_surname_reading_first(clinic):
    chang = clinic.resident("王长林", "19620304", "131")
    zhen = clinic.resident("王振林", "19650708", "153")
    zeng = clinic.resident("曾丽萍", "19700101", "142")
    assert (chang.pinyin_abbr, zhen.pinyin_abbr, zeng.pinyin_abbr) == ("wcl", "wzl", "zlp")
    search = clinic.sv.residents.search
    assert [r.name for r in search("wcl")] == ["王长林"]
    # 长 read zhǎng finds him too, after the name whose 拼音码 is wzl
    assert [r.name for r in search("wzl")] == ["王振林", "王长林"]
    assert [r.name for r in search("W Z")] == ["王振林", "王长林"]
    assert [r.name for r in search("zlp")] == [r.name for r in search("clp")] == ["曾丽萍"]
    assert search("wcz") == []
    with clinic.sv.db.read() as s:
        stored = s.execute(text("SELECT pinyin_abbr, pinyin_keys, pinyin_sort FROM residents WHERE id = :id"),
                           {"id": zeng.id}).one()
    assert tuple(stored) == ("zlp", "zlp clp", "zeng1 li4 ping2")
    # results in pinyin order: 长 (cháng) before 振 (zhèn), though 振 comes first by character code
    assert [r.name for r in search("王")] == ["王长林", "王振林"]
    # a given name alone still finds the person (no name starts so: the slower search inside names)
    assert [r.name for r in search("长林")] == ["王长林"] and [r.name for r in search("丽萍")] == ["曾丽萍"]
    assert search("林%") == []  # typed text is matched as text, not as a pattern


def test_id_from_scan():
    number = id_number("19590312")
    assert id_from_scan(json.dumps({"certNo": number.lower()})) == number
    assert id_from_scan(f"xx{number}yy") is None  # glued to letters: not an ID
    assert id_from_scan(f"姓名:张三;证件号:{number};") == number
    assert id_from_scan("no id here") is None


def test_foreign_resident_cannot_be_changed_here(clinic):
    r = clinic.resident()
    with clinic.sv.db.unit_of_work() as uow:  # as if pulled from the hub: owned by another village
        uow.session.execute(text("INSERT INTO sites (id, owner_site_id, created_at, updated_at, version, kind, name, "
                                 "code, region, address, phone) VALUES ('other', 'other', :t, :t, 1, 'village', "
                                 "'二村卫生室', '', '', '', '')"), {"t": AT})
        uow.session.execute(text("UPDATE residents SET owner_site_id = 'other' WHERE id = :id"), {"id": r.id})
    before = clinic.fingerprint()
    with pytest.raises(ForeignRecordError) as err:
        clinic.sv.residents.update(r.id, ResidentForm(r.id_number, "张三改"))
    assert "二村卫生室" in str(err.value) and err.value.field == "参保人"
    assert clinic.fingerprint() == before
    # but a visit may still be settled under the resident's own record
    info = clinic.sv.settlement.settle(clinic.draft(r.id, {"amlo": 28}), at=AT)
    assert info.resident_id == r.id


def test_coverage_warnings(clinic):
    not_enrolled = clinic.resident("孙七", "19800808", "171", enrolled=False)
    cover = clinic.sv.residents.coverage(not_enrolled.id, DAY)
    assert not cover.enrolled and not cover.eligible and cover.warning == "未参保（2026年度）"
    assert cover.summary.startswith("未参保2026")
    enrolled = clinic.resident("周八", "19810909", "191",
                               chronic=(ChronicRecord("I10", "高血压", date(2026, 1, 1), date(2027, 6, 30)),
                                        ChronicRecord("E11", "糖尿病", date(2024, 1, 1), date(2025, 12, 31))))
    cover = clinic.sv.residents.coverage(enrolled.id, DAY)
    assert cover.eligible and cover.warning == "" and cover.cap_left_fen == 40000
    assert [c.code for c in cover.chronic] == ["I10"]  # the expired qualification is not shown
    assert "统筹已用 0.00/400.00" in cover.summary and "高血压(至2027-06)" in cover.summary
