"""The hub's database connection, its one-writer lock, and the hashing of its secrets.

SQLite (a file in the hub's home) uses the sites' engine recipe (``app.db.engine``): every transaction
begins with ``BEGIN IMMEDIATE``, so one writer at a time. PostgreSQL takes
``pg_advisory_xact_lock(APPLY_LOCK)`` inside the applying transaction; the lock is held until commit.
Either way the changelog ``seq`` is given while no other writer can commit, so seq order is commit order.

Tokens and enrollment secrets are stored as salted scrypt hashes, never as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, make_url, text

from app.db.engine import make_engine

#: the advisory lock key of the changelog writer (any fixed 64-bit number; "cunyi" in ASCII)
APPLY_LOCK = 0x63756E7969

#: scrypt's cost: the secrets are 256 random bits (``new_secret``), beyond any guessing whatever the cost,
#: so the hash is there to keep a stolen database from holding usable tokens, not to slow guessing down
_SCRYPT = {"n": 2**12, "r": 8, "p": 1, "dklen": 32}


def open_engine(url: str) -> Engine:
    """An engine on the hub database at ``url`` (``sqlite:///FILE`` or ``postgresql+psycopg://…``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database:
            raise ValueError("SQLite 数据库需要文件路径")
        return make_engine(parsed.database)
    return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)


@contextmanager
def transaction(engine: Engine, *, apply_lock: bool = False) -> Iterator[Connection]:
    """One database transaction, committed on success and rolled back on any error.

    Args:
        engine: the hub's engine.
        apply_lock: take the changelog writer's lock first (PostgreSQL; SQLite always has one writer).
    """
    with engine.begin() as conn:
        if apply_lock and conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPLY_LOCK})
        yield conn


def hash_secret(secret: str) -> str:
    """A salted scrypt hash of ``secret``, as stored (``scrypt$n$r$p$salt$hash``)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode("utf-8"), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str | None) -> bool:
    """True when ``secret`` is the one ``stored`` was made from."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        mine = hashlib.scrypt(secret.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                              dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(mine.hex(), digest)


def new_secret(prefix: str) -> str:
    """A new random secret: ``prefix.`` and 32 random bytes in URL-safe base64 (the prefix finds its row)."""
    return f"{prefix}.{secrets.token_urlsafe(32)}"
