"""Sites and stores: the first-run set-up of a standalone site, and what this installation is."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import LocalSite, Site, Store, SyncState, User
from app.db.uow import Database, now
from app.domain.enums import Role, SiteKind
from app.domain.errors import RuleViolation, ValidationError
from app.domain.ids import new_id
from app.domain.passwords import hash_password
from app.services.core.audit import write_audit
from app.services.core.context import Actor, Session, requires
from app.services.core.identity import SiteInfo


def _info(site: Site, store_id: str | None, enrolled: bool = False) -> SiteInfo:
    return SiteInfo(
        site.id, SiteKind(site.kind), site.name, site.code, site.township_id, site.region, store_id, enrolled,
        site.phone or "",
    )


@dataclass(frozen=True)
class EnrolledSite:
    """What the township hub said at enrollment, and how to reach it (``cunyi init --code``).

    The village's ``township_id`` stays empty here: the township's site row arrives with the first pull,
    then :func:`link_township` fills it.
    """

    site_id: str
    kind: str
    name: str
    township_site_id: str | None
    db_instance_id: str
    hub_url: str
    fingerprint: str
    token: str


def link_township(db: Database, actor: Actor) -> bool:
    """An enrolled village's own site row names its township, once the township's row has been pulled.

    The village owns its site row, so it writes the link itself (and the next push carries it to the
    township, whose per-village reports find the village by it). Returns whether it wrote the link.
    """
    def unlinked(s: OrmSession) -> tuple[Site, str] | None:
        local, state = s.get(LocalSite, 1), s.get(SyncState, 1)
        site = s.get(Site, local.site_id) if local else None
        township = state.township_site_id if state else None
        if (site is None or site.kind != SiteKind.VILLAGE.value or site.township_id or not township
                or site.owner_site_id != site.id or s.get(Site, township) is None):
            return None
        return site, township

    with db.read() as s:  # the usual case, every sync: nothing to write, no write lock taken
        if unlinked(s) is None:
            return False
    with db.unit_of_work() as uow:
        found = unlinked(uow.session)
        if found is None:
            return False
        site, township = found
        site.township_id = township
        name = uow.session.get(Site, township).name
        write_audit(uow.session, actor, site.id, "site.link_township", "sites", site.id, township=name)
        return True


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
        return self._create(new_id(), new_id(), kind, name, admin_username, admin_password, admin_display_name,
                            code, region)

    @requires("sites.create_standalone")
    def create_enrolled(
        self,
        enrolled: EnrolledSite,
        admin_username: str,
        admin_password: str,
        admin_display_name: str = "管理员",
    ) -> SiteInfo:
        """``cunyi init --code``: this installation becomes the site the township hub enrolled.

        The site keeps the hub's ``site_id``, kind and name; the database is the one the hub knows
        (``db_instance_id``), and how to reach the hub is stored with it, in the same transaction. A
        village is marked enrolled: it reads the township's catalog and does not write it.
        """
        admin_username = admin_username.strip()
        if not admin_username:
            raise ValidationError("管理员用户名不能为空", "用户名")
        return self._create(enrolled.site_id, enrolled.db_instance_id, SiteKind(enrolled.kind), enrolled.name,
                            admin_username, admin_password, admin_display_name, enrolled=enrolled)

    def _create(self, site_id: str, db_instance_id: str, kind: SiteKind, name: str, admin_username: str,
                admin_password: str, admin_display_name: str, code: str = "", region: str = "",
                enrolled: EnrolledSite | None = None) -> SiteInfo:
        password_hash = hash_password(admin_password)
        if self.is_set_up():
            raise RuleViolation("本机已经建站，不能重复建站", "机构")
        with self.db.unit_of_work() as uow:
            s = uow.session
            # the local identity goes first so the outbox triggers queue the site's own rows
            s.add(LocalSite(id=1, site_id=site_id, db_instance_id=db_instance_id, created_at=now(),
                            enrolled_at=now() if enrolled and kind is SiteKind.VILLAGE else None))
            if enrolled:
                s.add(SyncState(id=1, hub_url=enrolled.hub_url, fingerprint=enrolled.fingerprint,
                                token=enrolled.token, township_site_id=enrolled.township_site_id))
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
            write_audit(s, self.session.actor, site_id, "site.create", "sites", site_id, name=name, kind=kind.value,
                        **({"hub": enrolled.hub_url} if enrolled else {}))
        self.db.forget_local_site()
        return _info(site, store.id, bool(enrolled) and kind is SiteKind.VILLAGE)

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
