"""The enrollment code a township admin hands to a new site (``cunyi-hub add-site``).

It carries the hub's address, the SHA-256 fingerprint of the hub's certificate (the site pins it, so
no one in between can pose as the hub) and a one-time secret. It is one line of text, short enough for
a QR code, that a scanner can type and a doctor can paste::

    CY1-<base64url of {"u": url, "f": fingerprint, "s": secret}>-<4 hex digits of its SHA-256>

The check digits catch a code cut short or mistyped before anything is sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass

from app.domain.errors import ValidationError

PREFIX = "CY1-"
FIELD = "同步码"
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class EnrollmentCode:
    """What an enrollment code says.

    Attributes:
        hub_url: the hub's base URL (``https://host:port``).
        fingerprint: the SHA-256 of the hub certificate (DER), 64 lower-case hex digits.
        secret: the one-time secret the hub checks at enrollment.
    """

    hub_url: str
    fingerprint: str
    secret: str


def _check(body: str) -> str:
    return hashlib.sha256(body.encode("ascii")).hexdigest()[:4]


def encode(code: EnrollmentCode) -> str:
    """The one-line text of ``code``."""
    raw = json.dumps({"u": code.hub_url, "f": code.fingerprint, "s": code.secret}, separators=(",", ":"))
    body = base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{PREFIX}{body}-{_check(body)}"


def _bad(what: str) -> ValidationError:
    return ValidationError(
        f"同步码无效：{what}。同步码由乡镇管理员用 cunyi-hub add-site 生成，形如 CY1-…，"
        "请完整复制或重新扫码；仍不行请向乡镇管理员要一个新的同步码", field=FIELD)


def decode(text: str) -> EnrollmentCode:
    """Read an enrollment code typed, pasted or scanned (surrounding blanks are ignored).

    Raises:
        ValidationError: the text is not a whole, unaltered enrollment code (Chinese message).
    """
    text = "".join((text or "").split())
    if not text:
        raise _bad("没有输入内容")
    if not text.upper().startswith(PREFIX):
        raise _bad("应以 CY1- 开头")
    rest = text[len(PREFIX):]
    body, dash, check = rest.rpartition("-")
    if not dash or not body or len(check) != 4:
        raise _bad("内容不完整（末尾应有 4 位校验码）")
    if _check(body) != check.lower():
        raise _bad("校验码不符，可能复制不全或有错字")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad("内容无法解读") from None
    if not isinstance(data, dict):
        raise _bad("内容无法解读")
    url, fingerprint, secret = data.get("u"), data.get("f"), data.get("s")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise _bad("缺少以 https:// 开头的乡镇同步服务地址")
    if not isinstance(fingerprint, str) or not _FINGERPRINT.match(fingerprint):
        raise _bad("缺少证书指纹（64 位十六进制）")
    if not isinstance(secret, str) or not secret:
        raise _bad("缺少一次性密钥")
    return EnrollmentCode(url.rstrip("/"), fingerprint, secret)
