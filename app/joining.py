"""Joining a township hub with an enrollment code: the steps ``cunyi init --code`` and the 建站向导 share.

1. :func:`check_join` reads the code and checks the admin account, before anything is sent or written;
2. :func:`enroll_site` spends the one-time code at the hub: a refusal writes nothing here;
3. :func:`create_site` makes this installation the site the hub enrolled (one transaction);
4. :func:`first_sync` pulls what the site may see; a failure leaves the site joined and is reported,
   the next sync resumes at the last saved page.

:func:`join_hub` runs all four on an installation that has no site yet (the wizard). The command line
runs them one by one because it enrolls before it makes the data folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from app.domain.errors import RuleViolation, ValidationError
from app.domain.ids import new_id
from app.domain.passwords import check_password_strength
from app.sync import codes

if TYPE_CHECKING:
    from app.db.uow import Database
    from app.services.core.context import Session
    from app.services.core.identity import IdentityService, SiteInfo
    from app.services.core.sites import EnrolledSite, SiteService
    from app.sync.client import Progress, SyncResult
    from app.sync.status import SiteSync


class _Sync(Protocol):
    @property
    def retry_seconds(self) -> float: ...

    @property
    def site_sync(self) -> SiteSync: ...

    def sync_now(self, progress: Progress | None = None) -> SyncResult: ...


class Services(Protocol):
    """What joining uses of ``app.bootstrap.Services``, which sits above this module and passes itself."""

    session: Session

    @property
    def db(self) -> Database: ...

    @property
    def sites(self) -> SiteService: ...

    @property
    def identity(self) -> IdentityService: ...

    @property
    def sync(self) -> _Sync: ...


@dataclass(frozen=True)
class JoinRequest:
    """A checked enrollment code and the administrator account to create with the site."""

    code: codes.EnrollmentCode
    admin: str
    password: str
    display_name: str = "管理员"


@dataclass(frozen=True)
class Joined:
    """A site made by joining: the site, and its first sync (``synced``) or why it did not finish."""

    site: SiteInfo
    synced: SyncResult | None
    sync_error: str | None


def check_join(code_text: str, admin: str, password: str, display_name: str = "管理员") -> JoinRequest:
    """Check what joining needs, without the network.

    Raises:
        ValidationError: the code is malformed (field 同步码), the user name is empty (用户名) or the
            password too weak (密码); the Chinese message says what is accepted.
    """
    code = codes.decode(code_text)
    if not (admin and admin.strip()):
        raise ValidationError("管理员用户名不能为空", "用户名")
    check_password_strength(password)
    return JoinRequest(code, admin.strip(), password, display_name.strip() or "管理员")


def enroll_site(request: JoinRequest, retry_seconds: float) -> EnrolledSite:
    """Spend the code at the hub and say which site it enrolled.

    Raises:
        HubRefused: the code was used already or is unknown (the hub's Chinese message).
        HubUnreachable, CertificateMismatch: see ``app.sync.transport``.
    """
    from app.services.core.sites import EnrolledSite
    from app.sync.client import enroll

    db_instance_id = new_id()
    answer = enroll(request.code, db_instance_id, retry_seconds=retry_seconds)
    return EnrolledSite(answer.site_id, answer.kind, answer.name, answer.township_site_id, db_instance_id,
                        request.code.hub_url, request.code.fingerprint, answer.token)


def create_site(sv: Services, enrolled: EnrolledSite, request: JoinRequest) -> SiteInfo:
    """This installation becomes the enrolled site, with its administrator (one transaction)."""
    return sv.sites.create_enrolled(enrolled, request.admin, request.password, request.display_name)


def first_sync(sv: Services, progress: Progress | None = None) -> tuple[SyncResult | None, str | None]:
    """The site's first sync; returns its result, or None and the Chinese reason it did not finish."""
    from app.sync.transport import SyncError

    try:
        return sv.sync.sync_now(progress), None
    except SyncError as error:
        return None, str(error)


def join_hub(sv: Services, code_text: str, admin: str, password: str, display_name: str = "管理员",
             progress: Progress | None = None) -> Joined:
    """Join the hub of ``code_text`` as a new site in the installation of ``sv`` (which has no site yet).

    Raises:
        ValidationError: see :func:`check_join`; nothing was sent.
        RuleViolation: this installation already is a site (field 数据文件夹).
        SyncError: the hub refused the code or could not be reached; nothing was written here.
    """
    request = check_join(code_text, admin, password, display_name)
    if sv.sites.is_set_up():
        raise RuleViolation("本机已经建过站，不能再加入；如需重新加入，请换一个空的数据文件夹", "数据文件夹")
    enrolled = enroll_site(request, sv.sync.retry_seconds)
    site = create_site(sv, enrolled, request)
    synced, error = first_sync(sv, progress)
    return Joined(site, synced, error)


def join_existing(sv: Services, code_text: str, progress: Progress | None = None) -> Joined:
    """A standalone site (this installation, with its history) joins the hub of ``code_text``.

    The site keeps its id, name and every row it owns: the hub registers its id for the code, then the
    first sync sends its whole outbox and pulls what it may see; at a village its own drugs are then
    mapped to the township catalog by national code (``app.services.stock.mapping``).

    Raises:
        ValidationError: the code is malformed (field 同步码); nothing was sent.
        RuleViolation: this installation has no site yet, or has joined a hub already; nothing was sent.
        SyncError: the hub refused (a used code, a site it knows, a code for another kind of site) or
            could not be reached; nothing was written here.
    """
    from app.db.models import LocalSite, SyncState
    from app.db.uow import now
    from app.services.core.audit import write_audit
    from app.sync import state
    from app.sync.client import enroll

    code = codes.decode(code_text)
    if not sv.sites.is_set_up():
        raise RuleViolation("本机还没有建站：新装的电脑请用同步码建站（cunyi init --code）", "数据文件夹")
    if sv.sync.site_sync.joined():
        raise RuleViolation("本站已经加入乡镇同步服务，不能再加入；同步请用 立即同步 或 cunyi sync --once", "同步码")
    site = sv.identity.local_site()
    with sv.db.read() as s:
        local = s.get(LocalSite, 1)
        db_instance_id = local.db_instance_id
        last_seq = state.last_local_seq(s.connection())
    answer = enroll(code, db_instance_id, site_id=site.id, kind=site.kind.value, last_local_seq=last_seq,
                    retry_seconds=sv.sync.retry_seconds)
    with sv.db.unit_of_work() as uow:
        s = uow.session
        s.add(SyncState(id=1, hub_url=code.hub_url, fingerprint=code.fingerprint, token=answer.token,
                        township_site_id=answer.township_site_id))
        if site.kind.value == "village":
            s.get(LocalSite, 1).enrolled_at = now()
        write_audit(s, sv.session.actor, site.id, "site.join", "sites", site.id, hub=code.hub_url)
    synced, error = first_sync(sv, progress)
    return Joined(sv.identity.local_site(), synced, error)
