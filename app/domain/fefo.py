"""FEFO allocation (first expiry, first out) and quantities in base units.

A batch is usable on its expiry date and expired from the day after (有效期至 2027-02-15 means the
drug may be dispensed up to and including 15 February 2027). Dispensing takes the usable batch
with the earliest expiry first; ties go to the batch created first (ids are time-ordered UUIDv7).
Expired batches are never touched and stock never goes below zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .digits import ascii_text, is_ascii_digits
from .errors import RuleViolation, ValidationError

#: largest quantity accepted in one operation (base units); anything above is a typing slip
MAX_QUANTITY = 10**9


@dataclass(frozen=True)
class BatchStock:
    """What FEFO needs to know about one batch."""

    batch_id: str
    expiry: date
    on_hand: int


@dataclass(frozen=True)
class Units:
    """A drug's pack and base unit, to say quantities the way the shelf holds them (2盒4片)."""

    pack_unit: str
    base_unit: str
    units_per_pack: int

    def format(self, units: int) -> str:
        return format_quantity(units, self.pack_unit, self.base_unit, self.units_per_pack)


def is_expired(expiry: date, today: date) -> bool:
    """A batch is expired the day after its expiry date."""
    return expiry < today


def fefo_order(batches: list[BatchStock]) -> list[BatchStock]:
    """Batches in the order FEFO uses them: earliest expiry, then oldest id."""
    return sorted(batches, key=lambda b: (b.expiry, b.batch_id))


def allocate(batches: list[BatchStock], quantity: int, today: date,
             units: Units | None = None) -> list[tuple[str, int]]:
    """Split ``quantity`` base units over usable batches, earliest expiry first.

    ``units`` words a refusal in the drug's packs and units (需要 999盒，可用 14盒); without it the
    figures are base units.

    Raises:
        ValidationError: the quantity is not a positive integer within range.
        RuleViolation: not enough unexpired stock (the message says how much there is, and
            whether expired stock is what is left).
    """
    quantity = check_quantity(quantity)
    usable = [b for b in fefo_order(batches) if b.on_hand > 0 and not is_expired(b.expiry, today)]
    available = sum(b.on_hand for b in usable)
    if available < quantity:
        say = units.format if units is not None else str
        expired = sum(b.on_hand for b in batches if b.on_hand > 0 and is_expired(b.expiry, today))
        if available == 0 and expired > 0:
            held = say(expired) if units is not None else f"{expired} 个最小单位"
            raise RuleViolation(f"数量：该药品只剩已过期批次（{held}），过期药品不能发出；请报损后补货", "数量")
        extra = f"（另有已过期 {say(expired)}，不能发出）" if expired else ""
        raise RuleViolation(
            f"数量：库存不足，需要 {say(quantity)}，可用（未过期）只有 {say(available)}{extra}；请减少数量或先入库", "数量"
        )
    result: list[tuple[str, int]] = []
    left = quantity
    for batch in usable:
        take = min(left, batch.on_hand)
        result.append((batch.batch_id, take))
        left -= take
        if left == 0:
            break
    return result


