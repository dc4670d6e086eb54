"""The unit of work: one write transaction, on the writer engine, with ownership rules.

Usage::

    with db.unit_of_work() as uow:
        uow.session.add(record)
    # committed here; an exception rolls everything back

Every synced record gets its base columns here: a UUIDv7 ``id``, ``owner_site_id`` (the local site),
``created_at``/``updated_at`` and ``version`` (bumped by the owner on every update). A record owned by
another site cannot be updated or deleted, and no synced record is ever deleted. The outbox rows are
written by triggers in the same transaction (see ``app.db.outbox``), all with the one ``tx_id`` the unit
of work gives its transaction at ``BEGIN``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from app.domain import clock
from app.domain.errors import CunyiError, DatabaseBusy, ForeignRecordError

from .connection import is_busy
from .engine import make_engine
from .models import LocalSite, Site, SyncedBase
from .outbox import clear_transaction, mark_transaction, sync_columns

#: key in ``Session.info``: set while applying records pulled from the hub
APPLYING_REMOTE = "applying_remote"


def now() -> datetime:
    """Local wall-clock time without microseconds noise beyond what SQLite keeps."""
    return clock.now().replace(tzinfo=None)


class UnitOfWork:
    """A write transaction; ``session`` is a SQLAlchemy session bound to the writer engine."""

    def __init__(self, session: Session, local_site_id: str | None) -> None:
        self.session = session
        self.local_site_id = local_site_id


class Database:
    """One SQLite file: a writer engine (``BEGIN IMMEDIATE``) and a reader engine."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.writer = make_engine(self.path, immediate=True)
        self.reader = make_engine(self.path, immediate=False)
        self._write_sessions = sessionmaker(self.writer, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.reader, expire_on_commit=False)
        self._local_site_id: str | None = None
        self._local_site_kind: str | None = None
        event.listen(self._write_sessions, "before_flush", self._before_flush)
        event.listen(self._write_sessions, "after_begin", self._after_begin)

    # -- identity -----------------------------------------------------------------------------
    @property
    def local_site_id(self) -> str | None:
        """The site this installation is, or None before the first-run wizard."""
        if self._local_site_id is None:
            with self.read() as session:
                row = session.get(LocalSite, 1)
                self._local_site_id = row.site_id if row else None
        return self._local_site_id

    @property
    def local_site_kind(self) -> str | None:
        """The kind of this installation's site (``village``/``township``), or None before the wizard."""
        if self._local_site_kind is None and self.local_site_id is not None:
            with self.read() as session:
                site = session.get(Site, self.local_site_id)
                self._local_site_kind = site.kind if site else None
        return self._local_site_kind

    @property
    def local_site_enrolled(self) -> bool:
        """Whether this installation has enrolled under a township hub (``local_site.enrolled_at``).

        Read at every call (enrolling changes it while the program runs); catalog writes ask it.
        """
        with self.read() as session:
            row = session.get(LocalSite, 1)
            return bool(row and row.enrolled_at is not None)

    def forget_local_site(self) -> None:
        self._local_site_id = None
        self._local_site_kind = None

    # -- sessions -----------------------------------------------------------------------------
    @contextmanager
    def unit_of_work(self, *, applying_remote: bool = False) -> Iterator[UnitOfWork]:
        """Open a write transaction; commit on success, roll back on any exception.

        Args:
            applying_remote: the transaction applies rows pulled from the hub: their columns are kept
                as pulled (owner, version, times) and the outbox queues none of them.

        Raises:
            DatabaseBusy: another program kept the write lock past ``WRITE_WAIT_S``; nothing was written
                and the user can try again (instead of the driver's raw "database is locked").
        """
        session = self._write_sessions()
        session.info["local_site_id"] = self.local_site_id
        session.info[APPLYING_REMOTE] = applying_remote
        try:
            yield UnitOfWork(session, session.info["local_site_id"])
            if session.in_transaction():
                session.flush()
                clear_transaction(session.connection())
            session.commit()
        except BaseException as exc:
            session.rollback()
            if is_busy(exc):
                raise DatabaseBusy() from exc
            raise
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session on the reader engine (never commits)."""
        session = self._read_sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.writer.dispose()
        self.reader.dispose()

    # -- rules applied to every flush ---------------------------------------------------------
    @staticmethod
    def _after_begin(session: Session, _transaction, connection) -> None:  # noqa: ANN001
        """Every outbox row of this transaction carries one ``tx_id`` (see ``app.db.outbox``)."""
        mark_transaction(connection, applying_remote=session.info.get(APPLYING_REMOTE, False))

    @staticmethod
    def _before_flush(session: Session, _ctx, _instances) -> None:  # noqa: ANN001
        local = session.info.get("local_site_id")
        remote = session.info.get(APPLYING_REMOTE, False)
        stamp = now()
        for obj in session.new:
            if isinstance(obj, SyncedBase):
                owner = obj.owner_site_id or local
                if owner is None:
                    raise CunyiError("本机尚未建站，请先完成建站向导")
                for name, value in sync_columns(owner, stamp, obj.id).items():
                    if getattr(obj, name) is None:
                        setattr(obj, name, value)
        for obj in session.dirty:
            if isinstance(obj, SyncedBase) and session.is_modified(obj, include_collections=False):
                if not remote and obj.owner_site_id != local:
                    raise ForeignRecordError(
                        f"该记录（{obj.__tablename__}）属于其他机构，本机不能修改；"
                        "请联系所属机构办理或提交变更申请"
                    )
                if not remote:
                    obj.updated_at = stamp
                    obj.version = (obj.version or 0) + 1
        for obj in session.deleted:
            if isinstance(obj, SyncedBase):
                raise ForeignRecordError(
                    f"同步记录（{obj.__tablename__}）不能删除，请做冲正或停用"
                )


__all__ = ["APPLYING_REMOTE", "Database", "UnitOfWork", "now"]
