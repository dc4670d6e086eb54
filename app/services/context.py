"""Who is acting: the signed-in user, or the CLI."""

from __future__ import annotations

from dataclasses import dataclass


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
