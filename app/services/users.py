"""Users, sign-in with lockout, and roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.db.models import LoginState, User
from app.db.uow import Database, now
from app.domain.enums import Role
from app.domain.errors import AuthError, PermissionDenied, ValidationError
from app.domain.passwords import MAX_FAILURES, hash_password, lock_after_failure, verify_password

from .audit import write_audit
from .context import Actor, Session


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


def _info(u: User) -> UserInfo:
    return UserInfo(u.id, u.site_id, u.username, u.display_name, Role(u.role), u.active)


class UserService:
    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    def sign_in(self, username: str, password: str, at: datetime | None = None) -> UserInfo:
        """Check the password; 5 wrong ones lock the account for 15 minutes. Audited either way.

        A refusal is committed (failure count, lock, audit row) before ``AuthError`` is raised.
        """
        at = at or now()
        site_id = self.db.local_site_id
        with self.db.unit_of_work() as uow:
            result = self._check(uow.session, site_id, username, password, at)
        if isinstance(result, AuthError):
            raise result
        self.session.actor = result.actor
        return result

    @staticmethod
    def _check(s, site_id: str | None, username: str, password: str, at: datetime) -> UserInfo | AuthError:  # noqa: ANN001
        user = s.scalar(select(User).where(User.username == username.strip()))
        if user is None or user.site_id != site_id or not user.active:
            write_audit(s, Actor(None, username, ""), site_id, "signin.fail", reason="unknown user")
            return AuthError("用户名或密码不正确", "用户名")
        state = s.get(LoginState, user.id) or LoginState(user_id=user.id, failed_count=0)
        s.add(state)
        if state.locked_until and state.locked_until > at:
            minutes = max(1, int((state.locked_until - at).total_seconds() // 60) + 1)
            write_audit(s, _info(user).actor, site_id, "signin.locked", "users", user.id)
            return AuthError(f"账户已锁定，请 {minutes} 分钟后再试，或请管理员解锁", "密码")
        if not verify_password(password, user.password_hash):
            state.failed_count = (state.failed_count or 0) + 1
            state.locked_until = lock_after_failure(state.failed_count, at)
            write_audit(s, _info(user).actor, site_id, "signin.fail", "users", user.id, failures=state.failed_count)
            if state.locked_until:
                state.failed_count = 0
                return AuthError("密码连续错误 5 次，账户已锁定 15 分钟", "密码")
            left = MAX_FAILURES - state.failed_count
            return AuthError(f"用户名或密码不正确（再错 {left} 次将锁定 15 分钟）", "密码")
        state.failed_count = 0
        state.locked_until = None
        write_audit(s, _info(user).actor, site_id, "signin.ok", "users", user.id)
        return _info(user)

    def sign_out(self) -> None:
        from .context import SYSTEM_ACTOR

        self.session.actor = SYSTEM_ACTOR

    def list(self) -> list[UserInfo]:
        with self.db.read() as s:
            rows = s.scalars(select(User).where(User.site_id == self.db.local_site_id).order_by(User.username))
            return [_info(u) for u in rows]

    def create(self, username: str, display_name: str, role: Role | str, password: str) -> UserInfo:
        self._require_admin()
        username, display_name = username.strip(), display_name.strip()
        if not username or not username.isascii() or not username.replace("_", "").isalnum():
            raise ValidationError("用户名只能由字母、数字和下划线组成", "用户名")
        if not display_name:
            raise ValidationError("姓名不能为空", "姓名")
        try:
            role = Role(role)
        except ValueError:
            raise ValidationError(f"角色“{role}”不存在", "角色") from None
        password_hash = hash_password(password)
        with self.db.unit_of_work() as uow:
            s = uow.session
            if s.scalar(select(User.id).where(User.username == username)):
                raise ValidationError(f"用户名“{username}”已被使用", "用户名")
            site_id = uow.local_site_id
            user = User(site_id=site_id, username=username, display_name=display_name, role=role.value, password_hash=password_hash)
            s.add(user)
            s.flush()
            write_audit(s, self.session.actor, site_id, "user.create", "users", user.id, username=username, role=role.value)
            return _info(user)

    def unlock(self, user_id: str) -> None:
        self._require_admin()
        with self.db.unit_of_work() as uow:
            state = uow.session.get(LoginState, user_id)
            if state:
                state.failed_count = 0
                state.locked_until = None
            write_audit(uow.session, self.session.actor, uow.local_site_id, "user.unlock", "users", user_id)

    def _require_admin(self) -> None:
        if self.session.actor.role != Role.ADMIN.value:
            raise PermissionDenied("只有管理员可以管理用户")
