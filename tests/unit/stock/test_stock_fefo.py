"""FEFO allocation and quantity parsing (pure rules)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.errors import RuleViolation, ValidationError
from app.domain.fefo import (
    BatchStock,
    Units,
    allocate,
    check_quantity,
    format_quantity,
    parse_quantity,
    split_packs,
)

TODAY = date(2026, 5, 1)


def test_earliest_unexpired_batch_first_then_next() -> None:
    batches = [
        BatchStock("b-late", date(2027, 1, 1), 50),
        BatchStock("b-soon", date(2026, 6, 1), 10),
        BatchStock("b-expired", date(2026, 4, 30), 99),
    ]
    assert allocate(batches, 25, TODAY) == [("b-soon", 10), ("b-late", 15)]


def test_batch_expiring_today_is_still_usable() -> None:
    assert allocate([BatchStock("b", TODAY, 5)], 5, TODAY) == [("b", 5)]


def test_an_empty_or_negative_batch_is_never_offered() -> None:
    batches = [
        BatchStock("b-empty", date(2026, 5, 2), 0),
        BatchStock("b-negative", date(2026, 5, 3), -5),
        BatchStock("b-stock", date(2026, 9, 1), 4),
    ]
    assert allocate(batches, 3, TODAY) == [("b-stock", 3)]
    assert allocate(batches, 4, TODAY) == [("b-stock", 4)]  # a negative batch does not lower what is available
    with pytest.raises(RuleViolation) as err:
        allocate(batches, 5, TODAY)
    assert "只有 4" in str(err.value)
    with pytest.raises(RuleViolation) as err:  # nor does an expired negative one count as expired stock
        allocate([BatchStock("b-old", date(2026, 1, 1), -3), BatchStock("b", date(2027, 1, 1), 1)], 2, TODAY)
    assert "只有 1" in str(err.value) and "已过期" not in str(err.value)


def test_same_expiry_goes_to_the_older_batch_id() -> None:
    batches = [BatchStock("b2", date(2027, 1, 1), 5), BatchStock("b1", date(2027, 1, 1), 5)]
    assert allocate(batches, 6, TODAY) == [("b1", 5), ("b2", 1)]


def test_only_expired_stock_is_refused() -> None:
    with pytest.raises(RuleViolation) as err:
        allocate([BatchStock("b", date(2026, 1, 1), 100)], 1, TODAY)
    assert "过期" in str(err.value) and err.value.field == "数量"


def test_short_stock_says_what_is_available() -> None:
    with pytest.raises(RuleViolation) as err:
        allocate([BatchStock("b", date(2027, 1, 1), 3), BatchStock("x", date(2026, 1, 1), 7)], 5, TODAY)
    assert "只有 3" in str(err.value) and "已过期 7" in str(err.value)


@pytest.mark.parametrize("bad", [0, -1, 10**9 + 1, 1.5, "abc", None, True])
def test_bad_quantities(bad: object) -> None:
    with pytest.raises(ValidationError) as err:
        check_quantity(bad)
    assert err.value.field == "数量" and "数量" in str(err.value)


def test_parse_quantity_packs_and_units() -> None:
    assert parse_quantity("2", "盒", "片", 28) == 56
    assert parse_quantity("2盒", "盒", "片", 28) == 56
    assert parse_quantity("14片", "盒", "片", 28) == 14
    assert parse_quantity("1盒 4片", "盒", "片", 28) == 32
    assert parse_quantity("3", "瓶", "瓶", 1) == 3


@pytest.mark.parametrize("bad", ["", "1.5", "2支", "0", "-2", "2盒3盒"])
def test_parse_quantity_refuses(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_quantity(bad, "盒", "片", 28)
    assert err.value.field == "数量"


def test_packs_and_loose_units() -> None:
    assert split_packs(60, 28) == (2, 4)
    assert format_quantity(60, "盒", "片", 28) == "2盒4片"
    assert format_quantity(0, "盒", "片", 28) == "0片"
    assert format_quantity(5, "瓶", "瓶", 1) == "5瓶"


@pytest.mark.parametrize("bad,problem", [("1.5", "“1.5”是小数"), ("-2", "“-2”是负数"), ("abc", "“abc”里没有数字"),
                                         ("0", "不能为 0"), ("1盒2片3", "写法不对")])
def test_parse_quantity_says_what_is_wrong_and_what_is_accepted(bad: str, problem: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_quantity(bad, "盒", "片", 28, "第1行“苯磺酸氨氯地平片”数量")
    message = str(err.value)
    assert message.startswith("第1行“苯磺酸氨氯地平片”数量") and problem in message, message
    assert "请输入整数，如 2 或 14片（2 即 2盒）" in message and "看不懂" not in message and "“.”" not in message


def test_a_decimal_number_of_packs_is_shown_in_units() -> None:
    with pytest.raises(ValidationError) as err:
        parse_quantity("1.5", "盒", "片", 28)
    assert "1.5盒 即 42片" in str(err.value)


def test_short_stock_is_said_in_packs_and_units() -> None:
    units = Units("盒", "片", 24)
    with pytest.raises(RuleViolation) as err:
        allocate([BatchStock("b", date(2027, 1, 1), 14 * 24)], 999 * 24, TODAY, units)
    assert "需要 999盒，可用（未过期）只有 14盒" in str(err.value)
    with pytest.raises(RuleViolation) as err:
        allocate([BatchStock("b", date(2027, 1, 1), 28), BatchStock("x", date(2026, 1, 1), 24)], 30, TODAY, units)
    assert "需要 1盒6片" in str(err.value) and "只有 1盒4片" in str(err.value) and "已过期 1盒" in str(err.value)
    with pytest.raises(RuleViolation) as err:
        allocate([BatchStock("x", date(2026, 1, 1), 30)], 1, TODAY, units)
    assert "只剩已过期批次（1盒6片）" in str(err.value)
