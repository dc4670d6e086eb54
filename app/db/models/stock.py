"""Catalog, batches, the append-only stock ledger, trace codes and stocktakes."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import SyncedBase


class Drug(SyncedBase):
    """A catalog item (药品目录条目). Township-owned; villages read it."""

    __tablename__ = "drugs"

    national_code: Mapped[str] = mapped_column(String(32), default="", index=True)
    generic_name: Mapped[str] = mapped_column(String(64))
    brand_name: Mapped[str] = mapped_column(String(64), default="")
    form: Mapped[str] = mapped_column(String(32), default="")  # 剂型
    strength: Mapped[str] = mapped_column(String(64), default="")  # 规格
    pack_unit: Mapped[str] = mapped_column(String(8), default="盒")
    base_unit: Mapped[str] = mapped_column(String(8), default="片")
    units_per_pack: Mapped[int] = mapped_column(Integer, default=1)
    maker: Mapped[str] = mapped_column(String(64), default="")
    approval_no: Mapped[str] = mapped_column(String(32), default="")  # 批准文号
    barcode: Mapped[str] = mapped_column(String(32), default="", index=True)
    coverage_class: Mapped[str] = mapped_column(String(1), default="A")
    class_b_self_bp: Mapped[int | None] = mapped_column(Integer)  # per-drug 乙类先行自付 override
    is_vbp: Mapped[bool] = mapped_column(Boolean, default=False)
    vbp_round: Mapped[str] = mapped_column(String(32), default="")
    is_essential: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str] = mapped_column(String(32), default="")
    price_fen: Mapped[int] = mapped_column(Integer, default=0)  # procurement price per pack
    retail_price_fen: Mapped[int] = mapped_column(Integer, default=0)  # = price_fen unless marked up
    zero_markup: Mapped[bool] = mapped_column(Boolean, default=True)  # 零差价
    pinyin_abbr: Mapped[str] = mapped_column(String(32), default="", index=True)
    pinyin_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    pinyin_keys: Mapped[str] = mapped_column(String(255), default="")  # the 拼音码, then initials of other readings
    pinyin_sort: Mapped[str] = mapped_column(String(255), default="", index=True)  # full pinyin of the generic name
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class StoreDrugSettings(SyncedBase):
    """One store's choices about a catalog drug: its shelf (货位) and minimum stock (最低库存).

    Owned by the store's site, so a village sets them without touching the township's catalog row.
    """

    __tablename__ = "store_drug_settings"
    __table_args__ = (UniqueConstraint("store_id", "drug_id", name="uq_store_drug_settings_store_drug"),)

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"), index=True)
    shelf: Mapped[str] = mapped_column(String(16), default="")  # 货位
    min_stock_units: Mapped[int] = mapped_column(Integer, default=0)  # base units


class Batch(SyncedBase):
    """A lot of one drug in one store. ``on_hand`` caches Σ movements, updated in the same transaction."""

    __tablename__ = "batches"
    __table_args__ = (
        UniqueConstraint("store_id", "drug_id", "batch_no", "expiry", name="lot"),
        Index("ix_batches_store_drug_expiry", "store_id", "drug_id", "expiry"),
        #: the lots that still hold stock (stock list, alerts): a few among the years of emptied ones
        Index("ix_batches_stocked", "store_id", "drug_id", "expiry",
              sqlite_where=text("on_hand > 0"), postgresql_where=text("on_hand > 0")),
    )

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"), index=True)
    batch_no: Mapped[str] = mapped_column(String(32))
    expiry: Mapped[date] = mapped_column(Date)
    pack_cost_fen: Mapped[int] = mapped_column(Integer, default=0)  # cost per pack
    on_hand: Mapped[int] = mapped_column(Integer, default=0)  # base units
    received_on: Mapped[date] = mapped_column(Date)
    no_trace_codes: Mapped[bool] = mapped_column(Boolean, default=False)  # arrived without codes: 无码库


class StockMovement(SyncedBase):
    """One immutable ledger row. Quantity is signed base units; corrections are new rows."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        Index("ix_stock_movements_card", "store_id", "drug_id", "seq"),
        #: seq is the store's ledger order: unique, and max(seq) per store is one index probe
        Index("ix_stock_movements_store_seq", "store_id", "seq", unique=True),
        #: usage over a period (average daily use for low-stock alerts, daily logs, 村室药品一览): the drug,
        #: quantity and lot of each row are in the index, so a period's net use never reads the table
        Index("ix_stock_movements_store_kind_time", "store_id", "kind", "occurred_at", "drug_id", "quantity",
              "batch_id"),
        Index("ix_stock_movements_doc", "doc_type", "doc_id"),
    )

    #: order within the store's ledger (the stock card is sorted by it)
    seq: Mapped[int] = mapped_column(Integer)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"))
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    doc_type: Mapped[str] = mapped_column(String(24), default="")  # visit, stocktake, write_off…
    doc_id: Mapped[str | None] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(String(128), default="")
    reverses_id: Mapped[str | None] = mapped_column(ForeignKey("stock_movements.id"), unique=True)
    user_id: Mapped[str | None] = mapped_column(String(36))
    batch_balance_after: Mapped[int] = mapped_column(Integer)
    drug_balance_after: Mapped[int] = mapped_column(Integer)  # store+drug running balance


