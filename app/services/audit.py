"""The append-only audit log: sign-ins, reversals, adjustments, settings changes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import AuditLog
from app.db.uow import Database

from .context import Actor, Session, audit_row


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target_table: str | None
    target_id: str | None
    detail: dict


def write_audit(
    session: OrmSession,
    actor: Actor,
    site_id: str | None,
    action: str,
    target_table: str | None = None,
    target_id: str | None = None,
    **detail: object,
) -> None:
    """Append one audit row inside the caller's transaction (a Core insert: no ORM flush needed)."""
    session.connection().execute(_INSERT_AUDIT, audit_row(actor, site_id, action, target_table, target_id, **detail))


_INSERT_AUDIT = AuditLog.__table__.insert()


class AuditService:
    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    def recent(self, limit: int = 200, action: str | None = None) -> list[AuditEntry]:
        with self.db.read() as s:
            stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
            if action:
                stmt = stmt.where(AuditLog.action == action)
            return [
                AuditEntry(r.at, r.actor, r.action, r.target_table, r.target_id, json.loads(r.detail))
                for r in s.scalars(stmt)
            ]
