"""Password hashing with scrypt (memory-hard), and the lockout rule."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import datetime, timedelta

from .errors import ValidationError

# n=2**14, r=8 → 16 MiB per hash: memory-hard, ~50 ms on a clinic PC
_N, _R, _P = 2**14, 8, 1
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_LENGTH = 6


def hash_password(password: str) -> str:
    check_password_strength(password)
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "scrypt${}${}${}${}${}".format(
        _N, _R, _P, base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(actual, base64.b64decode(digest))


def check_password_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"密码至少需要 {MIN_LENGTH} 位，请重新设置", "密码")


def lock_after_failure(failed_count: int, at: datetime) -> datetime | None:
    """The time an account stays locked until, after ``failed_count`` consecutive failures."""
    return at + LOCKOUT if failed_count >= MAX_FAILURES else None
