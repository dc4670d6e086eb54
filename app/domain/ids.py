"""Record ids: UUIDv7 strings, time-ordered, created where the record is created."""

from __future__ import annotations

import uuid

from uuid6 import uuid7


def new_id() -> str:
    """Return a new UUIDv7 as a 36-character string."""
    return str(uuid7())


def derived_id(parent_id: str, purpose: str) -> str:
    """A deterministic id for a record that answers another one (e.g. a receipt for a shipment)."""
    return str(uuid.uuid5(uuid.UUID(parent_id), purpose))
