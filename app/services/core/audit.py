"""The append-only audit log: sign-ins, reversals, adjustments, settings changes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import AuditLog
from app.db.uow import Database
from app.services.core.context import Actor, Session, audit_row, requires


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target_table: str | None
    target_id: str | None
    detail: dict
    #: the details in words (``audit_text.describe``): names and yuan, no ids
    text: str = ""


def audit_entries(session: OrmSession, rows: list[AuditLog]) -> list[AuditEntry]:
    """``AuditEntry`` of each row, its details put in words with the names of the ids it holds."""
    from app.services.core.audit_text import describe, lookup_refs

    parsed = [(r, json.loads(r.detail or "{}")) for r in rows]
    refs = lookup_refs(session, [(r.target_table, r.target_id, d) for r, d in parsed])
    return [AuditEntry(r.at, r.actor, r.action, r.target_table, r.target_id, d,
                       describe(r.action, d, r.target_table, r.target_id, refs)) for r, d in parsed]


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

    @requires("audit.read")
    def recent(self, limit: int = 200, action: str | None = None) -> list[AuditEntry]:
        with self.db.read() as s:
            stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
            if action:
                stmt = stmt.where(AuditLog.action == action)
            return audit_entries(s, list(s.scalars(stmt)))
