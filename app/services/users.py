"""Users of this site: the list, new accounts, unlocking. Signing in is ``identity``."""

from __future__ import annotations

from sqlalchemy import select

from app.db.models import LoginState, User
from app.db.uow import Database
from app.domain.enums import Role
from app.domain.errors import PermissionDenied, ValidationError
from app.domain.passwords import hash_password

from .audit import write_audit
from .context import Session
from .identity import UserInfo


def _info(u: User) -> UserInfo:
    return UserInfo(u.id, u.site_id, u.username, u.display_name, Role(u.role), u.active)


class UserService:
    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

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
