"""Fixed clock and ID-number helper shared by the settlement tests (a uniquely named module, so
test files never import ``conftest`` by name)."""

from __future__ import annotations

from datetime import datetime

from app.domain.idcard import check_digit

AT = datetime(2026, 11, 23, 9, 30)
DAY = AT.date()
PASSWORD = "demo1234"


def id_number(birth: str, seq: str = "123", region: str = "410102") -> str:
    """A valid 18-digit ID number for birth date 'YYYYMMDD' (odd seq → male)."""
    first17 = region + birth + seq
    return first17 + check_digit(first17)
