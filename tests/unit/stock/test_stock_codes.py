"""Trace code and national code format checks."""

from __future__ import annotations

import pytest

from app.domain.codes import BLANK_NATIONAL_WARNING, check_national_code, check_trace_code, looks_like_trace_code
from app.domain.errors import ValidationError


def test_trace_code_accepts_20_digits_starting_with_8() -> None:
    assert check_trace_code(" 81234567890123456789\n") == "81234567890123456789"
    assert looks_like_trace_code("81234567890123456789")


@pytest.mark.parametrize(
    "code", ["71234567890123456789", "8123456789012345678", "812345678901234567890", "8123456789012345678X", ""]
)
def test_malformed_trace_code_names_the_field(code: str) -> None:
    with pytest.raises(ValidationError) as err:
        check_trace_code(code)
    assert err.value.field == "药品追溯码"
    assert "药品追溯码" in str(err.value)


def test_national_codes_western_and_patent() -> None:
    assert check_national_code("xa01abd075a002010100483") == ("XA01ABD075A002010100483", None)
    assert check_national_code("ZA04AAX0123010100483") == ("ZA04AAX0123010100483", None)


def test_blank_national_code_allowed_with_warning() -> None:
    assert check_national_code("  ") == ("", BLANK_NATIONAL_WARNING)


@pytest.mark.parametrize(
    "code,hint",
    [("XA01ABD075A00201010048", "23"), ("ZA04AAX012301010048", "20"), ("YA01ABD075A002010100483", "开头"),
     ("XA01ABD075A00201010048-", "23")],
)
def test_malformed_national_code(code: str, hint: str) -> None:
    with pytest.raises(ValidationError) as err:
        check_national_code(code)
    assert err.value.field == "医保药品编码"
    assert "医保药品编码" in str(err.value) and hint in str(err.value)
