"""Sites and stores: the first-run set-up of a standalone site, and what this installation is."""

from __future__ import annotations

from sqlalchemy import select

from app.db.models import LocalSite, Site, Store, User
from app.db.uow import Database, now
from app.domain.enums import Role, SiteKind
from app.domain.errors import RuleViolation, ValidationError
from app.domain.ids import new_id
from app.domain.passwords import hash_password
from app.services.core.audit import write_audit
from app.services.core.context import Session, requires
from app.services.core.identity import SiteInfo


def _info(site: Site, store_id: str | None) -> SiteInfo:
    return SiteInfo(
        site.id, SiteKind(site.kind), site.name, site.code, site.township_id, site.region, store_id
    )


class SiteService:
    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    @requires("sites.read")
    def is_set_up(self) -> bool:
        return self.db.local_site_id is not None

    @requires("sites.create_standalone")
    def create_standalone(
        self,
        kind: SiteKind | str,
        name: str,
        admin_username: str,
        admin_password: str,
        admin_display_name: str = "管理员",
        code: str = "",
        region: str = "",
    ) -> SiteInfo:
        """The first-run wizard: this installation becomes a new site with its store and admin."""
        name = name.strip()
        admin_username = admin_username.strip()
        if not name:
            raise ValidationError("机构名称不能为空", "机构名称")
        if not admin_username:
            raise ValidationError("管理员用户名不能为空", "用户名")
        try:
            kind = SiteKind(kind)
        except ValueError:
            raise ValidationError("机构类型只能是 village（村卫生室）或 township（乡镇卫生院）", "机构类型") from None
        password_hash = hash_password(admin_password)
        if self.is_set_up():
            raise RuleViolation("本机已经建站，不能重复建站", "机构")
        site_id = new_id()
        with self.db.unit_of_work() as uow:
            s = uow.session
            # the local identity goes first so the outbox triggers queue the site's own rows
            s.add(LocalSite(id=1, site_id=site_id, db_instance_id=new_id(), created_at=now()))
            s.flush()
            s.info["local_site_id"] = site_id
            site = Site(id=site_id, owner_site_id=site_id, kind=kind.value, name=name, code=code, region=region)
            s.add(site)
            s.flush()
            store_name = "中转药库" if kind is SiteKind.TOWNSHIP else "药房"
            store = Store(owner_site_id=site_id, site_id=site_id, name=store_name)
            admin = User(
                owner_site_id=site_id,
                site_id=site_id,
                username=admin_username,
                display_name=admin_display_name,
                role=Role.ADMIN.value,
                password_hash=password_hash,
            )
            s.add_all([store, admin])
            s.flush()
            write_audit(s, self.session.actor, site_id, "site.create", "sites", site_id, name=name, kind=kind.value)
        self.db.forget_local_site()
        return _info(site, store.id)

    @requires("sites.read")
    def get(self, site_id: str) -> SiteInfo:
        with self.db.read() as s:
            site = s.get(Site, site_id)
            if site is None:
                raise ValidationError(f"机构 {site_id} 不存在", "机构")
            store_id = s.scalar(select(Store.id).where(Store.site_id == site_id).limit(1))
            return _info(site, store_id)

    @requires("sites.read")
    def all(self) -> list[SiteInfo]:
        with self.db.read() as s:
            stores = {st.site_id: st.id for st in s.scalars(select(Store))}
            return [_info(site, stores.get(site.id)) for site in s.scalars(select(Site).order_by(Site.kind.desc(), Site.name))]
