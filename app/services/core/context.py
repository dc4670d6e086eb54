"""Who is acting (the signed-in user, or the CLI), the check of the permission table before every use
case (``requires``), and the audit row that names them."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from app.domain import clock
from app.domain.permissions import PERMISSIONS, allowed, check, needs_site_kind


@dataclass(frozen=True)
class Actor:
    user_id: str | None
    name: str
    role: str


#: the headless door acts as the folder's owner, an administrator; the audit log names it
CLI_ACTOR = Actor(user_id=None, name="命令行(CLI)", role="admin")
#: the installation itself before anyone signs in: the set-up wizard, start-up reads
SYSTEM_ACTOR = Actor(user_id=None, name="系统", role="admin")
#: after signing out: no role, so the permission table allows nothing
SIGNED_OUT = Actor(user_id=None, name="未登录", role="")


class Session:
    """Mutable holder of the current actor, shared by all services of one installation."""

    def __init__(self, actor: Actor = SIGNED_OUT) -> None:
        self.actor = actor


F = TypeVar("F", bound=Callable[..., Any])


def requires(use_case: str) -> Callable[[F], F]:
    """Refuse the decorated service method unless the session's actor may do ``use_case``.

    The service needs ``session`` (a ``Session``) and, for a use case that depends on the kind of
    site or on its enrollment under a township, ``db`` (its ``local_site_kind`` and
    ``local_site_enrolled``). The check runs before the method reads or writes
    anything; a refusal is ``PermissionDenied`` naming the action and the role. The use case is kept
    on the method as ``use_case`` (the permission tests walk the services by it).
    """
    if use_case not in PERMISSIONS:
        raise KeyError(f"use case {use_case!r} is not in app.domain.permissions.PERMISSIONS")
    by_kind = needs_site_kind(use_case)

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
            role = self.session.actor.role
            kind = self.db.local_site_kind if by_kind else None
            enrolled = by_kind and self.db.local_site_enrolled
            if not allowed(use_case, role, kind, enrolled):  # the refusal names the roles of this kind of site
                check(use_case, role, kind or self.db.local_site_kind, enrolled)
            return method(self, *args, **kwargs)

        checked.use_case = use_case  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def audit_row(
    actor: Actor,
    site_id: str | None,
    action: str,
    target_table: str | None = None,
    target_id: str | None = None,
    **detail: object,
) -> dict[str, object]:
    """One ``audit_log`` row's values, stamped now (``write_audit`` and sign-in insert it)."""
    return {
        "at": clock.now(),
        "site_id": site_id,
        "user_id": actor.user_id,
        "actor": actor.name,
        "action": action,
        "target_table": target_table,
        "target_id": target_id,
        "detail": json.dumps(detail, ensure_ascii=False, default=str),
    }
