"""Purchasing, requisitions, shipments, receipts and returns (DESIGN §1, §4)."""

from __future__ import annotations

from app.db.uow import Database
from app.services.core.context import Session


class TransfersService:
    """The township's purchasing and shipments, a village's requisitions, receipts and returns."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session
