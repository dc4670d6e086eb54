"""Pure parts of settlement: line prices, unit-price text, receipt numbers, scanned 医保电子凭证 text."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.db.models import Drug
from app.domain.money import round_half_up_div
from app.services.residents.service import id_from_scan
from app.services.settlement.queries import drug_spec, line_amount, quantity_and_price, yuan_price


def _drug(**kw) -> Drug:
    values = {"generic_name": "苯磺酸氨氯地平片", "strength": "5mg×28片", "pack_unit": "盒", "base_unit": "片",
              "units_per_pack": 28, "retail_price_fen": 812}
    values.update(kw)
    return Drug(**values)


def test_line_amount_is_half_up_per_base_unit():
    assert line_amount(28, 812, 28) == 812
    assert line_amount(14, 812, 28) == 406
    assert line_amount(12, 1250, 24) == 625
    assert line_amount(1, 1250, 24) == 52  # 52.08 → 52
    assert line_amount(1, 1260, 24) == 53  # 52.5 → 53 (half up)
    assert line_amount(3, 500, 1) == 1500


@given(st.integers(1, 10_000), st.integers(0, 1_000_000), st.integers(1, 500))
def test_line_amount_never_drifts_more_than_half_a_fen(units, price, per):
    exact = Decimal(units * price) / per
    amount = line_amount(units, price, per)
    assert abs(Decimal(amount) - exact) <= Decimal("0.5")
    assert amount == round_half_up_div(units * price, per)


def test_quantity_and_price_use_the_same_unit():
    assert quantity_and_price(28, _drug()) == ("1盒", "8.12元/盒")
    assert quantity_and_price(56, _drug()) == ("2盒", "8.12元/盒")
    assert quantity_and_price(14, _drug()) == ("14片", "0.29元/片")
    assert quantity_and_price(30, _drug()) == ("30片", "0.29元/片")
    assert quantity_and_price(12, _drug(units_per_pack=24, retail_price_fen=1250, base_unit="粒")) == (
        "12粒", "0.5208元/粒")
    assert quantity_and_price(3, _drug(units_per_pack=1, pack_unit="支", base_unit="支", retail_price_fen=150)) == (
        "3支", "1.50元/支")


def test_yuan_price_keeps_two_to_four_decimals():
    assert yuan_price(Decimal(812)) == "8.12"
    assert yuan_price(Decimal(800)) == "8.00"
    assert yuan_price(Decimal(5)) == "0.05"
    assert yuan_price(Decimal(1250) / 24) == "0.5208"
    assert yuan_price(Decimal(29)) == "0.29"


def test_drug_spec_falls_back_to_the_pack():
    assert drug_spec(_drug()) == "5mg×28片"
    assert drug_spec(_drug(strength="")) == "28片/盒"


@pytest.mark.parametrize("text, expected", [
    (json.dumps({"idNo": "41010219590312123x"}), "41010219590312123X"),
    (json.dumps({"data": [{"certNo": "110101199003074477"}]}), "110101199003074477"),
    ("ECQR|410102195903121230|20261123", "410102195903121230"),
    ("token-only-ABCDEF", None),
    ("{not json 410102195903121230", "410102195903121230"),
])
def test_id_from_scan(text, expected):
    assert id_from_scan(text) == expected
