"""Builds the engine, migrations, session and services of one installation in one place."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from app.db import migrate
from app.db.uow import Database
from app.paths import DataDir

from .services.audit import AuditService
from .services.context import Actor, Session
from .services.sites import SiteService
from .services.users import UserService

if TYPE_CHECKING:
    # imported when first used: pypinyin, reportlab… must not slow down every start-up
    from .services.catalog import CatalogService
    from .services.stock import StockService
    from .services.stocktake import StocktakeService
    from .services.residents import ResidentService
    from .services.settings import SettingsService
    from .services.settlement import SettlementService
    from .services.status import StatusService


class Services:
    """Every service of one data folder, sharing one database and one current actor."""

    def __init__(self, data: DataDir, db: Database, actor: Actor | None = None) -> None:
        self.data = data
        self.db = db
        self.session = Session(actor) if actor else Session()

    @cached_property
    def sites(self) -> SiteService:
        return SiteService(self.db, self.session)

    @cached_property
    def users(self) -> UserService:
        return UserService(self.db, self.session)

    @cached_property
    def audit(self) -> AuditService:
        return AuditService(self.db, self.session)

    @cached_property
    def settings(self) -> SettingsService:
        from .services.settings import SettingsService

        return SettingsService(self.db, self.session)

    @cached_property
    def status(self) -> StatusService:
        from .services.status import StatusService

        return StatusService(self.db, self.session, self.data)

    @cached_property
    def residents(self) -> ResidentService:
        from .services.residents import ResidentService

        return ResidentService(self.db, self.session)

    @cached_property
    def settlement(self) -> SettlementService:
        from .services.settlement import SettlementService

        return SettlementService(self.db, self.session)

    @cached_property
    def catalog(self) -> CatalogService:
        from .services.catalog import CatalogService

        return CatalogService(self.db, self.session)

    @cached_property
    def stock(self) -> StockService:
        from .services.stock import StockService

        return StockService(self.db, self.session)

    @cached_property
    def stocktake(self) -> StocktakeService:
        from .services.stocktake import StocktakeService

        return StocktakeService(self.db, self.session)

    def close(self) -> None:
        self.db.dispose()


def bootstrap(data_dir: Path | str, *, actor: Actor | None = None, backup_before_migrate: bool = True) -> Services:
    """Open (or create) the installation in ``data_dir``: backup if a migration is due, migrate, wire."""
    data = DataDir(Path(data_dir)).ensure()
    db = Database(data.database)
    if migrate.is_current(db.reader):  # nothing to migrate: skip alembic entirely
        return Services(data, db, actor)
    pending = migrate.current_revision(db.writer) != migrate.head_revision()
    if pending and backup_before_migrate and data.database.stat().st_size > 0:
        from .services.backup import backup_before_migration

        backup_before_migration(db, data)
    migrate.upgrade(db.writer)
    return Services(data, db, actor)
