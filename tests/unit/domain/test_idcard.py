"""GB 11643-1999 ID numbers, legacy conversion, masking and phone numbers."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.errors import ValidationError
from app.domain.idcard import check_digit, check_phone, convert_15_to_18, mask_id, parse_id_number

TODAY = date(2026, 3, 5)


def make_id(region: str, born: str, seq: str) -> str:
    first17 = region + born + seq
    return first17 + check_digit(first17)


def test_the_standard_example_with_x() -> None:
    card = parse_id_number("11010519491231002X", today=TODAY)
    assert (card.number, card.birth_date, card.sex, card.region_code) == ("11010519491231002X", date(1949, 12, 31), "F", "110105")
    assert card.province == "北京"
    assert card.age_on(TODAY) == 76


def test_lower_case_x_and_spaces_are_accepted() -> None:
    assert parse_id_number(" 110105 19491231 002x ", today=TODAY).number == "11010519491231002X"


def test_sex_and_birth_date_come_from_the_number() -> None:
    number = make_id("410102", "19900101", "123")
    card = parse_id_number(number, today=TODAY)
    assert card.sex == "M" and card.birth_date == date(1990, 1, 1)
    assert card.age_on(date(2025, 12, 31)) == 35 and card.age_on(date(2026, 1, 1)) == 36


def test_legacy_15_digit_number_is_converted() -> None:
    assert convert_15_to_18("110105491231002") == "11010519491231002X"
    card = parse_id_number("110105491231002", today=TODAY)
    assert card.number == "11010519491231002X" and card.birth_date == date(1949, 12, 31)
    with pytest.raises(ValidationError, match="15位旧号码只能是数字"):
        parse_id_number("11010549123100X", today=TODAY)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "不能为空"),
        ("11010519491231002", "应为18位"),
        ("1101051949123100211", "应为18位"),
        ("11010519491231002Y", "最后一位为数字或X"),
        ("1101051949A231002X", "前17位应为数字"),
        ("11010519491231003X", "校验位不对"),
        (make_id("990102", "19900101", "123"), "地区码“99”"),
        (make_id("000102", "19900101", "123"), "地区码“00”"),
        (make_id("410102", "19900230", "123"), "不是有效日期"),
        (make_id("410102", "20260306", "123"), "晚于今天"),
        (make_id("410102", "18991231", "123"), "早于1900年"),
    ],
)
def test_invalid_numbers_name_the_field(text: str, words: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_id_number(text, field="代办人身份证号", today=TODAY)
    assert words in str(err.value)
    assert "代办人身份证号" in str(err.value)
    assert err.value.field == "代办人身份证号"


def test_every_province_code_is_plausible_and_born_today_is_fine() -> None:
    for region in ("110000", "460100", "650100", "710000", "810000", "820000"):
        assert parse_id_number(make_id(region, "20260305", "001"), today=TODAY).region_code == region


def test_mask_id() -> None:
    assert mask_id("410102199001011234") == "410***********1234"
    assert mask_id("11010519491231002X") == "110***********002X"
    assert mask_id("1234567") == "*******"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 139 1234 5678", "13912345678"),
        ("19912345678", "19912345678"),
        ("0371-12345678", "0371-12345678"),
        ("0371 1234567", "0371-1234567"),
        ("(0371)12345678", "0371-12345678"),
        ("037112345678", "0371-12345678"),
        ("010-62345678", "010-62345678"),
        ("02162345678", "021-62345678"),
        ("0371-12345678-123", "0371-12345678-123"),
    ],
)
def test_valid_phones_are_normalised(text: str, expected: str) -> None:
    assert check_phone(text) == expected


@pytest.mark.parametrize("text", ["", "12345678901", "1380013800", "138001380001", "abc", "0371-1234", "0371-02345678", "0101-62345678"])
def test_invalid_phones_name_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        check_phone(text, field="联系电话")
    assert "联系电话" in str(err.value) and err.value.field == "联系电话"
