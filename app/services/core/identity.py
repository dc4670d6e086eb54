"""Who is working where: this installation's site, and signing a user in (5 wrong passwords lock the
account for 15 minutes; audited either way).

It runs on the standard ``sqlite3`` driver (``app.db.connection``), not SQLAlchemy: signing in is
what every start-up does before its window shows, and the data layer loads after the first paint.
The tables it touches are local (``login_state``, ``audit_log``) or read-only here (``local_site``,
``sites``, ``stores``, ``users``).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.db.connection import connect, db_datetime, immediate, py_datetime
from app.domain import clock
from app.domain.enums import Role, SiteKind
from app.domain.errors import AuthError, RuleViolation
from app.domain.passwords import MAX_FAILURES, lock_after_failure, verify_password
from app.services.core.context import SIGNED_OUT, Actor, Session, audit_row


@dataclass(frozen=True)
class SiteInfo:
    id: str
    kind: SiteKind
    name: str
    code: str
    township_id: str | None
    region: str
    store_id: str | None
    #: a village enrolled under a township hub reads the township's catalog and may not write it
    enrolled: bool = False
    #: the clinic's phone, printed on the papers it gives residents (受理回执, 一次性告知单)
    phone: str = ""


@dataclass(frozen=True)
class UserInfo:
    id: str
    site_id: str
    username: str
    display_name: str
    role: Role
    active: bool

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.display_name, self.role.value)


_LOCAL_SITE = (
    "SELECT s.id, s.kind, s.name, s.code, s.township_id, s.region, s.phone, "
    "(SELECT st.id FROM stores st WHERE st.site_id = s.id LIMIT 1) AS store_id, l.enrolled_at "
    "FROM local_site l JOIN sites s ON s.id = l.site_id WHERE l.id = 1"
)
#: a user of this installation's site (another site of the township may have a user of the same name)
_USER = ("SELECT id, site_id, username, display_name, role, active, password_hash FROM users "
         "WHERE site_id = ? AND username = ?")
_INSERT_AUDIT = (
    "INSERT INTO audit_log (at, site_id, user_id, actor, action, target_table, target_id, detail) "
    "VALUES (:at, :site_id, :user_id, :actor, :action, :target_table, :target_id, :detail)"
)
_SAVE_STATE = (
    "INSERT INTO login_state (user_id, failed_count, locked_until) VALUES (?, ?, ?) "
    "ON CONFLICT (user_id) DO UPDATE SET failed_count = excluded.failed_count, locked_until = excluded.locked_until"
)


class IdentityService:
    """This installation's site and the sign-in of its users, on one database file."""

    def __init__(self, database: Path, session: Session) -> None:
        self.database = database
        self.session = session

    def local_site(self) -> SiteInfo:
        """This installation's site."""
        with connect(self.database) as conn:
            row = conn.execute(_LOCAL_SITE).fetchone()
        if row is None:
            raise RuleViolation("本机尚未建站，请先完成建站向导")
        return SiteInfo(row["id"], SiteKind(row["kind"]), row["name"], row["code"], row["township_id"], row["region"],
                        row["store_id"], row["enrolled_at"] is not None, row["phone"] or "")

    def sign_in(self, username: str, password: str, at: datetime | None = None) -> UserInfo:
        """Check the password and make the user the session's actor.

        A refusal is committed (failure count, lock, audit row) before ``AuthError`` is raised.
        """
        at = at or clock.now()
        with connect(self.database) as conn, immediate(conn):
            result = _check(conn, username, password, at)
        if isinstance(result, AuthError):
            raise result
        self.session.actor = result.actor
        return result

    def sign_out(self) -> None:
        """Nobody is signed in any more: the session's actor may do nothing until the next sign-in."""
        self.session.actor = SIGNED_OUT


#: a hash of no password, checked for an unknown or foreign user name so that the answer takes as long
_NO_ONE = "scrypt$16384$8$1$bm8tc3VjaC11c2VyLTAwMA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def _name_key(username: str) -> str:
    """``login_state`` key of a user name that has no account here: its failures count like an account's."""
    return "name:" + hashlib.sha256(username.encode()).hexdigest()[:31]


def _check(conn: sqlite3.Connection, username: str, password: str, at: datetime) -> UserInfo | AuthError:
    """One sign-in attempt.

    An unknown user name is answered exactly as a wrong password (the same message, field and
    countdown, and a lock after five tries, counted under the name) after the same password hash:
    neither the words nor the time tell a guesser which names exist. A disabled account says so only
    to whoever typed its password.
    """
    local = conn.execute("SELECT site_id FROM local_site WHERE id = 1").fetchone()
    site_id = local["site_id"] if local else None

    def audit(actor: Actor, action: str, target_id: str | None = None, **detail: object) -> None:
        row = audit_row(actor, site_id, action, "users" if target_id else None, target_id, **detail)
        conn.execute(_INSERT_AUDIT, {**row, "at": db_datetime(row["at"])})

    name = username.strip()
    row = conn.execute(_USER, (site_id, name)).fetchone()
    if row is None:
        user, key, stored = None, _name_key(name), _NO_ONE
        actor, target, extra = Actor(None, name, ""), None, {"reason": "unknown user"}
    else:
        user = UserInfo(row["id"], row["site_id"], row["username"], row["display_name"], Role(row["role"]),
                        bool(row["active"]))
        key, stored, actor, target, extra = user.id, row["password_hash"], user.actor, user.id, {}
    state = conn.execute("SELECT failed_count, locked_until FROM login_state WHERE user_id = ?", (key,)).fetchone()
    failed, locked_until = (state["failed_count"] or 0, py_datetime(state["locked_until"])) if state else (0, None)
    if locked_until and locked_until > at:
        minutes = max(1, int((locked_until - at).total_seconds() // 60) + 1)
        audit(actor, "signin.locked", target, **extra)
        return AuthError(f"账户已锁定，请 {minutes} 分钟后再试，或请管理员解锁", "密码")
    right = verify_password(password, stored)  # for an unknown name too: the time tells nothing
    if user is None or not right:
        failed += 1
        locked_until = lock_after_failure(failed, at)
        audit(actor, "signin.fail", target, failures=failed, **extra)
        conn.execute(_SAVE_STATE, (key, 0 if locked_until else failed, db_datetime(locked_until)))
        if locked_until:
            return AuthError("密码连续错误 5 次，账户已锁定 15 分钟", "密码")
        return AuthError(f"用户名或密码不正确（再错 {MAX_FAILURES - failed} 次将锁定 15 分钟）", "密码")
    if not user.active:  # said only to whoever knows the password: a guess learns nothing about the account
        audit(user.actor, "signin.disabled", user.id)
        return AuthError("该账户已被管理员停用，不能登录；如需继续使用，请联系管理员启用", "用户名")
    conn.execute(_SAVE_STATE, (user.id, 0, None))
    audit(user.actor, "signin.ok", user.id)
    return user
