"""The drug catalog 药品目录: fields, pinyin search, create/update, CSV/XLSX import.

The catalog is township-owned and reaches villages by sync (the unit of work refuses edits of a row
another site owns). Pinyin initials come from the generic name unless overridden; the retail price
equals the procurement price (零差价) unless the drug is marked otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import Drug
from app.db.uow import Database
from app.domain.errors import NotFoundError, ValidationError
from app.domain.pinyin import key_patterns

from .catalog_fields import LABELS, LABELS_IN, apply_prices, clean_drug, drug_pinyin, header_field, read_rows
from .context import Session


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


def drug_info(row: Drug, warnings: tuple[str, ...] = ()) -> DrugInfo:
    return DrugInfo(**{name: getattr(row, name) for name in _INFO_FIELDS}, warnings=warnings)


@dataclass(frozen=True)
class ImportProblem:
    row: int
    field: str
    message: str


class ImportRejected(ValidationError):
    """The file has bad rows; nothing was imported. ``problems`` lists each one."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        shown = "；".join(f"第 {p.row} 行 {p.field}：{p.message}" for p in problems[:20])
        more = f"；另有 {len(problems) - 20} 处" if len(problems) > 20 else ""
        super().__init__(f"导入文件有 {len(problems)} 处错误，未导入任何数据，请改正后重新导入：{shown}{more}", "导入文件")
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    warnings: tuple[str, ...]


def _find_existing(session: OrmSession, values: dict[str, Any]) -> Drug | None:
    """Upsert key: the national code when present, else (generic name, strength, maker)."""
    if values.get("national_code"):
        found = session.scalar(select(Drug).where(Drug.national_code == values["national_code"]).limit(1))
        if found is not None:
            return found
    return session.scalar(
        select(Drug)
        .where(
            Drug.generic_name == values.get("generic_name", ""),
            Drug.strength == values.get("strength", ""),
            Drug.maker == values.get("maker", ""),
        )
        .limit(1)
    )


def _apply(row: Drug, values: dict[str, Any], *, new: bool) -> None:
    values = dict(values)
    apply_prices(values, row.price_fen or 0, row.retail_price_fen or 0, True if new else row.zero_markup)
    if "pinyin_abbr" in values:
        values["pinyin_overridden"] = True
    for name, value in values.items():
        setattr(row, name, value)
    # the 拼音码 follows the name unless typed; the search and sort keys always follow the name
    for name, value in drug_pinyin(row.generic_name, row.pinyin_abbr or "", bool(row.pinyin_overridden)).items():
        setattr(row, name, value)


def _problem(number: int, exc: ValidationError) -> ImportProblem:
    label = exc.field or "字段"
    return ImportProblem(number, label, exc.message.removeprefix(f"{label}："))


def _row_problems(number: int, raw: dict[str, Any], first: ValidationError) -> list[ImportProblem]:
    """Every bad field of one row (each field checked on its own), or the row-level error."""
    found = []
    for column, value in raw.items():
        try:
            clean_drug({column: value}, partial=True)
        except ValidationError as exc:
            found.append(_problem(number, exc))
    return found or [_problem(number, first)]


