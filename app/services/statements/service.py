"""Monthly unified statements 统一结算单 (DESIGN §4, §9)."""

from __future__ import annotations

from app.db.uow import Database
from app.services.core.context import Session


class StatementService:
    """Month-end marks, the basic-drug subsidy, statements, their finalising and acknowledgment."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session
