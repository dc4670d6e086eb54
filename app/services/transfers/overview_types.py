"""What the 村室药品一览 returns: frozen dataclasses, money in fen, ratios in basis points, units in base units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class VillageFigures:
    """One village of the township, as the township's copy of its rows shows it.

    - ``stock_value_fen``: Σ over the village's lots with stock of on hand × pack cost ÷ units per pack,
      each lot half-up to the fen (the stock list's value; expired lots still on the shelf included).
    - ``kinds_stocked``: drugs with any stock; ``vbp_kinds_stocked`` those of them that are 集采
      (``drugs.is_vbp``); ``vbp_share_bp`` = vbp ÷ all × 10000, half-up (0 when nothing is stocked).
    - ``near_expiry_value_fen`` / ``near_expiry_kinds``: lots not yet expired that expire within the
      township's 近效期 window (设置 → 近效期预警天数, the 工作台 tile's rule), their value and drugs.
    - ``stockouts``: drugs the village used in the last 90 days (net of reversals) or keeps a minimum
      stock of, with no unexpired stock now (expired stock cannot be dispensed).
    - ``days_of_stock``: how long the shelf lasts at the last 90 days' pace, summed over drugs by money:
      Σ usable units × unit price ÷ (Σ units used × unit price ÷ 90), over the drugs used in those 90
      days, at each drug's catalog price (``drugs.price_fen`` per pack); rounded down; None without use.
    - ``last_sync_at``: when the village last synced with the hub, as the hub told this township at its
      own last sync (``peer_sync_status``); None when unknown.
    - ``requisitions_waiting``: its requisitions 报量 submitted and not answered by a shipment (a
      cancelled draft does not answer); ``shipments_in_transit``: shipments shipped to it without its receipt.
    """

    site_id: str
    name: str
    stock_value_fen: int
    kinds_stocked: int
    vbp_kinds_stocked: int
    vbp_share_bp: int
    near_expiry_value_fen: int
    near_expiry_kinds: int
    stockouts: int
    days_of_stock: int | None
    last_sync_at: datetime | None
    requisitions_waiting: int
    shipments_in_transit: int
    #: the village's store (drill-down); None for a village whose store row has not arrived yet
    store_id: str | None = None
    #: ids of the drugs behind ``stockouts`` (the tile opens them)
    stockout_drug_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class UsagePoint:
    """Net units dispensed (dispensing minus its reversals) in one month, and their value at the lots' cost.

    ``site_id`` is None in a sum over villages (``per="drug"``), ``drug_id`` None in a sum over drugs
    (``per="site"``): the value adds up across drugs, units only within one drug.
    """

    month: str  # YYYY-MM
    site_id: str | None
    drug_id: str | None
    units: int
    value_fen: int


@dataclass(frozen=True)
class VillageInfo:
    """A village of this township: id, name and its store."""

    site_id: str
    name: str
    store_id: str | None