class CatalogService:
    """Search and maintain the drug catalog."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    # -- reading ---------------------------------------------------------------------------------
    def get(self, drug_id: str) -> DrugInfo:
        with self.db.read() as s:
            row = s.get(Drug, drug_id) if drug_id else None
            if row is None:
                raise NotFoundError(f"药品：找不到编号为 {drug_id or '（空）'} 的药品", "药品")
            return drug_info(row)

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
                return [drug_info(r) for r in s.scalars(base.order_by(*_PINYIN_ORDER).limit(limit))]
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
            return [drug_info(r) for r in list(found.values())[:limit]]

    # -- writing ---------------------------------------------------------------------------------
    def create(self, **values: Any) -> DrugInfo:
        """Add a catalog item; returns it with ``warnings`` (e.g. a blank national code)."""
        clean = clean_drug(values)
        with self.db.unit_of_work() as uow:
            self._refuse_duplicate(uow.session, clean.values, None)
            row = Drug()
            _apply(row, clean.values, new=True)
            uow.session.add(row)
            uow.session.flush()
            return drug_info(row, clean.warnings)

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
            _apply(row, clean.values, new=False)
            uow.session.flush()
            return drug_info(row, clean.warnings)

    def reset_pinyin(self, drug_id: str) -> DrugInfo:
        """Drop a pinyin override: initials come from the generic name again."""
        with self.db.unit_of_work() as uow:
            row = uow.session.get(Drug, drug_id)
            if row is None:
                raise NotFoundError(f"药品：找不到编号为 {drug_id} 的药品", "药品")
            for name, value in drug_pinyin(row.generic_name).items():
                setattr(row, name, value)
            row.pinyin_overridden = False
            uow.session.flush()
            return drug_info(row)

    @staticmethod
    def _refuse_duplicate(session: OrmSession, values: dict[str, Any], own_id: str | None) -> None:
        code = values.get("national_code")
        if code:
            other = session.scalar(select(Drug).where(Drug.national_code == code, Drug.id != (own_id or "")).limit(1))
            if other is not None:
                raise ValidationError(f"医保药品编码：{code} 已用于“{other.generic_name}”，不能重复", "医保药品编码")

    # -- import ----------------------------------------------------------------------------------
    def import_file(self, path: Path | str) -> ImportResult:
        """Import a CSV or XLSX file (header row + one drug per row); all rows are checked first.

        Raises:
            ImportRejected: listing every bad row with its number and field; nothing is imported.
        """
        path = Path(path)
        if not path.exists():
            raise ValidationError(f"导入文件：找不到文件 {path}", "导入文件")
        rows = list(read_rows(path))
        problems: list[ImportProblem] = []
        if not rows:
            raise ImportRejected([ImportProblem(1, "表头", "文件是空的")])
        header_no, header = rows[0]
        columns: list[str | None] = [header_field(h) for h in header]
        for cell, column in zip(header, columns):
            if column is None and str(cell or "").strip():
                problems.append(ImportProblem(header_no, "表头", f"不认识的列名“{cell}”"))
        if "generic_name" not in columns:
            problems.append(ImportProblem(header_no, "表头", "缺少“通用名”(generic_name) 列"))
        cleaned: list[tuple[int, dict[str, Any]]] = []
        warnings: list[str] = []
        seen: dict[tuple, int] = {}
        for number, cells in rows[1:]:
            if all(str(c if c is not None else "").strip() == "" for c in cells):
                continue
            raw = {col: val for col, val in zip(columns, cells) if col is not None}
            try:
                clean = clean_drug(raw)
                apply_prices(dict(clean.values), clean.values.get("price_fen", 0), 0, True)
            except ValidationError as exc:
                problems.extend(_row_problems(number, raw, exc))
                continue
            v = clean.values
            key = ("code", v["national_code"]) if v["national_code"] else ("name", v["generic_name"], v.get("strength", ""), v.get("maker", ""))
            if key in seen:
                field = LABELS["national_code"] if key[0] == "code" else LABELS["generic_name"]
                problems.append(ImportProblem(number, field, f"与第 {seen[key]} 行是同一种药品，重复了"))
                continue
            seen[key] = number
            warnings += [f"第 {number} 行：{w}" for w in clean.warnings]
            cleaned.append((number, v))
        if problems:
            raise ImportRejected(problems)
        created = updated = 0
        with self.db.unit_of_work() as uow:
            s = uow.session
            for _number, values in cleaned:
                row = _find_existing(s, values)
                if row is None:
                    row = Drug()
                    _apply(row, values, new=True)
                    s.add(row)
                    created += 1
                else:
                    _apply(row, values, new=False)
                    updated += 1
                s.flush()
        return ImportResult(created, updated, tuple(warnings))


__all__ = ["CatalogService", "DrugInfo", "ImportProblem", "ImportRejected", "ImportResult", "LABELS_IN", "drug_info"]
