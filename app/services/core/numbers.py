"""Document numbers of the day: ``{prefix}YYYYMMDD-NNNN``, counted per owning site."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession


def next_no(session: OrmSession, column, owner_site_id: str, prefix: str, day: date) -> str:
    """The site's next number of the day: ``{prefix}YYYYMMDD-NNNN`` (``column`` a mapped column of a table
    with ``owner_site_id``)."""
    head = f"{prefix}{day:%Y%m%d}-"
    model = column.class_
    last = session.scalar(select(func.max(column)).where(model.owner_site_id == owner_site_id,
                                                        column.like(head + "%")))
    return f"{head}{int(last[len(head):]) + 1 if last else 1:04d}"
