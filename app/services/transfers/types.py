"""What ``TransfersService`` takes and returns: forms and frozen dataclasses (money fen, quantities base units)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

# -- purchasing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistributorForm:
    name: str
    credit_code: str = ""
    contact: str = ""
    phone: str = ""
    active: bool = True


@dataclass(frozen=True)
class DistributorInfo:
    id: str
    name: str
    credit_code: str
    contact: str
    phone: str
    active: bool


@dataclass(frozen=True)
class PurchaseLineForm:
    drug_id: str
    batch_no: str
    expiry: date
    quantity: int | str
    pack_price_fen: int
    trace_codes: Sequence[str] = ()
    accept_near_expiry: bool = False


@dataclass(frozen=True)
class PurchaseForm:
    distributor_id: str
    delivery_note_no: str
    invoice_no: str
    lines: Sequence[PurchaseLineForm]
    note: str = ""


@dataclass(frozen=True)
class PurchaseDone:
    receipt_id: str
    receipt_no: str
    total_fen: int


@dataclass(frozen=True)
class PurchaseInfo:
    id: str
    receipt_no: str
    kind: str  # purchase | return
    distributor_id: str
    distributor_name: str
    delivery_note_no: str
    invoice_no: str
    returns_id: str | None
    received_at: datetime
    line_count: int
    total_fen: int
    user_name: str
    note: str


@dataclass(frozen=True)
class PurchaseLineInfo:
    id: str
    line_no: int
    drug_id: str
    generic_name: str
    strength: str
    units_per_pack: int
    pack_unit: str
    base_unit: str
    batch_id: str
    batch_no: str
    expiry: date
    quantity: int
    pack_price_fen: int
    amount_fen: int
    code_count: int
    returned_units: int  # of a purchase line: already returned to the distributor


@dataclass(frozen=True)
class PurchaseDetail:
    info: PurchaseInfo
    lines: list[PurchaseLineInfo]


# -- requisitions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestedLine:
    drug_id: str
    generic_name: str
    strength: str
    pack_unit: str
    base_unit: str
    units_per_pack: int
    monthly_use_units: int
    on_hand_units: int
    in_transit_units: int
    suggested_units: int


@dataclass(frozen=True)
class RequisitionDone:
    requisition_id: str
    requisition_no: str


@dataclass(frozen=True)
class RequisitionInfo:
    id: str
    requisition_no: str
    site_id: str
    site_name: str
    requested_at: datetime
    target_months: int
    status: str  # waiting | answered | cancelled
    line_count: int
    shipment_id: str | None
    shipment_no: str | None
    shipment_status: str | None  # draft | in_transit | received
    note: str = ""
    user_name: str = ""


@dataclass(frozen=True)
class RequisitionLineInfo:
    id: str
    line_no: int
    drug_id: str
    generic_name: str
    strength: str
    units_per_pack: int
    pack_unit: str
    base_unit: str
    monthly_use_units: int
    on_hand_units: int
    in_transit_units: int
    suggested_units: int
    requested_units: int
    township_on_hand_units: int  # the township store's unexpired stock (0 where this is not the township)


@dataclass(frozen=True)
class RequisitionDetail:
    info: RequisitionInfo
    lines: list[RequisitionLineInfo]


# -- shipments -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PickLine:
    """One lot to take off the shelf. A draft's shortfall is a line without a lot (``batch_id`` "")."""

    drug_id: str
    generic_name: str
    strength: str
    shelf: str
    batch_id: str
    batch_no: str
    expiry: date | None
    quantity: int
    units_per_pack: int
    pack_unit: str
    base_unit: str


@dataclass(frozen=True)
class ShipDone:
    shipment_id: str
    shipment_no: str
    line_count: int
    amount_fen: int


@dataclass(frozen=True)
class ShipmentInfo:
    id: str
    shipment_no: str
    to_site_id: str
    to_site_name: str
    kind: str  # requisition | ad_hoc | redistribution
    requisition_no: str | None
    status: str  # draft | in_transit | received | cancelled
    drafted_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    line_count: int
    qty_shipped: int  # a draft: the approved quantities
    qty_received: int
    qty_lost: int
    amount_fen: int  # what was shipped (a draft: approved) at the procurement price
    note: str = ""
    user_name: str = ""


@dataclass(frozen=True)
class ShipmentLineInfo:
    id: str
    line_no: int
    drug_id: str
    generic_name: str
    strength: str
    units_per_pack: int
    pack_unit: str
    base_unit: str
    requested_units: int
    quantity: int
    batch_no: str
    expiry: date | None
    pack_price_fen: int
    trace_codes: tuple[str, ...]
    qty_received: int | None  # None until the village's receipt has arrived
    qty_lost: int | None
    reason: str = ""


@dataclass(frozen=True)
class ShipmentDetail:
    info: ShipmentInfo
    lines: list[ShipmentLineInfo]


@dataclass(frozen=True)
class ReceiptDone:
    receipt_id: str
    received_units: int
    lost_units: int


# -- returns ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnInfo:
    id: str
    return_no: str
    site_id: str
    site_name: str
    returned_at: datetime
    drug_id: str
    generic_name: str
    strength: str
    units_per_pack: int
    pack_unit: str
    base_unit: str
    batch_no: str
    expiry: date
    quantity: int
    pack_price_fen: int
    amount_fen: int
    reason: str
    status: str  # waiting | received
    received_at: datetime | None
    trace_codes: tuple[str, ...] = field(default_factory=tuple)
