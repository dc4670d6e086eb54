"""A store's own choices about a catalog drug: its shelf (货位) and minimum stock (最低库存).

They live in ``store_drug_settings`` rows owned by the store's site, not on the township's catalog
row, so each store keeps its own and a village sets them without writing the township's data. A drug
without a row has no shelf and no minimum. Read by the stock list, the low-stock tile, stocktakes by
shelf and the catalog; written by the catalog's edit dialog and import (for this site's store).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Store, StoreDrugSettings

#: the fields of a catalog record that are really the store's
FIELDS = ("shelf", "min_stock_units")


@dataclass(frozen=True)
class StoreDrug:
    """One store's shelf and minimum stock (base units) for one drug."""

    shelf: str = ""
    min_stock_units: int = 0


NONE = StoreDrug()


def site_store_id(session: Session, site_id: str | None) -> str | None:
    """The store of ``site_id`` (each site has one), or None."""
    if site_id is None:
        return None
    return session.scalar(select(Store.id).where(Store.site_id == site_id).order_by(Store.id).limit(1))


def settings_of(session: Session, store_id: str | None, drug_ids: Iterable[str] | None = None) -> dict[str, StoreDrug]:
    """drug id → the store's settings, for the drugs that have a row (all of them when ``drug_ids`` is None)."""
    if store_id is None:
        return {}
    stmt = select(StoreDrugSettings).where(StoreDrugSettings.store_id == store_id)
    if drug_ids is not None:
        ids = list(drug_ids)
        if not ids:
            return {}
        stmt = stmt.where(StoreDrugSettings.drug_id.in_(ids))
    return {r.drug_id: StoreDrug(r.shelf, r.min_stock_units) for r in session.scalars(stmt)}


def drugs_with_minimum(session: Session, store_id: str) -> set[str]:
    """Drugs the store set a minimum stock for."""
    return set(session.scalars(select(StoreDrugSettings.drug_id).where(
        StoreDrugSettings.store_id == store_id, StoreDrugSettings.min_stock_units > 0)))


def drugs_on_shelf(session: Session, store_id: str, shelf: str) -> set[str]:
    """Drugs the store keeps on ``shelf``."""
    return set(session.scalars(select(StoreDrugSettings.drug_id).where(
        StoreDrugSettings.store_id == store_id, StoreDrugSettings.shelf == shelf)))


def save(session: Session, store_id: str, drug_id: str, values: dict[str, object]) -> StoreDrug | None:
    """Write the given ``FIELDS`` of ``values`` to the store's row for the drug (made when missing).

    Returns the settings after the change, or None when ``values`` holds none of the fields. The row
    is owned by the store's site; the unit of work stamps it.
    """
    changes = {k: values[k] for k in FIELDS if k in values}
    if not changes:
        return None
    row = session.scalar(select(StoreDrugSettings).where(StoreDrugSettings.store_id == store_id,
                                                         StoreDrugSettings.drug_id == drug_id))
    if row is None:
        store = session.get(Store, store_id)
        row = StoreDrugSettings(owner_site_id=store.site_id,
                                store_id=store_id, drug_id=drug_id, shelf="", min_stock_units=0)
        session.add(row)
    for name, value in changes.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    return StoreDrug(row.shelf, row.min_stock_units)
