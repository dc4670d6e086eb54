"""The arithmetic of the monthly unified statement 统一结算单 (DESIGN §1, §9): months as text, and the
deduction of what the township supplied from what the village is owed (代扣代结).

Deduction order: the fund receivable first (the pooling fund paid on the village's settlements that
month), then the basic-drug subsidy 基药补助; the rest is carried to the next month. Money is integer fen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from .digits import ascii_text
from .errors import ValidationError

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{1,2})$")


@dataclass(frozen=True)
class Deduction:
    """How one month's amount due is settled: ``due = from_fund + from_subsidy + carried_out``."""

    from_fund_fen: int
    from_subsidy_fen: int
    carried_out_fen: int


def deduct(due_fen: int, fund_fen: int, subsidy_fen: int) -> Deduction:
    """Deduct ``due_fen`` first from the fund receivable, then from the subsidy; carry the rest.

    Nothing is taken from a negative source (a month whose reversals exceed its settlements owes the
    village nothing from the fund) and nothing is taken for a negative amount due (a month of more
    returns than supplies carries its credit forward).

    >>> deduct(10000, 6000, 3000)
    Deduction(from_fund_fen=6000, from_subsidy_fen=3000, carried_out_fen=1000)
    >>> deduct(5000, 6000, 3000)
    Deduction(from_fund_fen=5000, from_subsidy_fen=0, carried_out_fen=0)
    >>> deduct(-200, 6000, 3000)
    Deduction(from_fund_fen=0, from_subsidy_fen=0, carried_out_fen=-200)
    """
    from_fund = max(0, min(max(due_fen, 0), fund_fen))
    from_subsidy = max(0, min(due_fen - from_fund, subsidy_fen))
    return Deduction(from_fund, from_subsidy, due_fen - from_fund - from_subsidy)


def parse_month(text: str, field: str = "月份") -> str:
    """'2026-05' or '2026-5' → '2026-05'. Raises ``ValidationError`` naming ``field``."""
    raw = ascii_text(text or "", field).strip()
    found = _MONTH.match(raw)
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise ValidationError(f"{field}“{text}”格式不对，应为 YYYY-MM，如 2026-05", field)
    return f"{int(found.group(1)):04d}-{int(found.group(2)):02d}"


def month_of(day: date | datetime) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_start(month: str) -> date:
    year, mon = (int(x) for x in month.split("-"))
    return date(year, mon, 1)


def next_month(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    return f"{year + (mon == 12):04d}-{mon % 12 + 1:02d}"


def previous_month(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    return f"{year - (mon == 1):04d}-{(mon - 2) % 12 + 1:02d}"


def month_span(month: str) -> tuple[datetime, datetime]:
    """The month as a half-open range of times [first day 00:00, next month's first day 00:00)."""
    start = month_start(month)
    end = month_start(next_month(month))
    return datetime.combine(start, datetime.min.time()), datetime.combine(end, datetime.min.time())


def month_label(month: str) -> str:
    """'2026-05' → '2026年5月'."""
    year, mon = (int(x) for x in month.split("-"))
    return f"{year}年{mon}月"
