"""Declarative bases.

``SyncedBase`` tables carry the columns every synced record has (DESIGN §3): a UUIDv7 ``id``, the
``owner_site_id`` that alone may write it, ``created_at``, ``updated_at`` and ``version``. Every insert or
update of a row owned by the local site appends an ``outbox`` row in the same transaction; the
triggers that do it are generated from this metadata (see ``app.db.outbox``).
"""

# No ``from __future__ import annotations`` in the model modules: SQLAlchemy would evaluate every
# ``Mapped[...]`` string again while mapping (~15 % of importing the models, paid at every start-up);
# as plain annotations they are evaluated once by Python. Only builtin types appear in them.

from datetime import datetime

from sqlalchemy import DateTime, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SyncedBase(Base):
    """Abstract base of every table that syncs with the hub."""

    __abstract__ = True
    #: bumped when the payload shape of a table changes; sent with every outbox row
    __schema_version__ = 1

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_site_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


def synced_tables() -> list[str]:
    """Names of all tables whose rows sync (every ``SyncedBase`` subclass)."""
    return sorted(
        m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, SyncedBase)
    )
