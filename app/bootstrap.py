"""Builds the engine, migrations, session and services of one installation in one place.

Start-up order matters for how soon the window shows. ``bootstrap`` checks the schema and
``identity`` signs the user in on the standard ``sqlite3`` driver; the database layer (SQLAlchemy,
the models, ~0.35 s to import) loads when a service first needs it, which in the app is on the
database thread after the window's first paint. Only a due migration loads it at once.
"""

from __future__ import annotations

import sqlite3
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from app.db.connection import connect
from app.db.health import damaged_file_error
from app.db.schema_head import is_current
from app.paths import DataDir

from app.services.core.context import SYSTEM_ACTOR, Actor, Session, requires
from app.services.core.identity import IdentityService

if TYPE_CHECKING:
    from app.db.uow import Database

    # imported when first used: pypinyin, reportlab… must not slow down every start-up
    from app.services.core.audit import AuditService
    from app.services.core.sites import SiteService
    from app.services.core.users import UserService
    from app.services.catalog.service import CatalogService
    from app.services.stock.service import StockService
    from app.services.stock.stocktake import StocktakeService
    from app.services.residents.service import ResidentService
    from app.services.core.settings import SettingsService
    from app.services.settlement.service import SettlementService
    from app.services.cases.service import CaseService
    from app.services.statements.service import StatementService
    from app.services.transfers.overview import OverviewService
    from app.services.transfers.service import TransfersService
    from app.services.core.status import StatusService
    from app.joining import Joined
    from app.services.stock.mapping import UnmappedDrug
    from app.sync.client import Progress, SyncResult
    from app.sync.status import SiteSync, SyncStatus


class SyncService:
    """``app.sync.status.SiteSync`` behind the permission table (``app.sync`` runs no use case itself)."""

    def __init__(self, db: Database, session: Session, services: Services | None = None) -> None:
        self.db, self.session = db, session
        self._services = services
        self._site_sync: SiteSync | None = None

    @property
    def site_sync(self) -> SiteSync:
        if self._site_sync is None:
            from app.sync.status import SiteSync

            self._site_sync = SiteSync(self.db)
        return self._site_sync

    @property
    def retry_seconds(self) -> float:
        """How long one sync keeps trying an unreachable hub."""
        return self.site_sync.retry_seconds

    @requires("sync.read")
    def joined(self) -> bool:
        return self.site_sync.joined()

    @requires("sync.read")
    def status(self) -> SyncStatus:
        return self.site_sync.status()

    @requires("sync.sync_now")
    def sync_now(self, progress: Progress | None = None) -> SyncResult:
        """Push then pull; then, at a village, its site row is linked to its township once the township's
        row has arrived, and the drugs it kept while standalone that the township catalog now has are
        mapped to it (``app.services.stock.mapping``); what that wrote is pushed at once."""
        from app.services.core.sites import link_township
        from app.services.stock.mapping import MAPPING_TABLES, map_own_drugs

        self._close_months()
        result = self.site_sync.sync_now(progress)
        linked = link_township(self.db, self.session.actor)
        mapping = map_own_drugs(self.db, self.session.actor)
        if linked or mapping.changed:
            again = self.site_sync.sync_now(progress)
            result.pushed += again.pushed
            result.pulled += again.pulled
            result.rejected += again.rejected
            result.tables |= again.tables | (MAPPING_TABLES if mapping.changed else frozenset()) | (
                {"sites"} if linked else set())
        return result

    def _close_months(self) -> None:
        """At a village enrolled under a township: the month-end marks of the months ended since its last
        mark (``StatementService.close_months``), so this push carries them to the township's statements. A
        failure to write a mark never stops the sync (the next sync tries again)."""
        if self.db.local_site_kind != "village" or not self.db.local_site_enrolled:
            return
        try:
            from app.services.statements.service import StatementService

            StatementService(self.db, self.session).close_months()
        except Exception:  # the sync goes on; the mark follows with the next one
            import logging

            logging.getLogger(__name__).warning("月结标记未能写入，下次同步时重试", exc_info=True)

    @requires("sync.join")
    def join(self, code_text: str, progress: Progress | None = None) -> Joined:
        """This standalone site, with its history, joins the township hub of ``code_text`` (``app.joining``)."""
        from app.joining import join_existing

        return join_existing(self._services, code_text, progress)

    @requires("sync.read")
    def unmapped_drugs(self, site_id: str | None = None) -> list[UnmappedDrug]:
        """The drugs of a village (this site by default) still waiting for the township to add them."""
        from app.services.stock.mapping import unmapped_drugs

        with self.db.read() as session:
            return unmapped_drugs(session, site_id or self.db.local_site_id or "")


