"""Users of this site: the list, new accounts, unlocking, resetting a password, disabling and enabling,
changing a role, and each user changing their own password. Signing in is ``identity``.

The rules: only an administrator manages other users' accounts; an administrator cannot disable or
demote themselves, and the site always keeps one active administrator; every password meets the
strength rule of the set-up wizard (``check_password_strength``). Every change is audited.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app.db.models import LoginState, Site, User
from app.db.uow import Database
from app.domain.enums import Role
from app.domain.errors import AuthError, NotFoundError, PermissionDenied, RuleViolation, ValidationError
from app.domain.passwords import hash_password, verify_password
from app.domain.roles import roles_for_site
from app.services.core.audit import write_audit
from app.services.core.context import Session, requires
from app.services.core.identity import UserInfo


def _info(u: User) -> UserInfo:
    return UserInfo(u.id, u.site_id, u.username, u.display_name, Role(u.role), u.active)


class UserService:
    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    @requires("users.list")
    def list(self) -> list[UserInfo]:
        with self.db.read() as s:
            rows = s.scalars(select(User).where(User.site_id == self.db.local_site_id).order_by(User.username))
            return [_info(u) for u in rows]

    @requires("users.create")
    def create(self, username: str, display_name: str, role: Role | str, password: str) -> UserInfo:
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
            if s.scalar(select(User.id).where(User.site_id == uow.local_site_id, User.username == username)):
                raise ValidationError(f"用户名“{username}”已被使用", "用户名")
            site_id = uow.local_site_id
            user = User(site_id=site_id, username=username, display_name=display_name, role=role.value, password_hash=password_hash)
            s.add(user)
            s.flush()
            write_audit(s, self.session.actor, site_id, "user.create", "users", user.id, username=username, role=role.value)
            return _info(user)

    @requires("users.unlock")
    def unlock(self, user_id: str) -> None:
        with self.db.unit_of_work() as uow:
            state = uow.session.get(LoginState, user_id)
            if state:
                state.failed_count = 0
                state.locked_until = None
            write_audit(uow.session, self.session.actor, uow.local_site_id, "user.unlock", "users", user_id)

    @requires("users.reset_password")
    def reset_password(self, user_id: str, new_password: str) -> UserInfo:
        """An administrator sets a new password for a user (who forgot theirs); any lockout ends."""
        password_hash = hash_password(new_password)
        with self.db.unit_of_work() as uow:
            user = self._user(uow.session, user_id)
            user.password_hash = password_hash
            state = uow.session.get(LoginState, user_id)
            if state:
                state.failed_count = 0
                state.locked_until = None
            write_audit(uow.session, self.session.actor, uow.local_site_id, "user.reset_password", "users", user.id,
                        username=user.username, name=user.display_name)
            return _info(user)

    @requires("users.set_active")
    def set_active(self, user_id: str, active: bool) -> UserInfo:
        """Disable (``active=False``) or enable a user. A disabled user cannot sign in."""
        with self.db.unit_of_work() as uow:
            s = uow.session
            user = self._user(s, user_id)
            if not active and user.id == self.session.actor.user_id:
                raise RuleViolation("不能停用自己的账户，请由另一位管理员操作", "用户")
            if not active and user.active and user.role == Role.ADMIN.value:
                self._keep_an_admin(s, user, "停用")
            if bool(user.active) != active:
                user.active = active
                write_audit(s, self.session.actor, uow.local_site_id, "user.enable" if active else "user.disable",
                            "users", user.id, username=user.username, name=user.display_name)
            return _info(user)

    @requires("users.change_role")
    def change_role(self, user_id: str, role: Role | str) -> UserInfo:
        """Give a user another role of this kind of site."""
        with self.db.unit_of_work() as uow:
            s = uow.session
            user = self._user(s, user_id)
            kind = s.scalar(select(Site.kind).where(Site.id == uow.local_site_id))
            allowed = roles_for_site(kind)
            try:
                new = Role(role)
            except ValueError:
                new = None
            if new not in allowed:
                names = "、".join(r.label for r in allowed)
                raise ValidationError(f"角色“{role}”不适用于本机构，可选：{names}", "角色")
            if new.value == user.role:
                return _info(user)
            if user.id == self.session.actor.user_id:
                raise RuleViolation("不能修改自己的角色，请由另一位管理员操作", "角色")
            if user.role == Role.ADMIN.value and user.active:
                self._keep_an_admin(s, user, "改为其他角色")
            old, user.role = user.role, new.value
            write_audit(s, self.session.actor, uow.local_site_id, "user.role", "users", user.id,
                        username=user.username, name=user.display_name, old=old, new=new.value)
            return _info(user)

    @requires("users.change_own_password")
    def change_own_password(self, old_password: str, new_password: str) -> None:
        """The signed-in user changes their own password; the current one is required."""
        user_id = self.session.actor.user_id
        if not user_id:
            raise PermissionDenied("请先登录")
        if not old_password:
            raise ValidationError("请输入当前密码", "当前密码")
        if new_password == old_password:
            raise ValidationError("新密码不能与当前密码相同", "新密码")
        try:
            password_hash = hash_password(new_password)
        except ValidationError as exc:
            raise ValidationError(exc.message, "新密码") from None
        with self.db.unit_of_work() as uow:
            user = self._user(uow.session, user_id)
            if not verify_password(old_password, user.password_hash):
                raise AuthError("当前密码不正确", "当前密码")
            user.password_hash = password_hash
            write_audit(uow.session, self.session.actor, uow.local_site_id, "user.password", "users", user.id,
                        username=user.username, name=user.display_name)

    @staticmethod
    def _user(s, user_id: str) -> User:  # noqa: ANN001 - an ORM session
        user = s.get(User, user_id)
        if user is None:
            raise NotFoundError("用户不存在（可能已被删除），请刷新列表", "用户")
        return user

    @staticmethod
    def _keep_an_admin(s, user: User, what: str) -> None:  # noqa: ANN001 - an ORM session
        others = s.scalar(select(func.count()).select_from(User).where(
            User.site_id == user.site_id, User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id))
        if not others:
            raise RuleViolation(f"{user.display_name}是本机构唯一在用的管理员，不能{what}；请先为另一位用户设为管理员", "用户")
