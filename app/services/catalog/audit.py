"""Audit rows of the drug catalog: a new drug, a changed drug (each changed field, old → new, prices
included) and a file import. Written inside the catalog's own unit of work; ``audit_text`` reads them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as OrmSession

from app.db.models import Drug
from app.services.catalog.fields import LABELS
from app.services.catalog.store_settings import FIELDS, NONE, StoreDrug
from app.services.core.audit import write_audit
from app.services.core.context import Actor

#: the fields whose change is recorded (every catalog field a person can edit)
AUDITED = tuple(LABELS)


def snapshot(row: Drug, own: StoreDrug = NONE) -> dict[str, Any]:
    """The audited fields of ``row`` and of this store's ``own`` settings for it now (taken before a
    change, compared after it)."""
    return {name: getattr(own if name in FIELDS else row, name) for name in AUDITED}


def audit_drug(session: OrmSession, actor: Actor, site_id: str | None, row: Drug,
               before: dict[str, Any] | None = None, own: StoreDrug = NONE) -> None:
    """``catalog.create`` (``before`` None) or ``catalog.update`` with the fields that changed; no row if none did."""
    if before is None:
        write_audit(session, actor, site_id, "catalog.create", "drugs", row.id, drug=row.generic_name,
                    coverage_class=row.coverage_class, price_fen=row.price_fen, retail_price_fen=row.retail_price_fen)
        return
    after = snapshot(row, own)
    changes = {name: [before[name], after[name]] for name in AUDITED if before[name] != after[name]}
    if changes:
        write_audit(session, actor, site_id, "catalog.update", "drugs", row.id, drug=row.generic_name, changes=changes)


def audit_import(session: OrmSession, actor: Actor, site_id: str | None, file_name: str, created: int,
                 updated: int) -> None:
    """One ``catalog.import`` row per imported file: its name and how many drugs it added and changed."""
    write_audit(session, actor, site_id, "catalog.import", None, None, file=file_name, created=created, updated=updated)
