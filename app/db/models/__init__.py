"""All tables. Import from here so every model is registered on ``Base.metadata``."""

from .base import Base, SyncedBase, synced_tables
from .care import (
    ChronicQualification,
    Enrollment,
    Household,
    PrescriptionLine,
    ReceiptPrint,
    Resident,
    Reversal,
    Settlement,
    Visit,
)
from .cases import Case, CaseAttachment, CaseEvent
from .local import (
    AppSetting,
    AuditLog,
    LocalSite,
    LoginState,
    Outbox,
    OutboxTx,
    ResidentSearchKey,
    SyncRejection,
    SyncState,
)
from .org import PolicyFile, Site, Store, User
from .stock import Batch, Drug, DrugMapping, StockMovement, Stocktake, StocktakeLine, StoreDrugSettings, TraceCodeEvent

__all__ = [
    "AppSetting",
    "AuditLog",
    "Base",
    "Batch",
    "Case",
    "CaseAttachment",
    "CaseEvent",
    "ChronicQualification",
    "Drug",
    "DrugMapping",
    "Enrollment",
    "Household",
    "LocalSite",
    "LoginState",
    "Outbox",
    "OutboxTx",
    "PolicyFile",
    "PrescriptionLine",
    "ReceiptPrint",
    "Resident",
    "ResidentSearchKey",
    "Reversal",
    "Settlement",
    "Site",
    "StockMovement",
    "Stocktake",
    "StocktakeLine",
    "Store",
    "StoreDrugSettings",
    "SyncRejection",
    "SyncState",
    "SyncedBase",
    "TraceCodeEvent",
    "User",
    "Visit",
    "synced_tables",
]
