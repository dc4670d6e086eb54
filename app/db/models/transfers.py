"""Township operations 三统 (DESIGN §1, §4): purchasing, requisitions 报量, shipments 调拨, receipts 调拨入库,
returns, the basic-drug subsidy and the monthly unified statements 统一结算单.

Who writes what (each row has exactly one owner; nothing is merged):

- the township: distributors 配送企业, reference prices, purchase receipts and their lines, shipments and
  their lines (addressed to the village, ``to_site_id``), receipts of the villages' returns, the
  basic-drug subsidy entered per village and month, the statements;
- a village: its requisitions, its receipt of each shipment (id ``uuid5(shipment_id)``, so a shipment is
  received at most once whoever tries), its returns to the township, its month-end marks and its
  acknowledgment of a statement.

Money is integer fen, quantities base units; a line's price is per pack (``units_per_pack`` of the drug).
Stock moves only through the ledger (``stock_movements``): purchase 采购入库 (``receipt``), purchase return
(``supplier_return``), TRANSFER_OUT at shipping, TRANSFER_IN at the village's receipt; a shortfall is
recorded on the receipt line (``qty_lost``), the township's loss.
"""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import SyncedBase


class Distributor(SyncedBase):
    """配送企业: a company that delivers 集采 drugs to the township. Township-owned."""

    __tablename__ = "distributors"
    __table_args__ = (UniqueConstraint("owner_site_id", "name", name="uq_distributors_owner_name"),)

    name: Mapped[str] = mapped_column(String(64))
    credit_code: Mapped[str] = mapped_column(String(32), default="")  # 统一社会信用代码
    contact: Mapped[str] = mapped_column(String(32), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DrugReferencePrice(SyncedBase):
    """A drug's price per pack before 集采 (the savings report's reference). Township-owned, one per drug."""

    __tablename__ = "drug_reference_prices"
    __table_args__ = (UniqueConstraint("owner_site_id", "drug_id", name="uq_drug_reference_prices_owner_drug"),)

    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"))
    reference_price_fen: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(64), default="")


