"""Dates typed by hand: an expiry date from a box, a label or a supplier's invoice."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date

from app.domain.digits import ascii_text, is_ascii_digits
from app.domain.errors import ValidationError


def parse_date(text: str, field: str = "效期", *, month_end: bool = True) -> date:
    """'2027-06-30', '20270630', '2027.6.30', '2027年6月30日'; '2027-06' / '202706' mean the month's last day.

    Raises ``ValidationError`` naming ``field``.
    """
    raw = ascii_text(text or "", field).strip().replace(" ", "")
    if not raw:
        raise ValidationError(f"{field}不能为空，请输入日期，如 2027-06-30", field)
    if is_ascii_digits(raw) and len(raw) in (6, 8):
        parts = [raw[:4], raw[4:6]] + ([raw[6:]] if len(raw) == 8 else [])
    else:
        parts = [p for p in re.split(r"[-./年月日]", raw) if p]
    if len(parts) not in (2, 3) or not all(is_ascii_digits(p) and len(p) <= 4 for p in parts) or len(parts[0]) != 4:
        raise ValidationError(f"{field}“{text}”看不懂，请输入如 2027-06-30 或 20270630 的日期", field)
    year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12:
        raise ValidationError(f"{field}“{text}”的月份不对（应为 1–12）", field)
    last = monthrange(year, month)[1]
    if len(parts) == 2:
        if not month_end:
            raise ValidationError(f"{field}“{text}”缺少日，请输入完整日期", field)
        return date(year, month, last)
    day = int(parts[2])
    if not 1 <= day <= last:
        raise ValidationError(f"{field}“{text}”这一天不存在", field)
    return date(year, month, day)
