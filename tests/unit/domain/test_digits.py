"""Numbers typed by people: full-width digits read as ASCII, digits of other scripts refused by field.

``str.isdigit()`` is true for ``²``, ``٣`` and ``①`` while ``int()`` reads ``٣`` and fails on ``²``; every
numeric field goes through ``app.domain.digits`` so that neither a second spelling of a number nor a
traceback gets through.
"""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.codes import check_trace_code
from app.domain.digits import ascii_text, is_ascii_digits, parse_int
from app.domain.errors import ValidationError
from app.domain.fefo import check_quantity, parse_quantity
from app.domain.idcard import check_digit, check_phone, parse_id_number
from app.domain.money import yuan_to_fen

TODAY = date(2026, 3, 5)
NUMBER = "41010219590312123" + check_digit("41010219590312123")
FULL = NUMBER.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
FOREIGN = ("٣", "²", "①", "۳", "३", "𝟑")  # Arabic-Indic, superscript, circled, Persian, Devanagari, maths bold


def test_full_width_is_ascii_and_foreign_digits_are_refused_by_field() -> None:
    assert ascii_text("４１０１ｘ．５－", "身份证号") == "4101x.5-"
    for ch in FOREIGN:
        with pytest.raises(ValidationError) as err:
            ascii_text(f"12{ch}", "数量")
        assert err.value.field == "数量" and ch in str(err.value) and "0–9" in str(err.value)
    assert is_ascii_digits("0123") and not any(is_ascii_digits(t) for t in ("", "²", "٣", "１", "1.5", "-1"))


def test_parse_int() -> None:
    assert parse_int(" １２ ", "补缴年数", minimum=0, maximum=20) == 12
    assert parse_int("-3", "调整") == -3
    for bad in ("²", "1²", "٣", "", "1.0", "abc", "9" * 5000, "--1"):
        with pytest.raises(ValidationError) as err:
            parse_int(bad, "补缴年数")
        assert err.value.field == "补缴年数"
    with pytest.raises(ValidationError, match="超出范围"):
        parse_int("21", "补缴年数", minimum=0, maximum=20)


def test_full_width_id_number_is_the_same_number() -> None:
    assert FULL != NUMBER and parse_id_number(FULL, today=TODAY).number == NUMBER
    assert parse_id_number("１１０１０５１９４９１２３１００２ｘ", today=TODAY).number == "11010519491231002X"
    assert parse_id_number("１１０１０５４９１２３１００２", today=TODAY).number == "11010519491231002X"  # 15 digits


@pytest.mark.parametrize("ch", FOREIGN)
def test_id_number_with_other_scripts_is_refused_naming_the_field(ch: str) -> None:
    for text in (ch + NUMBER[1:], NUMBER[:17] + ch, NUMBER[:14] + ch):
        with pytest.raises(ValidationError) as err:
            parse_id_number(text, today=TODAY)
        assert err.value.field == "身份证号" and "身份证号" in str(err.value)


def test_phone_numbers() -> None:
    assert check_phone("１３８ ００１３ ８０００") == "13800138000"
    with pytest.raises(ValidationError) as err:
        check_phone("1380013800٣")
    assert err.value.field == "手机号"


def test_quantities() -> None:
    assert parse_quantity("２", "盒", "片", 28) == 56
    assert parse_quantity("１盒４片", "盒", "片", 28) == 32
    assert check_quantity("１４", "数量") == 14
    for bad in ("²", "2²", "٣", "٣片", "1盒٣片", "①"):
        with pytest.raises(ValidationError) as err:
            parse_quantity(bad, "盒", "片", 28, field="发药数量")
        assert err.value.field == "发药数量"
        with pytest.raises(ValidationError):
            check_quantity(bad, "数量")
    for huge in ("9" * 5000, "9" * 5000 + "片", "1盒" + "9" * 5000 + "片"):
        with pytest.raises(ValidationError, match="太大"):
            parse_quantity(huge, "盒", "片", 28)
    with pytest.raises(ValidationError, match="太大"):
        check_quantity("9" * 5000)


def test_money() -> None:
    assert yuan_to_fen("１２．５") == 1250 and yuan_to_fen("￥３") == 300
    for bad in ("²", "1²", "٣.50", "1.²", "①"):
        with pytest.raises(ValidationError) as err:
            yuan_to_fen(bad, "零售价")
        assert err.value.field == "零售价"
    with pytest.raises(ValidationError, match="太大"):
        yuan_to_fen("9" * 5000, "零售价")


def test_trace_codes() -> None:
    assert check_trace_code("８" + "1" * 19) == "8" + "1" * 19
    with pytest.raises(ValidationError) as err:
        check_trace_code("8" + "٣" * 19)
    assert err.value.field == "药品追溯码"
