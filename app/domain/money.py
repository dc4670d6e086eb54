"""Money is integer fen; ratios are integer basis points; rounding is half-up to the fen."""

from __future__ import annotations

from .digits import ascii_text, is_ascii_digits
from .errors import ValidationError


def round_half_up_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half-up (away from zero for positive values).

    >>> round_half_up_div(5, 2)
    3
    >>> round_half_up_div(4, 2)
    2
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if numerator >= 0:
        return (2 * numerator + denominator) // (2 * denominator)
    return -round_half_up_div(-numerator, denominator)


def apply_bp(amount_fen: int, ratio_bp: int) -> int:
    """``amount × ratio_bp / 10000`` rounded half-up to the fen."""
    return round_half_up_div(amount_fen * ratio_bp, 10000)


def fen_to_yuan(fen: int) -> str:
    """Show fen as yuan with two decimals: 12345 → '123.45', -5 → '-0.05'."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(text: str, field: str = "金额") -> int:
    """Parse a yuan amount typed by a user ('12', '12.5', '12.50', full-width '１２．５') into fen, exactly.

    Raises:
        ValidationError: naming ``field`` for anything else, digits of other scripts (``²``) included.
    """
    raw = ascii_text(text, field).strip().replace(",", "").replace("¥", "").replace("￥", "").replace("元", "")
    if not raw:
        raise ValidationError(f"{field}不能为空", field)
    negative = raw.startswith("-")
    if negative:
        raw = raw[1:]
    whole, _, frac = raw.partition(".")
    if not is_ascii_digits(whole) and not (whole == "" and is_ascii_digits(frac)):
        raise ValidationError(f"{field}“{text}”不是有效金额，请输入如 12.50 的数字", field)
    if len(whole.lstrip("0")) > 13:
        raise ValidationError(f"{field}“{text[:24]}…”太大，请检查是否输错", field)
    if frac and (not is_ascii_digits(frac) or len(frac) > 2):
        raise ValidationError(f"{field}“{text}”最多两位小数（精确到分）", field)
    fen = int(whole or "0") * 100 + int((frac + "00")[:2])
    return -fen if negative else fen
