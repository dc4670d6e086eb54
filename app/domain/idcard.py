"""Resident ID numbers (GB 11643-1999 公民身份号码) and phone numbers.

An 18-character number is: 6 digits of region (the first two a real province-level code), 8 digits
of birth date (YYYYMMDD), 3 digits of sequence (odd = male, even = female) and a check digit
(ISO 7064 MOD 11-2, ``X`` for 10). A legacy 15-digit number (region, YYMMDD, sequence, no check
digit) is converted to 18 by inserting the century ``19`` and computing the check digit.

Everything here is pure: ``today`` can be passed in so that "not in the future" is testable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .digits import ascii_text, is_ascii_digits
from .errors import ValidationError
from . import clock

# GB/T 2260 province-level codes (省、自治区、直辖市、台湾、香港、澳门).
PROVINCE_CODES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
    "71": "台湾", "81": "香港", "82": "澳门",
}  # fmt: skip

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH = date(1900, 1, 1)

_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_AREA = re.compile(r"0\d{2,3}", re.ASCII)
_LOCAL = re.compile(r"[1-9]\d{6,7}", re.ASCII)
_EXTENSION = re.compile(r"\d{1,6}", re.ASCII)


@dataclass(frozen=True)
class IdCard:
    """A checked ID number and what it tells: birth date, sex ("M"/"F") and 6-digit region code."""

    number: str
    birth_date: date
    sex: str
    region_code: str

    @property
    def province(self) -> str:
        return PROVINCE_CODES[self.region_code[:2]]

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day``."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)


def check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(ch) * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def convert_15_to_18(number15: str) -> str:
    """Legacy 15-digit number → 18 digits (century 19, computed check digit). No other checks."""
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_digit(first17)


def parse_id_number(text: str, field: str = "身份证号", today: date | None = None) -> IdCard:
    """Check an ID number and return it normalised (18 characters, upper-case X).

    Args:
        text: what the user typed or scanned; spaces are ignored, a lower-case ``x`` is accepted, and
            full-width digits and X are read as ASCII (digits of other scripts are refused).
        field: the field name used in error messages.
        today: the reference day for "birth date not in the future" (default: the system date).

    Raises:
        ValidationError: with ``field`` set and a message saying what is wrong.
    """
    raw = re.sub(r"\s", "", ascii_text(text or "", field)).upper()
    if not raw:
        raise ValidationError(f"{field}不能为空，请输入18位身份证号", field)
    if len(raw) == 15:
        if not is_ascii_digits(raw):
            raise ValidationError(f"{field}“{raw}”：15位旧号码只能是数字，请核对", field)
        raw = convert_15_to_18(raw)
    elif len(raw) != 18:
        raise ValidationError(f"{field}“{raw}”应为18位（或15位旧号码），现在是{len(raw)}位，请核对", field)
    if not is_ascii_digits(raw[:17]) or not (is_ascii_digits(raw[17]) or raw[17] == "X"):
        raise ValidationError(f"{field}“{raw}”：前17位应为数字，最后一位为数字或X，请核对", field)
    if raw[:2] not in PROVINCE_CODES:
        raise ValidationError(f"{field}“{raw}”：开头的地区码“{raw[:2]}”不是有效的省级代码，请核对", field)
    try:
        born = date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
    except ValueError:
        raise ValidationError(f"{field}“{raw}”：出生日期“{raw[6:14]}”不是有效日期，请核对", field) from None
    today = today or clock.today()
    if born > today:
        raise ValidationError(f"{field}“{raw}”：出生日期 {born.isoformat()} 晚于今天，请核对", field)
    if born < _EARLIEST_BIRTH:
        raise ValidationError(f"{field}“{raw}”：出生日期 {born.isoformat()} 早于1900年，请核对", field)
    if check_digit(raw[:17]) != raw[17]:
        raise ValidationError(f"{field}“{raw}”的校验位不对，请逐位核对号码（最后一位可能是X）", field)
    sex = "M" if int(raw[16]) % 2 == 1 else "F"
    return IdCard(number=raw, birth_date=born, sex=sex, region_code=raw[:6])


def mask_id(number: str) -> str:
    """Hide the middle of an ID number: first 3 and last 4 kept ('410***********1234')."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def check_phone(text: str, field: str = "手机号") -> str:
    """Check a phone number and return it normalised.

    A mobile number is 11 digits starting with 1[3-9] (spaces, dashes and a leading +86 are
    removed): '138 0013 8000' → '13800138000'. A landline is an area code starting with 0 and a
    7–8 digit local number, returned as '0371-12345678' (an extension is kept as '-123').

    Raises:
        ValidationError: with ``field`` set when the text is neither.
    """
    raw = ascii_text(text or "", field).strip()
    if not raw:
        raise ValidationError(f"{field}不能为空", field)
    compact = re.sub(r"[\s-]", "", raw)
    if compact.startswith("+86"):
        compact = compact[3:]
    elif compact.startswith("0086"):
        compact = compact[4:]
    if _MOBILE.fullmatch(compact):
        return compact
    landline = _split_landline(raw)
    if landline is not None:
        area, local, ext = landline
        if (area[1] in "12") != (len(area) == 3):
            raise ValidationError(f"{field}“{raw}”的区号“{area}”不对，请核对", field)
        return f"{area}-{local}" + (f"-{ext}" if ext else "")
    raise ValidationError(
        f"{field}“{raw}”不是有效号码：手机号为1开头的11位数字，固定电话如 0371-12345678", field
    )


def _split_landline(raw: str) -> tuple[str, str, str] | None:
    """'(0371)12345678' or '0371-12345678-123' text → (area, local, extension); None when it is not a landline."""
    text = raw.replace("（", "(").replace("）", ")").replace("转", "-")
    text = re.sub(r"^\((\d+)\)", r"\1-", text.strip())
    parts = [p for p in re.split(r"[\s-]+", text) if p]
    if len(parts) == 1 and is_ascii_digits(parts[0]) and parts[0].startswith("0"):
        digits = parts[0]
        split = 3 if digits[1:2] in ("1", "2") else 4  # 010 and 02x have 3-digit area codes
        parts = [digits[:split], digits[split:]]
    if len(parts) == 3 and _EXTENSION.fullmatch(parts[2]) is None:
        return None
    if len(parts) not in (2, 3) or not _AREA.fullmatch(parts[0]) or not _LOCAL.fullmatch(parts[1]):
        return None
    return parts[0], parts[1], parts[2] if len(parts) == 3 else ""