def check_quantity(value: object, field: str = "数量", *, allow_zero: bool = False) -> int:
    """A positive whole number of base units, at most ``MAX_QUANTITY``; else ``ValidationError``."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and is_ascii_digits(ascii_text(value, field).strip()):
            value = _whole(ascii_text(value, field).strip(), field)
        else:
            raise ValidationError(f"{field}“{value}”不是整数，请按最小单位输入整数（如 14）", field)
    if value < 0 or (value == 0 and not allow_zero):
        raise ValidationError(f"{field}必须大于 0（现在是 {value}）", field)
    if value > MAX_QUANTITY:
        raise ValidationError(f"{field} {value} 太大（上限 {MAX_QUANTITY}），请检查是否输错", field)
    return value


_QTY = re.compile(r"^\s*(?:(\d+)\s*([^\d\s]*))\s*(?:(\d+)\s*([^\d\s]*))?\s*$", re.ASCII)


def _whole(digits: str, field: str) -> int:
    """ASCII digits as an int; more digits than any quantity has is refused before ``int()`` reads them."""
    if len(digits.lstrip("0")) > len(str(MAX_QUANTITY)):
        raise ValidationError(f"{field} {digits[:24]}… 太大（上限 {MAX_QUANTITY}），请检查是否输错", field)
    return int(digits)


def parse_quantity(text: str, pack_unit: str, base_unit: str, units_per_pack: int, field: str = "数量") -> int:
    """Turn what a user types into base units.

    ``"2"`` or ``"2盒"`` means two packs, ``"14片"`` fourteen base units, ``"1盒4片"`` one pack and
    four units. When pack and base unit are the same (a bottle sold whole) both read as units.

    >>> parse_quantity("2", "盒", "片", 28)
    56
    >>> parse_quantity("14片", "盒", "片", 28)
    14
    >>> parse_quantity("1盒4片", "盒", "片", 28)
    32
    """
    raw = ascii_text(str(text or ""), field).strip()
    accepted = quantity_hint(pack_unit, base_unit)
    if not raw:
        raise ValidationError(f"{field}为空：{accepted}", field)
    match = None if raw.startswith(_MINUS) or _POINT.search(raw) else _QTY.match(raw)
    if not match:
        problem, tip = _what_is_wrong(raw, pack_unit, base_unit, units_per_pack)
        raise ValidationError(f"{field}“{raw}”{problem}：{accepted}" + (f"；{tip}" if tip else ""), field)
    total = 0
    seen: set[str] = set()
    for number, unit in (match.group(1, 2), match.group(3, 4)):
        if number is None:
            continue
        unit = unit or pack_unit
        if unit in seen:
            raise ValidationError(f"{field}“{raw}”里的单位“{unit}”重复了", field)
        seen.add(unit)
        if unit == base_unit:
            total += _whole(number, field)
        elif unit == pack_unit:
            total += _whole(number, field) * units_per_pack
        else:
            raise ValidationError(
                f"{field}“{raw}”的单位“{unit}”不对：该药品只能用“{pack_unit}”或“{base_unit}”；{accepted}", field
            )
    if total == 0:
        raise ValidationError(f"{field}不能为 0：{accepted}", field)
    return check_quantity(total, field)


def quantity_hint(pack_unit: str, base_unit: str) -> str:
    """What a quantity box accepts: ``请输入整数，如 2 或 14片（2 即 2盒）``."""
    if not pack_unit or pack_unit == base_unit:
        return f"请输入整数，如 2 或 14{base_unit or pack_unit}"
    return f"请输入整数，如 2 或 14{base_unit}（2 即 2{pack_unit}）"


_MINUS = ("-", "－", "—", "−")
_POINT = re.compile(r"\d?[.．。]\d", re.ASCII)
_DECIMAL = re.compile(r"^\s*(\d*)[.．。](\d+)\s*([^\d\s]*)\s*$", re.ASCII)


def _what_is_wrong(raw: str, pack_unit: str, base_unit: str, units_per_pack: int) -> tuple[str, str]:
    """Why ``raw`` is not a quantity (a minus sign, a decimal point, no digits, stray text), and a tip."""
    if raw.startswith(_MINUS):
        return "是负数", ""
    if _POINT.search(raw):
        decimal = _DECIMAL.match(raw)
        if decimal and decimal.group(3) in ("", pack_unit) and pack_unit != base_unit:
            value = float(f"{decimal.group(1) or 0}.{decimal.group(2)}")
            in_units = value * units_per_pack
            if in_units.is_integer() and in_units > 0:
                return "是小数", f"{value:g}{pack_unit} 即 {int(in_units)}{base_unit}"
        return "是小数", ""
    if not any(ch.isdigit() for ch in raw):
        return "里没有数字", ""
    return "写法不对", f"整盒加零头写成 1{pack_unit}4{base_unit}" if pack_unit != base_unit else ""


def split_packs(units: int, units_per_pack: int) -> tuple[int, int]:
    """Base units as (whole packs, loose units): 60 tablets of 28 → (2, 4)."""
    if units_per_pack <= 1:
        return units, 0
    sign = -1 if units < 0 else 1
    packs, loose = divmod(abs(units), units_per_pack)
    return sign * packs, sign * loose


def format_quantity(units: int, pack_unit: str, base_unit: str, units_per_pack: int) -> str:
    """'2盒4片', '3片', '0片' — how a quantity is shown."""
    packs, loose = split_packs(units, units_per_pack)
    if units_per_pack <= 1 or pack_unit == base_unit:
        return f"{units}{base_unit}"
    text = (f"{packs}{pack_unit}" if packs else "") + (f"{abs(loose) if packs else loose}{base_unit}" if loose else "")
    return text or f"0{base_unit}"
