"""Who is acting (the signed-in user, or the CLI), and the audit row that names them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from app.domain import clock


@dataclass(frozen=True)
class Actor:
    user_id: str | None
    name: str
    role: str


#: the headless door acts as an administrator; the audit log names it
CLI_ACTOR = Actor(user_id=None, name="命令行(CLI)", role="admin")
SYSTEM_ACTOR = Actor(user_id=None, name="系统", role="admin")


class Session:
    """Mutable holder of the current actor, shared by all services of one installation."""

    def __init__(self, actor: Actor = SYSTEM_ACTOR) -> None:
        self.actor = actor


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
