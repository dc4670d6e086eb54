"""The money split of a visit is declared once, in ``app.domain.policy.Split``: a saved settlement, the
live preview and a receipt hold a ``Split`` instead of restating its figures, and the settlements
columns map to it and back in one place (``split_columns`` / ``split_of``)."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import typing
from datetime import date

import pytest

import app.domain
import app.printing
import app.services
from app.db.models import Settlement
from app.domain.policy import Split
from app.printing.receipt import ReceiptData
from app.services.settlement.types import SPLIT_COLUMNS, Preview, SettlementInfo, split_columns, split_of

#: what a value would restate if it copied the split: its fields and its derived figures
SPLIT_NAMES = {f.name for f in dataclasses.fields(Split)} | {"fund_total_fen", "patient_pays_fen"}
MONEY_NAMES = {name for name in SPLIT_NAMES if name.endswith("_fen")}

SPLIT = Split(total_fen=9000, fund_fen=2100, general_fee_fund_fen=800, assistance_fen=450, self_paid_fen=3650,
              self_funded_fen=2000, b_pre_self_fen=300, deductible_fen=1000, eligible=True,
              waiting_until=date(2026, 6, 10), reason="普通门诊统筹按60%支付；" * 20)


@pytest.mark.parametrize("cls", [SettlementInfo, Preview, ReceiptData])
def test_values_hold_the_split_instead_of_copying_its_figures(cls: type) -> None:
    declared = {f.name for f in dataclasses.fields(cls)} | {n for n in vars(cls) if not n.startswith("_")}
    assert declared & SPLIT_NAMES == set(), f"{cls.__name__} restates the split"
    assert typing.get_type_hints(cls)["split"] is Split


def _dataclasses_in(*packages) -> list[type]:  # noqa: ANN002
    found = {}
    for package in packages:
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            loaded = importlib.import_module(module.name)
            for value in vars(loaded).values():
                if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.name:
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def test_no_other_value_in_app_restates_the_split() -> None:
    """A value with four or more of the split's money figures is a copy of it (a year-to-date sum has three)."""
    values = _dataclasses_in(app.domain, app.services, app.printing)
    assert Split in values and SettlementInfo in values and len(values) > 20
    copies = {f"{cls.__module__}.{cls.__qualname__}": sorted(names)
              for cls in values if cls is not Split
              and len(names := {f.name for f in dataclasses.fields(cls)} & MONEY_NAMES) >= 4}
    assert copies == {}


def test_columns_map_to_the_split_and_back() -> None:
    assert SPLIT_COLUMNS == tuple(f.name for f in dataclasses.fields(Split))
    assert set(SPLIT_COLUMNS) <= set(Settlement.__table__.columns.keys())
    values = split_columns(SPLIT)
    assert set(values) == set(SPLIT_COLUMNS)
    assert values["reason"] == SPLIT.reason[:128] and len(SPLIT.reason) > 128  # the column's length
    stored = dataclasses.replace(SPLIT, reason=SPLIT.reason[:128])
    assert split_of(values) == stored  # a mapping of columns (a Core row)
    assert split_of(Settlement(**values)) == stored  # an ORM row
    assert {k: v for k, v in values.items() if k != "reason"} == {
        k: v for k, v in dataclasses.asdict(SPLIT).items() if k != "reason"}


def test_derived_figures() -> None:
    assert SPLIT.fund_total_fen == 2100 + 800
    assert SPLIT.patient_pays_fen == 3650 + 2000
    assert (SPLIT.fund_total_fen + SPLIT.assistance_fen + SPLIT.patient_pays_fen) == SPLIT.total_fen
