"""Numbers typed by people: full-width digits are accepted, every other script is refused.

Chinese input methods easily produce full-width characters (``４１０１０２…``, ``１２．５``), so these
are turned into ASCII before any check. Other characters that Python calls digits are refused with a
message naming the field: Arabic-Indic ``٣``, superscripts ``²``, circled ``①`` and the like.
``str.isdigit()`` accepts them while ``int()`` reads some and fails on others, so a check built on
``isdigit()`` either lets a second spelling of the same ID number through or crashes; every field
that reads a number from user text goes through :func:`ascii_text` / :func:`is_ascii_digits` /
:func:`parse_int` instead.
"""

from __future__ import annotations

from .errors import ValidationError

#: full-width digits, X/x (ID numbers), decimal point, minus and plus, and the ideographic space
#: (``str.translate`` table; for search boxes that look up rather than refuse)
FULL_WIDTH = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, "Ｘ": "X", "ｘ": "x", "．": ".", "－": "-", "＋": "+", "\u3000": " ", "\xa0": " "}
)


def ascii_text(text: str, field: str) -> str:
    """``text`` with full-width digits, X, ``．``, ``－``, ``＋`` and spaces made ASCII.

    >>> ascii_text("４１０１ｘ", "身份证号")
    '4101x'

    Raises:
        ValidationError: naming ``field`` when a digit of another script remains (``²``, ``٣``, ``①``).
    """
    out = str(text if text is not None else "").translate(FULL_WIDTH)
    for ch in out:
        if not ch.isascii() and (ch.isdigit() or ch.isdecimal()):
            raise ValidationError(f"{field}“{text}”里的“{ch}”不是普通数字，请用 0–9 输入", field)
    return out


def is_ascii_digits(text: str) -> bool:
    """True when ``text`` is one or more of 0–9 and nothing else (``"²"``, ``"٣"``, ``""`` are not)."""
    return text.isascii() and text.isdigit()


def parse_int(text: object, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number typed by a user (full-width accepted, an optional leading minus), within bounds.

    >>> parse_int(" １２ ", "补缴年数", minimum=0, maximum=20)
    12

    Raises:
        ValidationError: naming ``field`` for text that is not a whole number or is out of bounds.
    """
    raw = ascii_text(str(text if text is not None else ""), field).strip()
    digits = raw[1:] if raw.startswith("-") else raw
    if not is_ascii_digits(digits):
        raise ValidationError(f"{field}“{raw}”不是整数，请输入 0–9 组成的整数", field)
    if len(digits.lstrip("0")) > 18:
        raise ValidationError(f"{field}“{raw[:24]}…”太大，请检查是否输错", field)
    value = int(raw)
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        low = "" if minimum is None else str(minimum)
        high = "" if maximum is None else str(maximum)
        raise ValidationError(f"{field} {value} 超出范围（应为 {low}–{high}）", field)
    return value
