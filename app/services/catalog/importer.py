"""Catalog import 药品目录导入: check a whole CSV/XLSX file, then write it in short batches.

The import never guesses: a file it cannot read exactly (encoding, quotes, a broken workbook), a row
wider than the header, a blank required field (通用名, 转换比, 医保类别, 进价) or a value out of bounds
is listed with its row and field, and nothing is written (``ImportRejected``). Reading and checking
happen before any write lock is taken.

Writing is done in batches of at most ``BATCH_HOLD_S`` each (a few hundred rows, fewer on a slow
PC), with a short pause between them, so a settlement in another window or program waits a fraction
of a second, never the whole import. Each batch is one transaction, so the file is written as a
prefix of its rows: if a batch cannot get the lock in time, the user is told how far it got
(``DatabaseBusy``), and importing the same file again completes it — rows already imported are found
again by 医保药品编码, or by 通用名 + 规格 + 生产企业, and updated in place, never added twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from app.db.models import Drug
from app.db.outbox import sync_columns
from app.db.uow import Database, now
from app.domain.errors import CunyiError, DatabaseBusy, ValidationError
from app.services.catalog import store_settings
from app.services.catalog.fields import LABELS, LABELS_IN, apply_prices, clean_drug, drug_pinyin, header_field
from app.services.catalog.files import FILE_FIELD, FileProblem, read_table

#: fields every row must fill in (the price as 进价(元) or 进价(分)); nothing is defaulted
REQUIRED = ("generic_name", "units_per_pack", "coverage_class", "price")
#: a batch's rows take about this long to write; the size follows the PC's speed (the commit's disk
#: flush comes on top and does not depend on the size, so it does not shrink the batches)
BATCH_HOLD_S = 0.12
#: rows of the first batch, and the bounds of the adaptive size
BATCH_FIRST, BATCH_MIN, BATCH_MAX = 200, 100, 900
#: pause between batches: a write waiting in another program takes the lock here
BATCH_PAUSE_S = 0.02

Progress = Callable[[str], None]


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


def _problem(number: int, exc: ValidationError) -> ImportProblem:
    label = exc.field or "字段"
    return ImportProblem(number, label, exc.message.removeprefix(f"{label}：").removeprefix(label))


def _field_problems(number: int, raw: dict[str, Any]) -> list[ImportProblem]:
    """Every bad field of one row, each field checked on its own."""
    found = []
    for column, value in raw.items():
        try:
            clean_drug({column: value}, partial=True)
        except ValidationError as exc:
            found.append(_problem(number, exc))
    return found


def _row_problems(number: int, raw: dict[str, Any], first: ValidationError) -> list[ImportProblem]:
    """Every bad field of one row, or the row-level error."""
    return _field_problems(number, raw) or [_problem(number, first)]


def _blank(value: Any) -> bool:
    return value is None or str(value).strip() == ""


def _header(header_no: int, header: list[Any]) -> tuple[list[str | None], list[ImportProblem]]:
    columns: list[str | None] = [header_field(h) for h in header]
    problems: list[ImportProblem] = []
    seen: set[str] = set()
    for cell, column in zip(header, columns):
        if column is None and not _blank(cell):
            problems.append(ImportProblem(header_no, "表头", f"不认识的列名“{str(cell)[:40]}”"))
        name = column and column.replace("_yuan", "_fen")
        if name and name in seen:
            problems.append(ImportProblem(header_no, "表头", f"“{LABELS_IN[column]}”有两列，请只保留一列"))
        if name:
            seen.add(name)
    for field in REQUIRED:
        if field == "price" and not {"price_fen", "price_yuan"} & set(columns):
            problems.append(ImportProblem(header_no, "表头", "缺少“进价(元)”列（进价必须填写，不会按 0 元导入）"))
        elif field != "price" and field not in columns:
            problems.append(ImportProblem(header_no, "表头", f"缺少“{LABELS[field]}”列（导入时必须填写）"))
    return columns, problems


def _missing(raw: dict[str, Any]) -> list[str]:
    """Labels of the required fields this row leaves blank."""
    out = []
    for field in REQUIRED:
        names = ("price_fen", "price_yuan") if field == "price" else (field,)
        present = [n for n in names if n in raw]
        if present and all(_blank(raw[n]) for n in present):
            out.append(LABELS_IN[present[0]])
    return out


def check_file(path: Path, progress: Progress | None = None) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """Read and check every row; (row number, clean values) of each drug row and the warnings.

    Raises:
        ImportRejected: listing every bad row with its number and field (and every file problem).
    """
    try:
        rows = read_table(path)
    except FileProblem as exc:
        raise ImportRejected([ImportProblem(exc.row, exc.field, exc.message)]) from None
    if not rows:
        raise ImportRejected([ImportProblem(1, "表头", "文件是空的，第一行应为列名（如 通用名、转换比、医保类别、进价(元)）")])
    header_no, header = rows[0]
    columns, problems = _header(header_no, header)
    cleaned: list[tuple[int, dict[str, Any]]] = []
    warnings: list[str] = []
    seen: dict[tuple, int] = {}
    for index, (number, cells) in enumerate(rows[1:], start=1):
        if progress and index % 5000 == 0:
            progress(f"正在检查：第 {index} / {len(rows) - 1} 行")
        if all(_blank(c) for c in cells):
            continue
        extra = [c for c in cells[len(columns):] if not _blank(c)]
        if extra:
            problems.append(ImportProblem(number, FILE_FIELD, f"比表头多出 {len(extra)} 个单元格（“{str(extra[0])[:20]}”），"
                                          "可能是药名里有未加引号的逗号"))
            continue
        cells = list(cells) + [None] * (len(columns) - len(cells))  # a short row leaves its last cells blank
        raw = {col: val for col, val in zip(columns, cells) if col is not None}
        blank = _missing(raw)
        if blank:
            problems.extend(ImportProblem(number, label, "不能为空（导入时必须填写，不会自动补默认值）") for label in blank)
            problems.extend(_field_problems(number, {k: v for k, v in raw.items() if not _blank(v)}))
            continue
        try:
            clean = clean_drug(raw)
            apply_prices(dict(clean.values), clean.values["price_fen"], 0, True)
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
    return cleaned, warnings


def _plan(db: Database, cleaned: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any], str | None]]:
    """Each row with the id of the drug it updates (None: a new drug), read before any write.

    Raises:
        ImportRejected: a row matches a drug another site owns, or two rows match the same drug.
    """
    local = db.local_site_id
    if local is None:
        raise CunyiError("本机尚未建站，请先完成建站向导，再导入药品目录")
    by_code: dict[str, tuple[str, str]] = {}
    by_name: dict[tuple[str, str, str], tuple[str, str]] = {}
    with db.read() as s:
        stmt = select(Drug.id, Drug.owner_site_id, Drug.national_code, Drug.generic_name, Drug.strength, Drug.maker)
        # a village's own drugs seen at its township (waiting to be added to it) are not this catalog's
        mine = stmt.where(Drug.owner_site_id == local)
        for drug_id, owner, code, name, strength, maker in s.execute(mine.order_by(Drug.created_at, Drug.id)):
            if code:
                by_code.setdefault(code, (drug_id, owner))
            by_name.setdefault((name, strength, maker), (drug_id, owner))
    plan: list[tuple[int, dict[str, Any], str | None]] = []
    problems: list[ImportProblem] = []
    matched: dict[str, int] = {}
    for number, values in cleaned:
        code = values["national_code"]
        found = (code and by_code.get(code)) or by_name.get(
            (values["generic_name"], values.get("strength", ""), values.get("maker", "")))
        if found:
            drug_id, owner = found
            if owner != local:
                problems.append(ImportProblem(number, LABELS["generic_name"], "该药品由其他机构维护（如乡镇统一下发），本机不能修改"))
            elif drug_id in matched:
                problems.append(ImportProblem(number, LABELS["generic_name"], f"与第 {matched[drug_id]} 行对应目录里同一种药品"))
            matched.setdefault(drug_id, number)
        plan.append((number, values, found[0] if found else None))
    if problems:
        raise ImportRejected(problems)
    return plan


#: every column of a new drug the file may leave out, with the model's default
_DEFAULTS = {c.name: (c.default.arg if c.default is not None and c.default.is_scalar else None)
             for c in Drug.__table__.columns}


def new_drug_row(values: dict[str, Any]) -> dict[str, Any]:
    """The stored columns of a new drug (as ``CatalogService.create`` stores it), base columns aside."""
    v = dict(values)
    apply_prices(v, 0, 0, True)
    v["pinyin_overridden"] = "pinyin_abbr" in v
    v.update(drug_pinyin(v["generic_name"], v.get("pinyin_abbr", ""), v["pinyin_overridden"]))
    return {name: v.get(name, default) for name, default in _DEFAULTS.items()}


def _write_batch(session: Any, batch: list[tuple[int, dict[str, Any], str | None]], apply: Callable,
                 local_site_id: str | None) -> tuple[int, int]:
    """Write one batch in the caller's transaction; (created, updated).

    New drugs go in as one multi-row insert (the unit of work's base columns set here; the outbox
    triggers fire as for any insert); updates go through the ORM and its ownership and version rules.
    """
    existing = {d.id: d for d in session.scalars(select(Drug).where(Drug.id.in_([i for _n, _v, i in batch if i])))}
    # a drug with the same code added meanwhile (another import) is updated, not added twice
    codes = [v["national_code"] for _n, v, i in batch if i is None and v["national_code"]]
    by_code = {d.national_code: d for d in session.scalars(select(Drug).where(
        Drug.national_code.in_(codes), Drug.owner_site_id == local_site_id))} if codes else {}
    stamp = now()
    new: list[dict[str, Any]] = []
    own: list[tuple[str, dict[str, Any]]] = []  # this site's store's shelf and minimum, by drug
    updated = 0
    for _number, values, drug_id in batch:
        row = existing.get(drug_id) if drug_id else by_code.get(values["national_code"])
        if row is None:
            new.append({**new_drug_row(values), **sync_columns(local_site_id, stamp)})
            own.append((new[-1]["id"], values))
        else:
            apply(row, values, new=False)
            own.append((row.id, values))
            updated += 1
    session.flush()
    if new:
        session.execute(insert(Drug), new)
    store_id = store_settings.site_store_id(session, local_site_id)
    if store_id is not None:
        for drug_id, values in own:
            store_settings.save(session, store_id, drug_id, values)
        session.flush()
    return len(new), updated


def write_in_batches(db: Database, plan: list[tuple[int, dict[str, Any], str | None]], apply: Callable,
                     progress: Progress | None = None) -> tuple[int, int]:
    """Write the planned rows in short transactions, in file order; (created, updated).

    Raises:
        DatabaseBusy: a batch could not get the write lock in time; the message says how many rows
            were imported and that importing the same file again completes it.
    """
    created = updated = done = 0
    size = BATCH_FIRST
    while done < len(plan):
        batch = plan[done:done + size]
        try:
            with db.unit_of_work() as uow:
                started = time.perf_counter()
                c, u = _write_batch(uow.session, batch, apply, uow.local_site_id)
                per_row = (time.perf_counter() - started) / len(batch)
        except DatabaseBusy as exc:
            raise DatabaseBusy(
                f"{DatabaseBusy.DEFAULT}。已导入前 {done} 种药品（到第 {plan[done - 1][0] if done else 1} 行），"
                f"其余 {len(plan) - done} 种尚未导入；请稍后重新导入同一个文件，已导入的药品会按医保编码或"
                "名称、规格、生产企业对上并更新，不会重复") from exc
        created, updated, done = created + c, updated + u, done + len(batch)
        if progress:
            progress(f"正在导入：{done} / {len(plan)} 种")
        size = max(BATCH_MIN, min(BATCH_MAX, int(BATCH_HOLD_S / max(per_row, 1e-6))))
        if done < len(plan):
            time.sleep(BATCH_PAUSE_S)
    return created, updated


def import_file(db: Database, path: Path | str, apply: Callable, progress: Progress | None = None) -> ImportResult:
    """Check the whole file, then write it in batches (see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise ValidationError(f"导入文件：找不到文件 {path}", "导入文件")
    cleaned, warnings = check_file(path, progress)
    plan = _plan(db, cleaned)
    created, updated = write_in_batches(db, plan, apply, progress)
    return ImportResult(created, updated, tuple(warnings))
