"""The pure parts of the demo builder: ids, invented ID numbers, enrollment histories, lots."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime

import pytest

from app.domain.idcard import parse_id_number
from app.services.demo.catalog import DemoDrug, lot, quantity_units, usage_for
from app.services.demo.people import Person, enrollment_history, era, make_id_number
from app.services.demo.rows import IdFactory, dt_text

TODAY = date(2026, 11, 23)


def _drug(**kw: object) -> DemoDrug:
    base = dict(index=3, id="d", generic_name="苯磺酸氨氯地平片", category="心血管", units_per_pack=28, price_fen=437,
                coverage_class="A", class_b_self_bp=None, min_stock_units=112, base_unit="片",
                vbp_start=date(2019, 12, 1), pre_vbp_factor=3.5, shelf_life_months=36, lot_style=1,
                trace_prefix="8123456")
    base.update(kw)
    return DemoDrug(**base)  # type: ignore[arg-type]


def test_ids_are_uuid7_unique_and_increasing() -> None:
    make = IdFactory(seed=1)
    ids = [make() for _ in range(5000)]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    for value in (ids[0], ids[-1]):
        parsed = uuid.UUID(value)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122 and str(parsed) == value
    millis = uuid.UUID(ids[0]).int >> 80
    assert abs(millis / 1000 - datetime.now().timestamp()) < 60


def test_two_factories_do_not_collide() -> None:
    a, b = IdFactory(seed=1), IdFactory(seed=2)
    assert not {a() for _ in range(2000)} & {b() for _ in range(2000)}


def test_datetime_text_matches_sqlalchemy_storage() -> None:
    assert dt_text(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02 03:04:05.000000"


@pytest.mark.parametrize("sex", ["M", "F"])
def test_invented_id_numbers_pass_the_gb11643_check(sex: str) -> None:
    rng = random.Random(7)
    used: set[str] = set()
    born = date(1958, 2, 28)
    numbers = [make_id_number(rng, "411522", born, sex, used) for _ in range(200)]
    assert len(set(numbers)) == 200
    for number in numbers:
        card = parse_id_number(number, today=TODAY)
        assert card.birth_date == born and card.sex == sex and card.region_code == "411522"


def test_era_of_given_names() -> None:
    assert [era(y) for y in (1940, 1956, 1979, 1980, 1999, 2000, 2026)] == ["old", "mid", "mid", "young", "young", "kid", "kid"]


def _person(born: date) -> Person:
    return Person(id="p", household_id="h", name="张三", sex="M", birth=born, id_number="x", relation="本人")


def test_enrollment_histories_are_plausible() -> None:
    rng = random.Random(3)
    kinds = {"central": 0, "late": 0, "newborn": 0, "uninsured_now": 0, "waiting_now": 0}
    for i in range(3000):
        born = date(1940 + i % 86, 1 + i % 12, 1 + i % 28)
        p = _person(born)
        enrollment_history(rng, p, 2015, TODAY)
        assert p.covered == frozenset(p.enrollments)
        assert min(p.covered, default=born.year) >= max(2015, born.year)
        for year, (on, central, repaid, newborn) in p.enrollments.items():
            assert on >= born and on <= TODAY and 0 <= repaid <= 2
            if central:
                assert on.year == year - 1 or (on - born).days <= 7  # paid in the central period before the year
                kinds["central"] += 1
            elif newborn:
                assert year == born.year
                kinds["newborn"] += 1
            else:
                kinds["late"] += 1
        if TODAY.year not in p.covered:
            kinds["uninsured_now"] += 1
        elif not p.enrollments[TODAY.year][1] and not p.enrollments[TODAY.year][3]:
            if (TODAY - p.enrollments[TODAY.year][0]).days < 90:
                kinds["waiting_now"] += 1
    assert kinds["central"] > 20 * kinds["late"] > 0
    assert kinds["newborn"] > 0 and kinds["uninsured_now"] > 0 and kinds["waiting_now"] > 0
    assert kinds["uninsured_now"] < 0.05 * 3000


def test_lots_are_deterministic_and_outlive_their_month() -> None:
    drug = _drug()
    assert lot(drug, 2024, 3) == lot(drug, 2024, 3)
    assert lot(drug, 2024, 3) != lot(drug, 2024, 4)
    batch_no, expiry = lot(drug, 2024, 3)
    assert batch_no.startswith(("23", "24")) and expiry > date(2026, 1, 1)
    tagged, _ = lot(drug, 2024, 3, "S")
    assert tagged.endswith("S") and tagged != batch_no


def test_prices_before_the_vbp_round_were_higher() -> None:
    drug = _drug()
    assert drug.price_on(date(2019, 11, 30)) == int(437 * 3.5)
    assert drug.price_on(date(2019, 12, 1)) == 437
    assert _drug(vbp_start=None).price_on(date(2017, 1, 1)) == 437


def test_quantities_and_usage_text() -> None:
    drug = _drug()
    assert quantity_units(drug, "P2") == 56 and quantity_units(drug, "U12") == 12
    assert usage_for("苯磺酸氨氯地平片", 1, "片") == "口服 一日1次 一次1片"
    assert usage_for("阿莫西林胶囊", 0, "粒") == "口服 一日3次 一次2粒"
    assert usage_for("某药", 0, "片") == "口服 每日3次 每次1片"  # the usual usage of its route, never 遵医嘱
    assert usage_for("硝酸甘油贴片", 0, "贴") == "外用 每日1次 每次1贴"
    assert usage_for("某药", 2, "片", "外用") == "外用"