class Services:
    """Every service of one data folder, sharing one database and one current actor."""

    def __init__(self, data: DataDir, db: Database | None = None, actor: Actor | None = None) -> None:
        self.data = data
        self._db = db
        self._db_lock = threading.Lock()
        # until someone signs in, the installation acts as itself (the set-up wizard, start-up reads)
        self.session = Session(actor or SYSTEM_ACTOR)

    @property
    def db(self) -> Database:
        """The database layer, opened on first use (from whichever thread gets there first)."""
        if self._db is None:
            with self._db_lock:
                if self._db is None:
                    from app.db.uow import Database

                    self._db = Database(self.data.database)
        return self._db

    @cached_property
    def identity(self) -> IdentityService:
        return IdentityService(self.data.database, self.session)

    @cached_property
    def sites(self) -> SiteService:
        from app.services.core.sites import SiteService

        return SiteService(self.db, self.session)

    @cached_property
    def users(self) -> UserService:
        from app.services.core.users import UserService

        return UserService(self.db, self.session)

    @cached_property
    def audit(self) -> AuditService:
        from app.services.core.audit import AuditService

        return AuditService(self.db, self.session)

    @cached_property
    def settings(self) -> SettingsService:
        from app.services.core.settings import SettingsService

        return SettingsService(self.db, self.session)

    @cached_property
    def status(self) -> StatusService:
        from app.services.core.status import StatusService

        return StatusService(self.db, self.session, self.data)

    @cached_property
    def residents(self) -> ResidentService:
        from app.services.residents.service import ResidentService

        return ResidentService(self.db, self.session)

    @cached_property
    def settlement(self) -> SettlementService:
        from app.services.settlement.service import SettlementService

        return SettlementService(self.db, self.session)

    @cached_property
    def catalog(self) -> CatalogService:
        from app.services.catalog.service import CatalogService

        return CatalogService(self.db, self.session)

    @cached_property
    def stock(self) -> StockService:
        from app.services.stock.service import StockService

        return StockService(self.db, self.session)

    @cached_property
    def stocktake(self) -> StocktakeService:
        from app.services.stock.stocktake import StocktakeService

        return StocktakeService(self.db, self.session)

    @cached_property
    def cases(self) -> CaseService:
        """帮办代办: cases opened at a village, reviewed by the township's case worker."""
        from app.services.cases.service import CaseService

        service = CaseService(self.db, self.session)
        service.fetch_blob = self._fetch_attachment
        return service

    @cached_property
    def transfers(self) -> TransfersService:
        """三统: purchasing, requisitions 报量, shipments 调拨 and receipts 调拨入库, returns."""
        from app.services.transfers.service import TransfersService

        return TransfersService(self.db, self.session)

    @cached_property
    def overview(self) -> OverviewService:
        """村室药品一览: every village's stock as the township sees it."""
        from app.services.transfers.overview import OverviewService

        return OverviewService(self.db, self.session)

    @cached_property
    def statements(self) -> StatementService:
        """统一结算单: the township's monthly statements, a village's month-end marks and acknowledgments."""
        from app.services.statements.service import StatementService

        return StatementService(self.db, self.session)

    def _fetch_attachment(self, attachment_id: str, root: Path) -> None:
        """Fetch an attachment's file from the hub (a case opened before its files were fetched)."""
        from app.sync.client import SyncClient

        client = SyncClient(self.db, retry_seconds=10.0)
        try:
            client.fetch_file(attachment_id, root)
        finally:
            client.close()

    @cached_property
    def sync(self) -> SyncService:
        """This site's sync with its township hub: status for the 同步 page, and 立即同步."""
        return SyncService(self.db, self.session, self)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


def bootstrap(data_dir: Path | str, *, actor: Actor | None = None, backup_before_migrate: bool = True) -> Services:
    """Open (or create) the installation in ``data_dir``: backup if a migration is due, migrate, wire."""
    data = DataDir(Path(data_dir)).ensure()
    try:
        with connect(data.database) as conn:
            current = is_current(conn)
    except sqlite3.DatabaseError as exc:  # not a database, or damaged: say so, change nothing
        raise damaged_file_error(data.database) from exc
    if current:  # nothing to migrate: the database layer loads when first used
        return Services(data, None, actor)
    from app.db import migrate
    from app.db.uow import Database

    db = Database(data.database)
    pending = migrate.current_revision(db.writer) != migrate.head_revision()
    if pending and backup_before_migrate and data.database.stat().st_size > 0:
        from app.services.core.backup import backup_before_migration

        backup_before_migration(db, data)
    migrate.upgrade(db.writer)
    return Services(data, db, actor)