class PurchaseReceipt(SyncedBase):
    """采购入库 (``kind`` purchase) or 采购退货 (``kind`` return, ``returns_id`` the receipt it returns from).

    Immutable once written. ``delivery_note_no`` is the distributor's 随货单号: one distributor's note
    is entered once.
    """

    __tablename__ = "purchase_receipts"
    __table_args__ = (
        UniqueConstraint("owner_site_id", "receipt_no", name="uq_purchase_receipts_owner_receipt_no"),
        Index("ix_purchase_receipts_note", "distributor_id", "delivery_note_no", "kind"),
        Index("ix_purchase_receipts_site_received", "site_id", "received_at"),
    )

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    distributor_id: Mapped[str] = mapped_column(ForeignKey("distributors.id"))
    kind: Mapped[str] = mapped_column(String(16), default="purchase")  # purchase | return
    receipt_no: Mapped[str] = mapped_column(String(24))
    delivery_note_no: Mapped[str] = mapped_column(String(40), default="")  # 随货单号
    invoice_no: Mapped[str] = mapped_column(String(40), default="")  # 发票号
    returns_id: Mapped[str | None] = mapped_column(ForeignKey("purchase_receipts.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    total_fen: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[str | None] = mapped_column(String(36))
    user_name: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(String(200), default="")


class PurchaseLine(SyncedBase):
    """One line of a purchase receipt or return: a lot, its quantity (base units) and price per pack."""

    __tablename__ = "purchase_lines"
    __table_args__ = (Index("ix_purchase_lines_receipt_line", "receipt_id", "line_no"),)

    receipt_id: Mapped[str] = mapped_column(ForeignKey("purchase_receipts.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"), index=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"))
    batch_no: Mapped[str] = mapped_column(String(32))
    expiry: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)  # base units, positive (a return's line too)
    pack_price_fen: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    code_count: Mapped[int] = mapped_column(Integer, default=0)  # trace codes scanned


class Requisition(SyncedBase):
    """报量 / 请领单: a village asks its township for quantities. Village-owned; ``status`` submitted | cancelled."""

    __tablename__ = "requisitions"
    __table_args__ = (
        UniqueConstraint("owner_site_id", "requisition_no", name="uq_requisitions_owner_requisition_no"),
        Index("ix_requisitions_site_requested", "site_id", "requested_at"),
    )

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    requisition_no: Mapped[str] = mapped_column(String(24))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    target_months: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    user_id: Mapped[str | None] = mapped_column(String(36))
    user_name: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(String(200), default="")


class RequisitionLine(SyncedBase):
    """One drug of a requisition, with the figures its suggested quantity came from (base units)."""

    __tablename__ = "requisition_lines"
    __table_args__ = (Index("ix_requisition_lines_req_line", "requisition_id", "line_no"),)

    requisition_id: Mapped[str] = mapped_column(ForeignKey("requisitions.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"))
    monthly_use_units: Mapped[int] = mapped_column(Integer, default=0)
    on_hand_units: Mapped[int] = mapped_column(Integer, default=0)
    in_transit_units: Mapped[int] = mapped_column(Integer, default=0)
    suggested_units: Mapped[int] = mapped_column(Integer, default=0)
    requested_units: Mapped[int] = mapped_column(Integer)


class Shipment(SyncedBase):
    """调拨出库单: the township sends stock to a village (``to_site_id``). Township-owned.

    ``status``: draft (approved quantities, nothing moved yet; may still change) → shipped (the lines
    hold the picked lots, TRANSFER_OUT written; immutable) | cancelled (a draft given up). Received is
    not a status of this row: it is the village's ``TransferReceipt``.
    """

    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("owner_site_id", "shipment_no", name="uq_shipments_owner_shipment_no"),
        Index("ix_shipments_to_site_status", "to_site_id", "status"),
        Index("ix_shipments_requisition", "requisition_id"),
    )

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    to_site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    shipment_no: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(16), default="ad_hoc")  # requisition | ad_hoc | redistribution
    requisition_id: Mapped[str | None] = mapped_column(ForeignKey("requisitions.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    drafted_at: Mapped[datetime] = mapped_column(DateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_id: Mapped[str | None] = mapped_column(String(36))
    user_name: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(String(200), default="")


class ShipmentLine(SyncedBase):
    """One line of a shipment. In a draft: a drug and its approved quantity (``batch_id`` empty); once
    shipped: one picked lot each (FEFO), its quantity, price per pack and the trace codes of its boxes
    (JSON list). Addressed to the village like its shipment."""

    __tablename__ = "shipment_lines"
    __table_args__ = (Index("ix_shipment_lines_shipment_line", "shipment_id", "line_no"),)

    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"), index=True)
    requisition_line_id: Mapped[str | None] = mapped_column(ForeignKey("requisition_lines.id"))
    requested_units: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[int] = mapped_column(Integer)  # base units
    #: the township's lot, once shipped. Not a foreign key: the village, to which the line is addressed, never
    #: holds the township's batches; there the lot is its batch no and expiry
    batch_id: Mapped[str | None] = mapped_column(String(36))
    batch_no: Mapped[str] = mapped_column(String(32), default="")
    expiry: Mapped[date | None] = mapped_column(Date)
    pack_price_fen: Mapped[int] = mapped_column(Integer, default=0)
    trace_codes: Mapped[str] = mapped_column(Text, default="[]")
    to_site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))


class TransferReceipt(SyncedBase):
    """调拨入库: the village confirms what arrived of one shipment. Village-owned; ``id`` is
    ``uuid5(shipment_id)`` and ``shipment_id`` is unique, so a shipment is received once."""

    __tablename__ = "transfer_receipts"
    __table_args__ = (
        UniqueConstraint("shipment_id", name="uq_transfer_receipts_shipment_id"),
        Index("ix_transfer_receipts_site_received", "site_id", "received_at"),
    )

    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[str | None] = mapped_column(String(36))
    user_name: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(String(200), default="")


class TransferReceiptLine(SyncedBase):
    """One shipment line as counted at the village: ``qty_received + qty_lost = qty_shipped``."""

    __tablename__ = "transfer_receipt_lines"
    __table_args__ = (
        UniqueConstraint("shipment_line_id", name="uq_transfer_receipt_lines_shipment_line_id"),
        Index("ix_transfer_receipt_lines_receipt", "receipt_id"),
    )

    receipt_id: Mapped[str] = mapped_column(ForeignKey("transfer_receipts.id"))
    shipment_line_id: Mapped[str] = mapped_column(ForeignKey("shipment_lines.id"))
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"))  # the village's lot (none if all lost)
    qty_shipped: Mapped[int] = mapped_column(Integer)
    qty_received: Mapped[int] = mapped_column(Integer)
    qty_lost: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(128), default="")  # why short


