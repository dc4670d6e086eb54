"""What every part of ``TransfersService`` shares: the local site and store, document numbers, quantities,
texts, the audit row."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import Drug, Site, Store
from app.db.uow import Database, now
from app.domain.enums import SiteKind
from app.domain.errors import (
    ForeignRecordError,
    NotFoundError,
    RuleViolation,
    ValidationError,
)
from app.domain.fefo import check_quantity, parse_quantity
from app.domain.money import round_half_up_div
from app.services.core.audit import write_audit
from app.services.core.context import Session

#: document-number prefixes (``next_no``): 采购入库, 采购退货, 报量, 调拨出库 (退回乡镇 TH is the stock service's)
PURCHASE_PREFIX, PURCHASE_RETURN_PREFIX, REQUISITION_PREFIX, SHIPMENT_PREFIX = ("CG", "CT", "BL", "DB")


def amount_fen(quantity: int, pack_price_fen: int, units_per_pack: int) -> int:
    """Value of ``quantity`` base units at a price per pack, half-up to the fen (DESIGN §9)."""
    return round_half_up_div(quantity * pack_price_fen, max(units_per_pack, 1))


def packs_up(units: int, units_per_pack: int) -> int:
    """``units`` rounded up to whole packs (in base units)."""
    per = max(units_per_pack, 1)
    return -(-units // per) * per


def units_of(drug: Drug, value: int | str, field: str = "数量", *, allow_zero: bool = False) -> int:
    """A quantity as base units: an int, or text the user typed ("10" packs, "14片" units)."""
    if isinstance(value, str):
        raw = value.strip()
        if allow_zero and raw in ("0", "０"):
            return 0
        return parse_quantity(raw, drug.pack_unit, drug.base_unit, drug.units_per_pack, field)
    return check_quantity(value, field, allow_zero=allow_zero)


def text(value: object, field: str, limit: int, *, required: bool = False) -> str:
    result = str(value or "").strip()
    if required and not result:
        raise ValidationError(f"{field}不能为空", field)
    if len(result) > limit:
        raise ValidationError(f"{field}太长（最多 {limit} 字）", field)
    return result


def drug_row(session: OrmSession, drug_id: str, *, active: bool = True) -> Drug:
    drug = session.get(Drug, drug_id) if drug_id else None
    if drug is None:
        raise NotFoundError(f"药品：找不到编号为 {drug_id or '（空）'} 的药品，请从药品目录中选择", "药品")
    if active and not drug.active:
        raise RuleViolation(f"药品：“{drug.generic_name}”已在药品目录中停用，不能再入库或调拨", "药品")
    return drug


def codes_json(codes: Sequence[str]) -> str:
    return json.dumps(list(codes), ensure_ascii=False)


def codes_of(raw: str | None) -> tuple[str, ...]:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return ()
    return tuple(str(c) for c in value) if isinstance(value, list) else ()


def site_names(session: OrmSession) -> dict[str, str]:
    return dict(session.execute(select(Site.id, Site.name)).all())


class TransfersBase:
    """The state and helpers of ``TransfersService`` (each part of it is a mixin over this)."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    # -- where this installation is ------------------------------------------------------------------
    def _site_id(self) -> str:
        site_id = self.db.local_site_id
        if site_id is None:
            raise RuleViolation("本机尚未建站，请先完成建站向导", "机构")
        return site_id

    def _is_township(self) -> bool:
        return self.db.local_site_kind == SiteKind.TOWNSHIP.value

    def _scope(self, site_id: str | None) -> str | None:
        """The village whose documents a read may show: the one asked for (None: all) at a township; at a
        village always itself, whatever else its database holds (another village's are refused)."""
        if self._is_township():
            return site_id or None
        mine = self._site_id()
        if site_id and site_id != mine:
            raise ForeignRecordError("村卫生室：只能查看本村卫生室的报量、调拨和退回单", "村卫生室")
        return mine

    def _check_scope(self, site_id: str) -> None:
        """Refuse a village a document of another village (a township sees all of its villages')."""
        self._scope(site_id)

    @staticmethod
    def _store_of(session: OrmSession, site_id: str) -> str:
        store_id = session.scalar(select(Store.id).where(Store.site_id == site_id).order_by(Store.id).limit(1))
        if store_id is None:
            raise RuleViolation("本机构还没有药库", "药库")
        return store_id

    def _village(self, session: OrmSession, site_id: str) -> Site:
        """A village of this township (the addressee of a shipment)."""
        site = session.get(Site, site_id) if site_id else None
        if site is None:
            raise NotFoundError(f"村卫生室：找不到编号为 {site_id or '（空）'} 的机构", "村卫生室")
        # the hub sends a township only its own villages' rows; a village names its township once it has pulled it
        if site.kind != SiteKind.VILLAGE.value or site.township_id not in (None, self._site_id()):
            raise ForeignRecordError(f"村卫生室：“{site.name}”不是本乡镇的村卫生室", "村卫生室")
        return site

    # -- the actor -----------------------------------------------------------------------------------
    @property
    def _user(self) -> tuple[str | None, str]:
        actor = self.session.actor
        return actor.user_id, actor.name[:32]

    def _audit(self, session: OrmSession, action: str, table: str, target: str | None, **detail: object) -> None:
        write_audit(session, self.session.actor, self.db.local_site_id, action, table, target, **detail)

    @staticmethod
    def _at(at: datetime | None) -> datetime:
        return at or now()
