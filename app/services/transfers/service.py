"""Purchasing, requisitions, shipments, receipts and returns (DESIGN §1, §4): ``TransfersService``.

Each part lives in a module of its own and is a mixin here: ``purchasing`` (配送企业, 采购入库, 采购退货),
``requisitions`` (报量), ``shipments`` (审核, 调拨出库单, 配货, 出库), ``queries`` (the lists of shipments),
``receipts`` (调拨入库), ``returns`` (退回乡镇 received at the township). Stock moves only through the ledger
functions of ``app.services.stock``. Importing this module registers the ``transfers`` and ``in-transit``
reports and the ``cunyi check`` rule that shipments close.
"""

from __future__ import annotations

from app.db.uow import Database
from app.services.core.context import Session

from . import checks as _checks  # noqa: F401  (registers the cunyi check rule)
from . import reports as _reports  # noqa: F401  (registers the transfers and in-transit reports)
from .purchasing import PurchasingMixin
from .queries import ShipmentQueriesMixin
from .receipts import ReceiptsMixin
from .requisitions import RequisitionsMixin
from .returns import ReturnsMixin
from .shipments import ShipmentsMixin


class TransfersService(PurchasingMixin, RequisitionsMixin, ShipmentsMixin, ShipmentQueriesMixin, ReceiptsMixin,
                       ReturnsMixin):
    """The township's purchasing and shipments, a village's requisitions, receipts and returns."""

    def __init__(self, db: Database, session: Session) -> None:
        super().__init__(db, session)
