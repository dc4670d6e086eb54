"""The drug catalog 药品目录: fields, pinyin search, create/update, CSV/XLSX import.

The catalog is township-owned and reaches villages by sync (the unit of work refuses edits of a row
another site owns). Pinyin initials come from the generic name unless overridden; the retail price
equals the procurement price (零差价) unless the drug is marked otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import Drug
from app.db.uow import Database
from app.domain.errors import NotFoundError, ValidationError
from app.domain.pinyin import key_patterns
from app.services.catalog import importer as catalog_import
from app.services.catalog.audit import audit_drug, audit_import, snapshot
from app.services.catalog.fields import LABELS_IN, apply_prices, clean_drug, drug_pinyin
from app.services.catalog.importer import ImportProblem, ImportRejected, ImportResult
from app.services.catalog.store_settings import FIELDS as STORE_FIELDS
from app.services.catalog.store_settings import NONE, StoreDrug, save, settings_of, site_store_id
from app.services.core.context import Session, requires


@dataclass(frozen=True)
class DrugInfo:
    """A catalog item as the pages and other services see it. Prices in fen per pack."""

    id: str
    national_code: str
    generic_name: str
    brand_name: str
    form: str
    strength: str
    pack_unit: str
    base_unit: str
    units_per_pack: int
    coverage_class: str
    class_b_self_bp: int | None
    is_vbp: bool
    vbp_round: str
    is_essential: bool
    retail_price_fen: int
    price_fen: int
    pinyin_abbr: str
    barcode: str
    shelf: str
    category: str
    min_stock_units: int
    maker: str
    approval_no: str = ""
    zero_markup: bool = True
    pinyin_overridden: bool = False
    active: bool = True
    #: full pinyin of the generic name, the key lists are sorted by (``app.domain.pinyin``)
    pinyin_sort: str = ""
    #: set on the result of create/update: things to tell the user (e.g. a blank national code)
    warnings: tuple[str, ...] = ()


_INFO_FIELDS = [f.name for f in fields(DrugInfo) if f.name != "warnings"]


#: how drug lists are ordered: full pinyin (阿莫西林 before 氨氯地平 before 硝苯地平), then name
_PINYIN_ORDER = (Drug.pinyin_sort, Drug.generic_name, Drug.id)


def drug_info(row: Drug, warnings: tuple[str, ...] = (), own: StoreDrug = NONE) -> DrugInfo:
    """The catalog row with this site's store's ``own`` shelf and minimum stock."""
    return DrugInfo(**{name: getattr(own if name in STORE_FIELDS else row, name) for name in _INFO_FIELDS},
                    warnings=warnings)


def _apply(row: Drug, values: dict[str, Any], *, new: bool) -> None:
    values = {k: v for k, v in values.items() if k not in STORE_FIELDS}
    apply_prices(values, row.price_fen or 0, row.retail_price_fen or 0, True if new else row.zero_markup)
    if "pinyin_abbr" in values:
        values["pinyin_overridden"] = True
    for name, value in values.items():
        setattr(row, name, value)
    # the 拼音码 follows the name unless typed; the search and sort keys always follow the name
    for name, value in drug_pinyin(row.generic_name, row.pinyin_abbr or "", bool(row.pinyin_overridden)).items():
        setattr(row, name, value)


class CatalogService:
    """Search and maintain the drug catalog."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    # -- reading ---------------------------------------------------------------------------------
    @requires("catalog.read")
    def get(self, drug_id: str) -> DrugInfo:
        with self.db.read() as s:
            row = s.get(Drug, drug_id) if drug_id else None
            if row is None:
                raise NotFoundError(f"药品：找不到编号为 {drug_id or '（空）'} 的药品", "药品")
            return drug_info(row, own=self._own(s, [row.id]).get(row.id, NONE))

    def _own(self, session: OrmSession, drug_ids: list[str]) -> dict[str, StoreDrug]:
        """This site's store's settings for the drugs."""
        return settings_of(session, site_store_id(session, self.db.local_site_id), drug_ids)

    def _infos(self, session: OrmSession, rows: list[Drug]) -> list[DrugInfo]:
        own = self._own(session, [r.id for r in rows])
        return [drug_info(r, own=own.get(r.id, NONE)) for r in rows]

    @requires("catalog.read")
    def search(self, text: str = "", limit: int = 50, *, include_inactive: bool = False) -> list[DrugInfo]:
        """Find drugs by pinyin initials prefix, name substring, barcode or national code.

        Exact code matches come first, then 拼音码-prefix matches, then matches by another reading of a
        multi-reading character, then name matches; each group (and the whole catalog, for an empty
        ``text``) in full-pinyin order, then by name.
        """
        raw = (text or "").strip()
        with self.db.read() as s:
            base = select(Drug)
            if not include_inactive:
                base = base.where(Drug.active.is_(True))
            if not raw:
                return self._infos(s, list(s.scalars(base.order_by(*_PINYIN_ORDER).limit(limit))))
            found: dict[str, Drug] = {}
            lowered = raw.lower()
            like = raw.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            first, other = key_patterns(lowered)
            queries = [
                base.where(or_(Drug.barcode == raw, Drug.national_code == raw.upper())),
                base.where(Drug.pinyin_abbr.like(first)).order_by(*_PINYIN_ORDER),
                # another reading of a multi-reading character (可乐定 read kě yuè dìng: kyd)
                base.where(or_(Drug.pinyin_keys.like(first), Drug.pinyin_keys.like(other))).order_by(*_PINYIN_ORDER),
                base.where(
                    or_(Drug.generic_name.like(f"%{like}%", escape="\\"), Drug.brand_name.like(f"%{like}%", escape="\\"))
                ).order_by(*_PINYIN_ORDER),
            ]
            for stmt in queries:
                for row in s.scalars(stmt.limit(limit)):
                    found.setdefault(row.id, row)
                if len(found) >= limit:
                    break
            return self._infos(s, list(found.values())[:limit])

    # -- writing ---------------------------------------------------------------------------------
    @requires("catalog.create")
    def create(self, **values: Any) -> DrugInfo:
        """Add a catalog item; returns it with ``warnings`` (e.g. a blank national code)."""
        clean = clean_drug(values)
        with self.db.unit_of_work() as uow:
            self._refuse_duplicate(uow.session, clean.values, None)
            row = Drug()
            _apply(row, clean.values, new=True)
            uow.session.add(row)
            uow.session.flush()
            own = self._save_own(uow.session, row.id, clean.values) or NONE
            uow.session.flush()
            audit_drug(uow.session, self.session.actor, uow.local_site_id, row)
            return drug_info(row, clean.warnings, own)

    @requires("catalog.update")
    def update(self, drug_id: str, **changes: Any) -> DrugInfo:
        """Change some fields; pinyin follows the name unless it was overridden."""
        clean = clean_drug(changes, partial=True)
        with self.db.unit_of_work() as uow:
            row = uow.session.get(Drug, drug_id) if drug_id else None
            if row is None:
                raise NotFoundError(f"药品：找不到编号为 {drug_id or '（空）'} 的药品", "药品")
            merged = {k: getattr(row, k) for k in ("national_code", "generic_name", "strength", "maker", "coverage_class")}
            merged.update(clean.values)
            if merged["coverage_class"] != "B":
                if clean.values.get("class_b_self_bp") is not None:
                    raise ValidationError("乙类先行自付比例：只有乙类药品才能设置先行自付比例", "乙类先行自付比例")
                clean.values["class_b_self_bp"] = None
            self._refuse_duplicate(uow.session, merged, row.id)
            own = self._own(uow.session, [row.id]).get(row.id, NONE)
            before = snapshot(row, own)
            _apply(row, clean.values, new=False)
            own = self._save_own(uow.session, row.id, clean.values) or own
            uow.session.flush()
            audit_drug(uow.session, self.session.actor, uow.local_site_id, row, before, own)
            return drug_info(row, clean.warnings, own)

    @requires("catalog.set_store_settings")
    def set_store_settings(self, drug_id: str, **values: Any) -> DrugInfo:
        """Set this site's store's shelf (``shelf``) and minimum stock (``min_stock_units``) for a drug.

        The township's catalog row is not touched: an enrolled village, which may not change the
        catalog, still keeps its own shelves and minimums.
        """
        unknown = set(values) - set(STORE_FIELDS)
        if unknown:
            raise ValidationError(f"药品：只能设置货位和最低库存，不能设置 {'、'.join(sorted(unknown))}", "药品")
        clean = clean_drug(values, partial=True)
        with self.db.unit_of_work() as uow:
            row = uow.session.get(Drug, drug_id) if drug_id else None
            if row is None:
                raise NotFoundError(f"药品：找不到编号为 {drug_id or '（空）'} 的药品", "药品")
            own = self._own(uow.session, [row.id]).get(row.id, NONE)
            before = snapshot(row, own)
            own = self._save_own(uow.session, row.id, clean.values) or own
            uow.session.flush()
            audit_drug(uow.session, self.session.actor, uow.local_site_id, row, before, own)
            return drug_info(row, own=own)

    def _save_own(self, session: OrmSession, drug_id: str, values: dict[str, Any]) -> StoreDrug | None:
        """Write the store fields of ``values`` to this site's store's settings for the drug."""
        store_id = site_store_id(session, self.db.local_site_id)
        if store_id is None:
            return None
        return save(session, store_id, drug_id, values)

    @requires("catalog.reset_pinyin")
    def reset_pinyin(self, drug_id: str) -> DrugInfo:
        """Drop a pinyin override: initials come from the generic name again."""
        with self.db.unit_of_work() as uow:
            row = uow.session.get(Drug, drug_id)
            if row is None:
                raise NotFoundError(f"药品：找不到编号为 {drug_id} 的药品", "药品")
            before = snapshot(row)
            for name, value in drug_pinyin(row.generic_name).items():
                setattr(row, name, value)
            row.pinyin_overridden = False
            uow.session.flush()
            audit_drug(uow.session, self.session.actor, uow.local_site_id, row, before)
            return drug_info(row, own=self._own(uow.session, [row.id]).get(row.id, NONE))

    @staticmethod
    def _refuse_duplicate(session: OrmSession, values: dict[str, Any], own_id: str | None) -> None:
        code = values.get("national_code")
        if code:
            # the catalog this site keeps: a village's own drugs seen at its township (listed for the township
            # to add, ``app.services.stock.mapping``) do not block the township's drug of that code
            local = session.info.get("local_site_id")
            found = select(Drug).where(Drug.national_code == code, Drug.id != (own_id or ""))
            other = session.scalar((found.where(Drug.owner_site_id == local) if local else found).limit(1))
            if other is not None:
                raise ValidationError(f"医保药品编码：{code} 已用于“{other.generic_name}”，不能重复", "医保药品编码")

    # -- import ----------------------------------------------------------------------------------
    @requires("catalog.import_file")
    def import_file(self, path: Path | str, progress: Callable[[str], None] | None = None) -> ImportResult:
        """Import a CSV or XLSX file (header row + one drug per row): every row is checked first, then
        written in short batches (``app.services.catalog.importer``); ``progress`` gets a line to show.

        Raises:
            ImportRejected: listing every bad row with its number and field; nothing is imported.
            DatabaseBusy: another program kept the database busy; the rows written so far are kept and
                importing the same file again completes the import without duplicates.
        """
        result = catalog_import.import_file(self.db, path, _apply, progress)
        with self.db.unit_of_work() as uow:  # who imported which file, and what it changed
            audit_import(uow.session, self.session.actor, uow.local_site_id, Path(path).name, result.created,
                         result.updated)
        return result


__all__ = ["CatalogService", "DrugInfo", "ImportProblem", "ImportRejected", "ImportResult", "LABELS_IN", "drug_info"]
