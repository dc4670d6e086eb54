"""What the 同步 page and the status bar show about this site's sync, and 立即同步 (DESIGN §4).

``SiteSync`` is the one door the app uses (``Services.sync``):

- :meth:`SiteSync.status` reads whether the site has joined a hub, the hub's address, the last sync and
  its outcome, the outbox rows not yet pushed (count and the oldest's time: what a restore from a backup
  could lose), the pulled cursor and the rejected changes, with table and field named in Chinese;
- :meth:`SiteSync.sync_now` pushes then pulls until nothing is left (``SyncClient.sync_once``) and says
  which tables it applied, so the pages showing them can refresh.

Reads go through the reader engine with SQLAlchemy Core; nothing here runs a use case.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.db.models import Base
from app.db.uow import Database

from .client import Progress, SyncClient, SyncResult
from .names import field_name, table_name
from .protocol import MAX_PAGE_OPS
from .transport import RETRY_SECONDS

_outbox = Base.metadata.tables["outbox"]
_local_site = Base.metadata.tables["local_site"]
_sync_state = Base.metadata.tables["sync_state"]
_rejections = Base.metadata.tables["sync_rejections"]

#: the newest rejections the 同步 page lists
REJECTIONS_SHOWN = 500


def default_retry_seconds() -> float:
    """How long a sync keeps trying an unreachable hub (``CUNYI_SYNC_RETRY_SECONDS``, default 30)."""
    try:
        return max(float(os.environ.get("CUNYI_SYNC_RETRY_SECONDS", RETRY_SECONDS)), 0.0)
    except ValueError:
        return RETRY_SECONDS


def default_page_size() -> int:
    """The most changes per push or pull page (``CUNYI_SYNC_PAGE_SIZE``, 1–1000, default 1000).

    Smaller pages suit a poor connection: each page is one request, saved as it arrives.
    """
    try:
        size = int(os.environ.get("CUNYI_SYNC_PAGE_SIZE", MAX_PAGE_OPS))
    except ValueError:
        return MAX_PAGE_OPS
    return min(max(size, 1), MAX_PAGE_OPS)


@dataclass(frozen=True)
class Rejection:
    """A change of this site the hub refused, as the 同步 page lists it."""

    table: str
    table_label: str
    field: str
    reason: str
    action: str
    at: datetime
    record_id: str


@dataclass(frozen=True)
class SyncStatus:
    """This site's sync at a glance.

    Attributes:
        joined: the site has joined a township hub (standalone otherwise).
        hub_url: the hub's address ("" when standalone).
        last_sync_at: the end of the last sync that finished (local time), or None.
        last_error: why the last sync failed, in Chinese; None when the last one succeeded.
        last_error_at: when it failed.
        pending: outbox rows written here and not yet accepted by the hub.
        oldest_pending_at: when the oldest of them was written (local time).
        pulled_seq: how far this site has read the hub's changes.
        rejections: the hub's refusals, newest first (at most ``REJECTIONS_SHOWN``).
    """

    joined: bool
    hub_url: str
    last_sync_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    pending: int
    oldest_pending_at: datetime | None
    pulled_seq: int
    rejections: tuple[Rejection, ...]

    @property
    def failing(self) -> bool:
        """The last attempt failed (after the last success, if any)."""
        return bool(self.last_error) and (self.last_sync_at is None or self.last_error_at is None
                                          or self.last_error_at >= self.last_sync_at)

    @property
    def label(self) -> str:
        """The status bar's short text: 单机运行, 同步出错, 待上传 N 条 or 已同步 HH:MM."""
        if not self.joined:
            return f"单机运行 · 待同步 {self.pending} 条" if self.pending else "单机运行"
        if self.failing:
            return f"同步出错 · 待上传 {self.pending} 条" if self.pending else "同步出错"
        if self.pending:
            return f"待上传 {self.pending} 条"
        if self.last_sync_at is not None:
            return f"已同步 {self.last_sync_at:%H:%M}"
        return "尚未同步"


def _local(stamp: str | None) -> datetime | None:
    """An outbox ``created_at`` (UTC ISO text written by the trigger) in local wall-clock time."""
    if not stamp:
        return None
    utc = datetime.fromisoformat(stamp)
    return utc.astimezone().replace(tzinfo=None) if utc.tzinfo else utc


class SiteSync:
    """Status and 立即同步 of the site database ``db``.

    Args:
        db: the site's database.
        retry_seconds: how long one sync keeps trying an unreachable hub.
        **client_args: passed to :class:`~app.sync.client.SyncClient` (tests inject transports).
    """

    def __init__(self, db: Database, *, retry_seconds: float | None = None, **client_args: object) -> None:
        self.db = db
        self.retry_seconds = default_retry_seconds() if retry_seconds is None else retry_seconds
        self._client_args = client_args

    def joined(self) -> bool:
        """Whether this site has joined a hub."""
        with self.db.reader.connect() as conn:
            return conn.execute(select(_sync_state.c.id).where(_sync_state.c.id == 1)).first() is not None

    def status(self) -> SyncStatus:
        """Everything the 同步 page shows, read in one read transaction."""
        st, ls, o, r = _sync_state.c, _local_site.c, _outbox.c, _rejections.c
        with self.db.reader.connect() as conn, conn.begin():
            hub = conn.execute(select(st.hub_url, st.last_sync_at, st.last_error, st.last_error_at)
                               .where(st.id == 1)).first()
            pushed, pulled = conn.execute(select(ls.pushed_seq, ls.pulled_seq).where(ls.id == 1)).first() or (0, 0)
            after = o.local_seq > (pushed or 0)
            pending = conn.execute(select(func.count()).select_from(_outbox).where(after)).scalar() or 0
            oldest = conn.execute(select(o.created_at).where(after).order_by(o.local_seq).limit(1)).scalar()
            rows = conn.execute(select(r.table_name, r.field, r.reason, r.action, r.at, r.record_id)
                                .order_by(r.at.desc(), r.local_seq.desc()).limit(REJECTIONS_SHOWN)).all()
        rejections = tuple(Rejection(row.table_name, table_name(row.table_name), field_name(row.field), row.reason,
                                     row.action or "", row.at, row.record_id) for row in rows)
        return SyncStatus(hub is not None, hub.hub_url if hub else "", hub.last_sync_at if hub else None,
                          hub.last_error if hub else None, hub.last_error_at if hub else None, int(pending),
                          _local(oldest), int(pulled or 0), rejections)

    def sync_now(self, progress: Progress | None = None) -> SyncResult:
        """Push until the outbox is empty, then pull until the hub has nothing more.

        Raises:
            SyncError: not joined, the hub refused, or it could not be reached within ``retry_seconds``
                (the reason, in Chinese, is also kept for :meth:`status`).
        """
        args = {"page_size": default_page_size(), **self._client_args}
        client = SyncClient(self.db, retry_seconds=self.retry_seconds, **args)
        try:
            return client.sync_once(progress)
        finally:
            client.close()
