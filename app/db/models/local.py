"""Tables that never leave this installation: identity, settings, outbox, audit, sign-in state."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class LocalSite(Base):
    """Which site this installation is (one row). The outbox triggers read it."""

    __tablename__ = "local_site"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    site_id: Mapped[str] = mapped_column(String(36))
    db_instance_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    #: the last ``outbox.local_seq`` the hub has acknowledged; the rows above it are pending
    pushed_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: when this site enrolled under a township hub; None while it is standalone. An enrolled village
    #: reads the township's catalog and may not write it (``app.domain.permissions``).
    enrolled_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: the last hub changelog ``seq`` whose changes are saved here (moves with them, in one transaction)
    pulled_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SyncState(Base):
    """How this site reaches its township hub (one row, never synced; absent while standalone).

    The token is this site's own secret (the hub keeps only its hash); it stays in this file.
    """

    __tablename__ = "sync_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    hub_url: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(200))
    township_site_id: Mapped[str | None] = mapped_column(String(36))
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime)


class SyncRejection(Base):
    """An op of this site the hub rejected, kept to be shown in Chinese (never synced, never dropped)."""

    __tablename__ = "sync_rejections"

    local_seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    op_id: Mapped[str] = mapped_column(String(36), unique=True)
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class ResidentSearchKey(Base):
    """One pinyin search key of a resident (``residents.pinyin_keys``, one row per reading).

    Derived, never synced: SQLite triggers of migration 0009 keep it in step with every write of a
    resident (the service, a bulk load, a pulled row). The resident search reads a prefix of ``key``
    as an index range instead of every resident.
    """

    __tablename__ = "resident_search_keys"
    __table_args__ = (Index("ix_resident_search_keys_resident", "resident_id"),)

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    resident_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class AppSetting(Base):
    """Site settings (JSON values): idle-lock minutes, printer, receipt size, backup folder…"""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Outbox(Base):
    """One row per insert/update of a locally-owned synced record, written by trigger (DESIGN §4).

    The protocol log: ``local_seq`` is AUTOINCREMENT, so a number is never used twice, even after the
    pushed rows are removed; every row of one transaction carries that transaction's ``tx_id``.
    """

    __tablename__ = "outbox"
    __table_args__ = {"sqlite_autoincrement": True}

    local_seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    op_id: Mapped[str] = mapped_column(String(36), unique=True)
    tx_id: Mapped[str] = mapped_column(String(36))
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    schema_version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))


class OutboxTx(Base):
    """The write transaction in progress (one row): its id and whether it applies pulled rows.

    Set at ``BEGIN`` by every writer (``app.db.outbox.mark_transaction``) and cleared before ``COMMIT``,
    so other connections only ever see it empty. The outbox triggers read it: SQLite triggers cannot
    see a connection's temporary tables, so the value lives in this table.
    """

    __tablename__ = "outbox_tx"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    tx_id: Mapped[str | None] = mapped_column(String(36))
    applying_remote: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class AuditLog(Base):
    """Append-only: sign-ins, reversals, adjustments, settings changes. Triggers forbid edits."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    site_id: Mapped[str | None] = mapped_column(String(36))
    user_id: Mapped[str | None] = mapped_column(String(36))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48), index=True)
    target_table: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[str] = mapped_column(Text, default="{}")


class LoginState(Base):
    """Failed sign-ins and lockout per user, kept locally (not synced)."""

    __tablename__ = "login_state"

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class PeerSyncStatus(Base):
    """What the hub last said about another site of this township (never synced; the township's copy).

    Filled by the sync client after each sync of a township from the hub's list of its villages, so the
    村室药品一览 and the township 工作台 can show when each village last synced, and how far the hub has
    received its outbox, without a network call.
    """

    __tablename__ = "peer_sync_status"

    site_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: the highest ``local_seq`` of that site the hub has received
    last_local_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
