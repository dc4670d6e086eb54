"""工作台 stock alerts: near expiry (urgent), expired still on the shelf, low stock, 无码库.

Each tile carries its count (distinct drugs), value in fen and the rows behind it, so a tile opens
its own list without asking again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Batch, Drug
from app.services.catalog.store_settings import NONE, drugs_with_minimum, settings_of
from app.services.stock.queries import AlertWindows, batch_value_fen, is_low, used_units


@dataclass(frozen=True)
class ExpiryRow:
    drug_id: str
    generic_name: str
    strength: str
    batch_id: str
    batch_no: str
    expiry: date
    days_left: int  # negative once expired
    on_hand_units: int
    value_fen: int
    urgent: bool


@dataclass(frozen=True)
class LowStockRow:
    drug_id: str
    generic_name: str
    strength: str
    usable_units: int  # unexpired on hand
    min_stock_units: int
    used_units: int  # net dispensed over ``usage_days``
    usage_days: int
    days_of_stock: int | None  # usable ÷ average daily use; None without use
    below_minimum: bool


@dataclass(frozen=True)
class AlertTile:
    count: int  # distinct drugs
    value_fen: int
    rows: tuple


@dataclass(frozen=True)
class StockAlerts:
    today: date
    near_expiry: AlertTile  # ≤ near_days, urgent ones included
    urgent: AlertTile  # ≤ urgent_days
    expired: AlertTile
    low_stock: AlertTile
    no_code: AlertTile  # batches that arrived without trace codes, still in stock (rows: ExpiryRow)


def _tile(rows: list) -> AlertTile:
    return AlertTile(
        len({r.drug_id for r in rows}), sum(getattr(r, "value_fen", 0) for r in rows), tuple(rows)
    )


def compute_alerts(session: Session, store_id: str, *, today: date, windows: AlertWindows) -> StockAlerts:
    """All tiles for one store."""
    near, urgent, expired, no_code = [], [], [], []
    usable: dict[str, int] = {}
    drugs: dict[str, Drug] = {}
    stmt = (
        select(Batch, Drug).join(Drug, Drug.id == Batch.drug_id)
        .where(Batch.store_id == store_id, Batch.on_hand > 0)
        .order_by(Batch.expiry, Drug.generic_name, Batch.batch_no)
    )
    for b, d in session.execute(stmt):
        drugs[d.id] = d
        left = (b.expiry - today).days
        row = ExpiryRow(
            d.id, d.generic_name, d.strength, b.id, b.batch_no, b.expiry, left, b.on_hand,
            batch_value_fen(b.on_hand, b.pack_cost_fen, d.units_per_pack), 0 <= left <= windows.urgent_days,
        )
        if left < 0:
            expired.append(row)
            continue
        usable[d.id] = usable.get(d.id, 0) + b.on_hand
        if left <= windows.near_days:
            near.append(row)
        if left <= windows.urgent_days:
            urgent.append(row)
        if b.no_trace_codes:
            no_code.append(row)
    since = datetime.combine(today - timedelta(days=windows.usage_days), datetime.min.time())
    usage = used_units(session, store_id, since)
    candidates = set(usage) | set(usable)
    candidates |= drugs_with_minimum(session, store_id)
    missing = candidates - set(drugs)
    if missing:
        for d in session.scalars(select(Drug).where(Drug.id.in_(missing))):
            drugs[d.id] = d
    own = settings_of(session, store_id, candidates)
    low = []
    for drug_id in candidates:
        d = drugs.get(drug_id)
        if d is None or not d.active:
            continue
        have, used = usable.get(drug_id, 0), max(usage.get(drug_id, 0), 0)
        minimum = own.get(drug_id, NONE).min_stock_units
        if is_low(have, minimum, used, windows):
            days = have * windows.usage_days // used if used else None
            low.append(LowStockRow(d.id, d.generic_name, d.strength, have, minimum, used,
                                   windows.usage_days, days, minimum > 0 and have < minimum))
    low.sort(key=lambda r: (r.days_of_stock if r.days_of_stock is not None else -1, r.generic_name, r.drug_id))
    return StockAlerts(today, _tile(near), _tile(urgent), _tile(expired), _tile(low), _tile(no_code))
