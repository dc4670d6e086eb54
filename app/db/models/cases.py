"""Assisted filing 帮办代办 (DESIGN §6): cases and their append-only timeline."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import SyncedBase


class Case(SyncedBase):
    """帮办代办事项: one application handled for a resident, owned by the village that opened it.

    Only that village writes this row (the collected materials change when the resident brings more);
    where the case stands is its timeline (``CaseEvent``), to which the township adds rows of its own.
    ``collected`` is a JSON list of the checklist items the clinic has received. ``due_fallback`` says
    the due date was counted Monday–Friday for a year the holiday calendar does not know.
    """

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("owner_site_id", "case_no", name="uq_cases_site_case_no"),
        Index("ix_cases_site_accepted", "site_id", "accepted_on"),
    )

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    case_no: Mapped[str] = mapped_column(String(24))
    case_type: Mapped[str] = mapped_column(String(32))
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    agent_name: Mapped[str] = mapped_column(String(32), default="")  # 代办人
    agent_id_number: Mapped[str] = mapped_column(String(18), default="")
    agent_relation: Mapped[str] = mapped_column(String(16), default="")  # to the resident
    responsible_user_id: Mapped[str | None] = mapped_column(String(36))
    responsible_name: Mapped[str] = mapped_column(String(32), default="")  # 专人负责
    accepted_on: Mapped[date] = mapped_column(Date)
    due_workdays: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    due_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    collected: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of checklist items received
    note: Mapped[str] = mapped_column(String(200), default="")


class CaseEvent(SyncedBase):
    """办理记录: one step of a case's timeline, owned by the site that acted. Append-only.

    The village writes 已受理 and, after a return, 已报送 again; the township's case worker writes 已报送,
    退回补件 (``missing``: JSON list of what to bring), 已办结 and 不予办理. An event written by another site
    than the case's is addressed to the case's village (``to_site_id``), so the village pulls it.
    ``step`` numbers the timeline from 1 (only one site may act at each status, so steps never collide).
    """

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_step", "case_id", "step"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    step: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="")
    missing: Mapped[str] = mapped_column(Text, default="[]")  # JSON list, for 退回补件
    user_id: Mapped[str | None] = mapped_column(String(36))
    user_name: Mapped[str] = mapped_column(String(32), default="")
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    to_site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"))


class CaseAttachment(SyncedBase):
    """附件: a scan or photo of a case's material, owned by the site that added it. Never changed.

    The file itself lives beside the database, content-addressed (``attachments/ab/abcdef…``, the
    SHA-256 of its bytes, ``app.db.blobs``); the row names it by ``sha256`` and travels through the
    hub only after the file has. An attachment added by another site than the case's is addressed to
    the case's village (``to_site_id``), so the village pulls it.
    """

    __tablename__ = "case_attachments"
    __table_args__ = (Index("ix_case_attachments_case_added", "case_id", "added_at"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(120))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[str | None] = mapped_column(String(36))
    user_name: Mapped[str] = mapped_column(String(32), default="")
    to_site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"))