class StockReturn(SyncedBase):
    """退回乡镇: one lot a village sends back to its township (near-expiry 调剂, wrong goods…). Village-owned."""

    __tablename__ = "stock_returns"
    __table_args__ = (
        UniqueConstraint("owner_site_id", "return_no", name="uq_stock_returns_owner_return_no"),
        Index("ix_stock_returns_site_returned", "site_id", "returned_at"),
    )

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    return_no: Mapped[str] = mapped_column(String(24))
    returned_at: Mapped[datetime] = mapped_column(DateTime)
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"))
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"))
    batch_no: Mapped[str] = mapped_column(String(32))
    expiry: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    pack_price_fen: Mapped[int] = mapped_column(Integer)
    trace_codes: Mapped[str] = mapped_column(Text, default="[]")
    reason: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(36))
    user_name: Mapped[str] = mapped_column(String(32), default="")


class ReturnReceipt(SyncedBase):
    """The township's receipt of a village's return into its store. Township-owned, ``id`` is
    ``uuid5(return_id)``, addressed to the village."""

    __tablename__ = "return_receipts"
    __table_args__ = (UniqueConstraint("return_id", name="uq_return_receipts_return_id"),)

    return_id: Mapped[str] = mapped_column(ForeignKey("stock_returns.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))  # the village that returned
    received_at: Mapped[datetime] = mapped_column(DateTime)
    quantity: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)  # credited to the village at the procurement price
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"))  # the village's lot the return came from
    user_id: Mapped[str | None] = mapped_column(String(36))
    user_name: Mapped[str] = mapped_column(String(32), default="")
    to_site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))


class EssentialDrugSubsidy(SyncedBase):
    """基药补助 entered by the township for one village and month (fen). Township-owned, addressed to it."""

    __tablename__ = "essential_drug_subsidies"
    __table_args__ = (UniqueConstraint("site_id", "month", name="uq_essential_drug_subsidies_site_month"),)

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    amount_fen: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    to_site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))


class MonthClose(SyncedBase):
    """A village's mark that a month has ended: its operations of that month are the outbox rows up to
    ``last_local_seq``. Village-owned, written on the first sync (or simulated day) after the month.
    Rows reach the hub in ``local_seq`` order, so once the township holds this mark it holds everything
    of the village up to that sequence (DESIGN §4: ``covers_local_seq``)."""

    __tablename__ = "month_closes"
    __table_args__ = (UniqueConstraint("site_id", "month", name="uq_month_closes_site_month"),)

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    month: Mapped[str] = mapped_column(String(7))
    last_local_seq: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime] = mapped_column(DateTime)


class MonthlyStatement(SyncedBase):
    """统一结算单 of one village and month (DESIGN §9 ``report statement``). Township-owned, addressed to the
    village. ``status`` draft (recomputed on demand) → final (immutable); the village's acknowledgment is
    its own ``StatementAcknowledgment`` row."""

    __tablename__ = "statements"
    __table_args__ = (UniqueConstraint("site_id", "month", name="uq_statements_site_month"),)

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    month: Mapped[str] = mapped_column(String(7))
    statement_no: Mapped[str] = mapped_column(String(24))
    supplied_fen: Mapped[int] = mapped_column(Integer, default=0)
    returned_fen: Mapped[int] = mapped_column(Integer, default=0)
    carried_in_fen: Mapped[int] = mapped_column(Integer, default=0)
    due_fen: Mapped[int] = mapped_column(Integer, default=0)
    fund_receivable_fen: Mapped[int] = mapped_column(Integer, default=0)
    subsidy_fen: Mapped[int] = mapped_column(Integer, default=0)
    from_fund_fen: Mapped[int] = mapped_column(Integer, default=0)
    from_subsidy_fen: Mapped[int] = mapped_column(Integer, default=0)
    carried_out_fen: Mapped[int] = mapped_column(Integer, default=0)
    savings_fen: Mapped[int] = mapped_column(Integer, default=0)
    covers_local_seq: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    drafted_at: Mapped[datetime] = mapped_column(DateTime)
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_id: Mapped[str | None] = mapped_column(String(36))
    user_name: Mapped[str] = mapped_column(String(32), default="")
    to_site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))


class StatementAcknowledgment(SyncedBase):
    """The village's 确认 of a final statement. Village-owned, one per statement."""

    __tablename__ = "statement_acknowledgments"
    __table_args__ = (UniqueConstraint("statement_id", name="uq_statement_acknowledgments_statement_id"),)

    statement_id: Mapped[str] = mapped_column(ForeignKey("statements.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    acknowledged_at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[str | None] = mapped_column(String(36))
    user_name: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
