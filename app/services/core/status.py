"""What the status bar, the 工作台 tiles and the settings page show about this installation.

Read-only figures that no other area owns: sync backlog (outbox rows not yet pushed), today's
outpatient visits and money, backups on disk, locked accounts, and a paged view of the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.db.models import AuditLog, LocalSite, LoginState, Outbox, Resident, Reversal, Settlement, User, Visit
from app.db.spans import day_of
from app.db.uow import Database, now
from app.paths import DataDir
from app.services.core.audit import AuditEntry, audit_entries
from app.services.core.context import Session, requires


@dataclass(frozen=True)
class SyncState:
    """Outbox rows written here and not yet pushed to the hub (DESIGN §4)."""

    pending: int
    oldest_at: datetime | None

    @property
    def label(self) -> str:
        """The status-bar text, e.g. ``单机运行 · 待同步 12 条``."""
        return f"单机运行 · 待同步 {self.pending} 条"


@dataclass(frozen=True)
class DayFigures:
    """Outpatient work of one day at this site (reversed settlements excluded)."""

    day: date
    visits: int
    settlements: int
    total_fen: int
    fund_fen: int
    self_fen: int


@dataclass(frozen=True)
class UncoveredVisit:
    """A settlement that did not get the pooling fund: 未参保, or 等待期 until ``waiting_until``."""

    resident_name: str
    waiting_until: date | None


@dataclass(frozen=True)
class BackupFile:
    path: Path
    at: datetime
    size_bytes: int


@dataclass(frozen=True)
class LockedUser:
    user_id: str
    username: str
    display_name: str
    locked_until: datetime


def _backup_time(path: Path) -> datetime | None:
    from app.services.core.backup import PREFIX

    try:
        return datetime.strptime(path.name[len(PREFIX) : len(PREFIX) + 15], "%Y%m%d-%H%M%S")
    except ValueError:
        return None


class StatusService:
    """Figures about this installation, for the status bar, dashboard and settings page."""

    def __init__(self, db: Database, session: Session, data: DataDir) -> None:
        self.db = db
        self.session = session
        self.data = data

    @requires("status.read")
    def sync_state(self) -> SyncState:
        """How many outbox rows wait for the hub, and when the oldest was written (local time).

        Pending are the rows above the pushed cursor (``local_site.pushed_seq``); rows the hub has
        acknowledged may still be in the table. The oldest is the first row above the cursor (rows
        queue in the order they are written): found by the primary key, so a site that never synced
        (hundreds of thousands of rows) is not read through.
        """
        pushed = select(func.coalesce(func.max(LocalSite.pushed_seq), 0)).scalar_subquery()
        with self.db.read() as s:
            count = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.local_seq > pushed))
            oldest = s.scalar(select(Outbox.created_at).where(Outbox.local_seq > pushed)
                              .order_by(Outbox.local_seq).limit(1))
        oldest_at = None
        if oldest:
            # the trigger stamps UTC ISO text; show it in local wall-clock time
            utc = datetime.fromisoformat(oldest.replace("Z", "+00:00"))
            oldest_at = utc.astimezone().replace(tzinfo=None)
        return SyncState(int(count), oldest_at)

    @requires("status.read")
    def day_figures(self, day: date | None = None) -> DayFigures:
        """Visits and settled money of ``day`` (default today) at this site."""
        return self.days_figures(day or now().date(), 1)[0]

    @requires("status.read")
    def recent_days(self, days: int = 7, until: date | None = None) -> list[DayFigures]:
        """``day_figures`` of the ``days`` days up to ``until`` (default today), oldest first."""
        return self.days_figures(until or now().date(), days)

    @requires("status.read")
    def days_figures(self, until: date, days: int) -> list[DayFigures]:
        """``day_figures`` of ``days`` days up to ``until``, oldest first, in two queries.

        Visits by (site, day) and settlements by (site, time) are both read on their index, so the
        cost is the days asked for, not the years the database holds.
        """
        first = until - timedelta(days=days - 1)
        site_id = self.db.local_site_id
        start = datetime.combine(first, time.min)
        end = datetime.combine(until + timedelta(days=1), time.min)
        day = day_of(Settlement.settled_at, first, days)
        with self.db.read() as s:
            visits = dict(s.execute(
                select(Visit.visit_date, func.count(Visit.id))
                .where(Visit.site_id == site_id, Visit.visit_date >= first, Visit.visit_date <= until)
                .group_by(Visit.visit_date)
            ).all())
            money = {
                day: values
                for day, *values in s.execute(
                    select(
                        day,
                        func.count(Settlement.id),
                        func.coalesce(func.sum(Settlement.total_fen), 0),
                        func.coalesce(func.sum(Settlement.fund_fen), 0),
                        func.coalesce(func.sum(Settlement.general_fee_fund_fen), 0),
                        func.coalesce(func.sum(Settlement.assistance_fen), 0),
                        func.coalesce(func.sum(Settlement.self_paid_fen), 0),
                        func.coalesce(func.sum(Settlement.self_funded_fen), 0),
                    ).where(
                        Settlement.site_id == site_id,
                        Settlement.settled_at >= start,
                        Settlement.settled_at < end,
                        Settlement.id.not_in(select(Reversal.settlement_id)),
                    ).group_by(day)
                )
            }
        figures = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            count, total, fund, general, assist, self_paid, self_funded = money.get(day.isoformat(), (0,) * 7)
            figures.append(DayFigures(day, int(visits.get(day, 0)), int(count), int(total),
                                      int(fund + general + assist), int(self_paid + self_funded)))
        return figures

    @requires("status.read")
    def uncovered(self, day: date | None = None) -> list[UncoveredVisit]:
        """Settlements of ``day`` (default today) at this site that did not get the pooling fund
        (未参保 or in a waiting period), reversed ones left out; newest first. One indexed query."""
        day = day or now().date()
        start = datetime.combine(day, time.min)
        with self.db.read() as s:
            rows = s.execute(
                select(func.coalesce(Resident.name, ""), Settlement.waiting_until)
                .outerjoin(Resident, Resident.id == Settlement.resident_id)
                .outerjoin(Reversal, Reversal.settlement_id == Settlement.id)
                .where(Settlement.site_id == self.db.local_site_id, Settlement.settled_at >= start,
                       Settlement.settled_at < start + timedelta(days=1), Settlement.eligible.is_(False),
                       Reversal.id.is_(None))
                .order_by(Settlement.settled_at.desc())
            )
            return [UncoveredVisit(name, waiting_until) for name, waiting_until in rows]

    @requires("status.read")
    def backups(self) -> list[BackupFile]:
        """Backups in the data folder's ``backups/``, newest first."""
        from app.services.core.backup import PREFIX, SUFFIX  # the backup module is not needed to start

        files = []
        for path in self.data.backups.glob(f"{PREFIX}*{SUFFIX}"):
            at = _backup_time(path)
            if at is not None:
                files.append(BackupFile(path, at, path.stat().st_size))
        return sorted(files, key=lambda f: f.at, reverse=True)

    @requires("status.read")
    def last_backup(self) -> BackupFile | None:
        files = self.backups()
        return files[0] if files else None

    @requires("users.list")
    def locked_users(self, at: datetime | None = None) -> list[LockedUser]:
        """Accounts of this site locked by wrong passwords right now."""
        at = at or now()
        with self.db.read() as s:
            rows = s.execute(
                select(User.id, User.username, User.display_name, LoginState.locked_until)
                .join(LoginState, LoginState.user_id == User.id)
                .where(User.site_id == self.db.local_site_id, LoginState.locked_until > at)
                .order_by(User.username)
            )
            return [LockedUser(*row) for row in rows]

    @requires("audit.read")
    def audit_page(self, offset: int = 0, limit: int = 200, action_prefix: str = "") -> list[AuditEntry]:
        """Audit rows newest first, ``limit`` at a time; ``action_prefix`` e.g. ``signin.``."""
        with self.db.read() as s:
            stmt = select(AuditLog).order_by(AuditLog.id.desc()).offset(offset).limit(limit)
            if action_prefix:
                stmt = stmt.where(AuditLog.action.startswith(action_prefix, autoescape=True))
            return audit_entries(s, list(s.scalars(stmt)))
