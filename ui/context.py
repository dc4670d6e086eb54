"""What every screen of a signed-in session shares: the services, this site and the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.domain.enums import Role, SiteKind
from app.domain.permissions import allowed

if TYPE_CHECKING:
    from app.bootstrap import Services
    from app.services.core.identity import SiteInfo, UserInfo

    from .syncing import BackgroundSync


@dataclass
class AppContext:
    """The signed-in session. Pages call ``sv`` only through ``ui.workers.Op``."""

    sv: Services
    site: SiteInfo
    user: UserInfo
    #: the areas in this user's navigation, in order (set by the main window)
    areas: tuple[str, ...] = ()
    _background_sync: Any = field(default=None, repr=False)

    @property
    def background_sync(self) -> BackgroundSync:
        """The session's syncs with the township hub (one at a time, off the database thread)."""
        if self._background_sync is None:
            from .syncing import BackgroundSync

            self._background_sync = BackgroundSync(self.sv)
        return self._background_sync

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def site_kind(self) -> SiteKind:
        return self.site.kind

    @property
    def is_admin(self) -> bool:
        return self.user.role is Role.ADMIN

    def allows(self, use_case: str) -> bool:
        """Whether this user may do ``use_case`` here: the table the services enforce (``app.domain.permissions``)."""
        return allowed(use_case, self.user.role, self.site.kind, self.site.enrolled)
