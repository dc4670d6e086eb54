"""验收入库: mistakes are reported in the order the form shows its fields (药品, 批号, 效期, 数量, 进价,
追溯码), and a batch within the near-expiry window is received only once the user has confirmed it."""

from __future__ import annotations

import pytest
from stock_helpers import Clinic, days

from app.domain.errors import CunyiError, RuleViolation, ValidationError
from app.services.stock.service import NearExpiryError

BAD_CODE = "12345"  # not a trace code (20 digits starting with 8)
CODE = "81000000000000000009"


def _refused(clinic: Clinic, error: type[CunyiError], field: str, *words: str, **kw: object) -> CunyiError:
    args = {"drug_id": clinic.amox.id, "batch_no": "A1", "expiry": days(400), "quantity": "2", **kw}
    before = clinic.fingerprint()
    with pytest.raises(error) as err:
        clinic.sv.stock.receive(args.pop("drug_id"), args.pop("batch_no"), args.pop("expiry"), args.pop("quantity"),
                                **args)
    assert err.value.field == field, str(err.value)
    for word in words:
        assert word in str(err.value), str(err.value)
    assert clinic.fingerprint() == before  # nothing written
    return err.value


def test_a_bad_quantity_is_reported_before_the_trace_codes(clinic: Clinic) -> None:
    _refused(clinic, ValidationError, "数量", "1.5", "整数", quantity="1.5", trace_codes=[BAD_CODE])
    _refused(clinic, ValidationError, "数量", quantity="abc", trace_codes=[CODE, CODE])


def test_an_expired_date_is_reported_before_quantity_cost_and_codes(clinic: Clinic) -> None:
    _refused(clinic, RuleViolation, "效期", "过期", expiry=days(-1), quantity="abc", pack_cost_fen=-5,
             trace_codes=[BAD_CODE])


def test_the_batch_number_comes_before_the_date_and_the_quantity(clinic: Clinic) -> None:
    _refused(clinic, ValidationError, "批号", "不能为空", batch_no=" ", expiry=days(-1), quantity="abc")


def test_the_cost_comes_before_the_codes(clinic: Clinic) -> None:
    _refused(clinic, ValidationError, "进价", pack_cost_fen=-1, trace_codes=[BAD_CODE])


def test_a_near_expiry_batch_needs_confirmation_naming_the_days_left(clinic: Clinic) -> None:
    error = _refused(clinic, NearExpiryError, "效期", "只剩 100 天", days(100).isoformat(), expiry=days(100))
    assert (error.days_left, error.expiry, error.near_days) == (100, days(100), 180)
    batch = clinic.sv.stock.receive(clinic.amox.id, "A1", days(100), "2", accept_near_expiry=True)
    assert [(b.batch_id, b.on_hand_units, b.days_left) for b in clinic.sv.stock.batches()] == [(batch, 48, 100)]


def test_the_near_expiry_question_comes_after_every_field_is_valid(clinic: Clinic) -> None:
    _refused(clinic, ValidationError, "数量", expiry=days(30), quantity="abc")
    _refused(clinic, ValidationError, "药品追溯码", expiry=days(30), trace_codes=[BAD_CODE])


def test_the_window_is_the_sites_near_expiry_setting(clinic: Clinic) -> None:
    _refused(clinic, NearExpiryError, "效期", "只剩 180 天", expiry=days(180))
    clinic.sv.stock.receive(clinic.amox.id, "A2", days(181), "1")  # just outside: no question
    clinic.sv.settings.set("near_expiry_days", 60)
    clinic.sv.stock.receive(clinic.amox.id, "A3", days(100), "1")
    _refused(clinic, NearExpiryError, "效期", "只剩 60 天", "60 天内", expiry=days(60))
