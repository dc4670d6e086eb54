"""Format checks for the codes printed on drug packs and in the national catalog.

* 药品追溯码 (trace code): 20 digits, the first one ``8`` (the national drug traceability code
  printed on every box; scanned at receipt and at sale).
* 医保药品编码 (national medical-insurance drug code): western drugs are ``X`` followed by 22
  letters/digits (23 in all), Chinese patent medicines ``Z`` followed by 19 (20 in all). A blank code
  is allowed (a drug not yet listed) but returns a warning so the screen can say so.
"""

from __future__ import annotations

import re

from .digits import ascii_text, is_ascii_digits
from .errors import ValidationError

TRACE_FIELD = "药品追溯码"
NATIONAL_FIELD = "医保药品编码"

_TRACE = re.compile(r"8\d{19}", re.ASCII)
_WESTERN = re.compile(r"X[0-9A-Z]{22}")
_PATENT = re.compile(r"Z[0-9A-Z]{19}")

#: warning returned for a blank national code (the drug can be kept, but not settled under 医保 upload)
BLANK_NATIONAL_WARNING = "未填写医保药品编码：该药品不能上传医保平台，请尽快补录（西药 X 开头 23 位，中成药 Z 开头 20 位）"


def check_trace_code(code: str, field: str = TRACE_FIELD) -> str:
    """Return the normalised trace code or raise ``ValidationError`` naming the field.

    >>> check_trace_code(" 81234567890123456789 ")
    '81234567890123456789'
    """
    raw = ascii_text(str(code or ""), field).strip().replace(" ", "")
    if not raw:
        raise ValidationError(f"{field}为空，请扫描药盒上的 20 位追溯码", field)
    if not _TRACE.fullmatch(raw):
        detail = f"现在是 {len(raw)} 位" if is_ascii_digits(raw) else "只能包含数字"
        raise ValidationError(
            f"{field}“{raw}”格式不对：应为以 8 开头的 20 位数字（{detail}），请重新扫描", field
        )
    return raw


def check_national_code(code: str | None, field: str = NATIONAL_FIELD) -> tuple[str, str | None]:
    """Normalise a national drug code; return ``(code, warning_or_None)``.

    Raises ``ValidationError`` naming the field when the code is present but malformed.

    >>> check_national_code("xa01abd075a002010100483")
    ('XA01ABD075A002010100483', None)
    >>> check_national_code("")[0]
    ''
    """
    raw = ascii_text(str(code or ""), field).strip().upper().replace(" ", "")
    if not raw:
        return "", BLANK_NATIONAL_WARNING
    if raw[0] == "X":
        if not _WESTERN.fullmatch(raw):
            raise ValidationError(
                f"{field}“{raw}”格式不对：西药编码应为 X 开头共 23 位字母或数字（现在 {len(raw)} 位）", field
            )
    elif raw[0] == "Z":
        if not _PATENT.fullmatch(raw):
            raise ValidationError(
                f"{field}“{raw}”格式不对：中成药编码应为 Z 开头共 20 位字母或数字（现在 {len(raw)} 位）", field
            )
    else:
        raise ValidationError(
            f"{field}“{raw}”格式不对：应以 X（西药，23 位）或 Z（中成药，20 位）开头；没有编码可留空", field
        )
    return raw, None


def looks_like_trace_code(text: str) -> bool:
    """True when scanner input is shaped like a trace code (used to route scans)."""
    return bool(_TRACE.fullmatch(str(text or "").strip()))
