"""Expected failures, each with a Chinese message that names the field and says what to do.

The UI shows ``str(error)`` as it is; the CLI prints it on stderr and exits 1.
"""

from __future__ import annotations


class CunyiError(Exception):
    """Base of every expected failure."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class ValidationError(CunyiError):
    """Input that breaks a rule: a bad ID number, a negative quantity, a malformed code."""


class NotFoundError(CunyiError):
    """A referenced record (drug, resident, batch…) does not exist."""


class RuleViolation(CunyiError):
    """Valid input that the business rules refuse: stock too low, expired batch only, over cap."""


class PermissionDenied(CunyiError):
    """The signed-in user's role may not do this."""


class ForeignRecordError(CunyiError):
    """A write to a record owned by another site."""


class AuthError(CunyiError):
    """Wrong user name or password, or a locked account."""


class PolicyError(ValidationError):
    """A policy file or a settlement case that does not follow DESIGN §5."""


class DatabaseBusy(CunyiError):
    """Another program held the database's write lock for longer than a write waits; nothing was written.

    The user can simply try again (DESIGN §3: one writer at a time, writes wait for each other).
    """

    DEFAULT = "数据库正忙（另一个程序正在写入），本次操作没有保存，请稍后重试"

    def __init__(self, message: str = DEFAULT, field: str | None = "数据库") -> None:
        super().__init__(message, field)