class TraceCodeEvent(SyncedBase):
    """One fact about a 20-digit 药品追溯码 at one store: received, sold, unsold, shipped, returned…

    Append-only, each row owned by the site that acted. A code's state at a store is its latest event
    there (highest ``seq``); "sold at most once" is a rule over the events (``app.services.stock.tracecodes``).
    """

    __tablename__ = "trace_code_events"
    __table_args__ = (
        #: a code's events at one store, in order; the unique seq refuses two writers acting on one code at once
        Index("ix_trace_code_events_store_code", "store_id", "code", "seq", unique=True),
        #: a code's events at every store (is it sold anywhere?)
        Index("ix_trace_code_events_code", "code"),
        #: the codes of one batch (receipt reversal, stocktake scan)
        Index("ix_trace_code_events_batch_code", "batch_id", "code"),
        #: the codes a document sold (a settlement's reversal un-sells them)
        Index("ix_trace_code_events_doc", "doc_id"),
    )

    code: Mapped[str] = mapped_column(String(20))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"))
    kind: Mapped[str] = mapped_column(String(16))  # TraceEventKind
    #: order of the code's events at this store (1, 2, …)
    seq: Mapped[int] = mapped_column(Integer)
    doc_type: Mapped[str] = mapped_column(String(24), default="")  # receipt, visit, manual, return, shipment…
    doc_id: Mapped[str | None] = mapped_column(String(36))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)


class Stocktake(SyncedBase):
    """A count of the whole store, one shelf or one category (盘点)."""

    __tablename__ = "stocktakes"

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    scope: Mapped[str] = mapped_column(String(16), default="all")  # all | shelf | category
    scope_value: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="counting")
    started_at: Mapped[datetime] = mapped_column(DateTime)
    #: ledger seq of the store when counting started: later movements are accounted for at finalise
    started_seq: Mapped[int] = mapped_column(Integer, default=0)
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_id: Mapped[str | None] = mapped_column(String(36))
    note: Mapped[str] = mapped_column(Text, default="")


class StocktakeLine(SyncedBase):
    __tablename__ = "stocktake_lines"
    __table_args__ = (UniqueConstraint("stocktake_id", "batch_id", name="batch"),)

    stocktake_id: Mapped[str] = mapped_column(ForeignKey("stocktakes.id"), index=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"))
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"))
    booked_qty: Mapped[int] = mapped_column(Integer)  # snapshot at start
    counted_qty: Mapped[int | None] = mapped_column(Integer)
    #: store ledger seq when the count was entered: movements up to it were on the shelf before the count
    counted_seq: Mapped[int | None] = mapped_column(Integer)
    moved_during: Mapped[int] = mapped_column(Integer, default=0)  # filled at finalise
    adjustment_qty: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(64), default="")


class DrugMapping(SyncedBase):
    """How a village that kept its own catalog while standalone maps one of its drugs to the township's.

    Owned by the village: one row per drug of its own, made when it joins a township and after every
    sync that brings new catalog rows. ``township_drug_id`` is the township drug with the same national
    code (医保编码); while there is none the row is ``unmatched`` and the township sees it, through sync,
    as a drug to add to its catalog. Once mapped, the village's drug is inactive and its stock has moved
    to the township drug (a ledger pair of ``doc_type`` ``drug_mapping`` whose ``doc_id`` is this row).
    """

    __tablename__ = "drug_mappings"
    __table_args__ = (UniqueConstraint("drug_id", name="uq_drug_mappings_drug_id"),)

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"))
    national_code: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="unmatched")  # unmatched | mapped
    township_drug_id: Mapped[str | None] = mapped_column(ForeignKey("drugs.id"))
    reason: Mapped[str] = mapped_column(String(128), default="")  # why it is unmatched, in Chinese
    mapped_at: Mapped[datetime | None] = mapped_column(DateTime)
    moved_units: Mapped[int] = mapped_column(Integer, default=0)  # base units moved to the township drug
