"""村室药品一览: the township's view of every village's stock, usage and near-expiry drugs."""

from __future__ import annotations

from app.db.uow import Database
from app.services.core.context import Session


class OverviewService:
    """Per-village figures of a township, and the drill-down to one village's stock."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session
