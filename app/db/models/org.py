"""Sites, stores, users and the policy files."""

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import SyncedBase


class Site(SyncedBase):
    """A village clinic or a township health center. Written by the township (or itself when standalone)."""

    __tablename__ = "sites"

    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32), default="")  # 定点医药机构编码
    township_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"))
    region: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(String(128), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")


class Store(SyncedBase):
    """A stock-holding place; each site has one (the township's is the 中转药库)."""

    __tablename__ = "stores"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))


class User(SyncedBase):
    """A person who signs in. The password hash syncs so sign-in works offline at the user's site."""

    __tablename__ = "users"
    #: a user name is unique within its site: two sites of one township may both have an ``admin``
    __table_args__ = (UniqueConstraint("site_id", "username", name="uq_users_site_username"),)

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    username: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PolicyFile(SyncedBase):
    """One version of a 待遇政策 file (DESIGN §5), its text as imported. Township data (a standalone site
    keeps its own); append-only: a changed file is a new row, so every settlement's ``policy_version``
    still names the text it was computed with."""

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("owner_site_id", "policy_version", name="uq_policies_owner_policy_version"),)

    region: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    #: ``app.domain.policy_file.policy_version`` of ``text`` (``version`` is the row's sync version)
    policy_version: Mapped[str] = mapped_column(String(64), index=True)
    file_name: Mapped[str] = mapped_column(String(128), default="")
    text: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
