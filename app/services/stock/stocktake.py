"""盘点 Stocktake: snapshot, count (keyboard or scanner), variance with value, finalise or cancel.

The rule for movements made while counting: the shelf keeps moving during a count, so each count
is stamped with the store's ledger position (``counted_seq``) when it is entered. A count shows the
shelf at that moment, so the quantity expected there is the booked snapshot plus the movements of
that batch between the start (``started_seq``) and the count:

    expected   = booked_qty + moved_during          (moved_during = Σ movements in (started_seq, counted_seq])
    adjustment = counted_qty − expected

Movements after the count are already on the books and on the shelf alike, so they do not change
the difference. Finalising writes one ADJUSTMENT movement per line with a difference (盘盈 +, 盘亏 −)
with its reason; uncounted lines are refused unless the caller says to skip them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import Batch, Drug, Site, StockMovement, Stocktake, StocktakeLine, Store, StoreDrugSettings
from app.db.uow import Database, now
from app.domain.codes import looks_like_trace_code
from app.domain.enums import StocktakeStatus
from app.domain.errors import NotFoundError, RuleViolation, ValidationError
from app.domain.fefo import check_quantity, parse_quantity
from app.services.core.audit import write_audit
from app.services.core.context import Session, requires
from app.services.stock import tracecodes
from app.services.stock.ledger import adjust_in, get_store, next_seq
from app.services.stock.queries import batch_value_fen

SCOPES = {"all": "全部", "shelf": "按货位", "category": "按分类"}


@dataclass(frozen=True)
class StocktakeInfo:
    id: str
    store_id: str
    scope: str
    scope_value: str
    status: str
    started_at: datetime
    started_seq: int
    finalised_at: datetime | None
    note: str
    lines: int
    counted: int


@dataclass(frozen=True)
class CountLine:
    line_id: str
    batch_id: str
    drug_id: str
    generic_name: str
    strength: str
    shelf: str
    batch_no: str
    expiry: date
    pack_unit: str
    base_unit: str
    units_per_pack: int
    booked_qty: int
    counted_qty: int | None
    moved_during: int
    expected_qty: int
    variance_qty: int  # 0 while uncounted
    variance_value_fen: int  # at the batch's pack cost
    reason: str


class StocktakeService:
    """Start, count, finalise or cancel a stocktake of this installation's store."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    # -- lifecycle -------------------------------------------------------------------------------
    @requires("stocktake.start")
    def start(self, store_id: str, scope: str = "all", scope_value: str = "", *, note: str = "",
              at: datetime | None = None) -> StocktakeInfo:
        """Snapshot the booked quantity of every batch in scope with stock (or books ≠ 0)."""
        if scope not in SCOPES:
            raise ValidationError("盘点范围只能是：全部、按货位、按分类", "盘点范围")
        scope_value = (scope_value or "").strip()
        if scope != "all" and not scope_value:
            raise ValidationError(f"盘点范围选了{SCOPES[scope]}，请填写{'货位' if scope == 'shelf' else '分类'}", "盘点范围")
        with self.db.unit_of_work() as uow:
            s = uow.session
            get_store(s, store_id)
            open_one = s.scalar(select(Stocktake).where(
                Stocktake.store_id == store_id, Stocktake.status == StocktakeStatus.COUNTING.value).limit(1))
            if open_one is not None:
                raise RuleViolation(
                    f"盘点：该药库已有一张进行中的盘点单（{open_one.started_at:%Y-%m-%d %H:%M} 开始），请先完成或取消", "盘点")
            stmt = select(Batch).join(Drug, Drug.id == Batch.drug_id).where(Batch.store_id == store_id,
                                                                            Batch.on_hand != 0)
            if scope == "shelf":
                stmt = stmt.where(Batch.drug_id.in_(  # the shelf this store keeps the drug on
                    select(StoreDrugSettings.drug_id).where(StoreDrugSettings.store_id == store_id,
                                                            StoreDrugSettings.shelf == scope_value)))
            elif scope == "category":
                stmt = stmt.where(Drug.category == scope_value)
            take = Stocktake(store_id=store_id, scope=scope, scope_value=scope_value, status="counting",
                             started_at=at or now(), started_seq=next_seq(s, store_id) - 1,
                             user_id=self.session.actor.user_id, note=note)
            s.add(take)
            s.flush()
            for b in s.scalars(stmt):
                s.add(StocktakeLine(stocktake_id=take.id, batch_id=b.id, drug_id=b.drug_id, booked_qty=b.on_hand))
            s.flush()
            return self._info(s, take)

    @requires("stocktake.cancel")
    def cancel(self, stocktake_id: str, reason: str = "") -> StocktakeInfo:
        """Abandon a count: nothing is posted."""
        with self.db.unit_of_work() as uow:
            take = self._open(uow.session, stocktake_id)
            take.status = StocktakeStatus.CANCELLED.value
            take.note = (take.note + f"\n取消：{reason.strip()}").strip() if reason.strip() else take.note
            write_audit(uow.session, self.session.actor, uow.local_site_id, "stocktake.cancel", "stocktakes", take.id,
                        reason=reason)
            uow.session.flush()
            return self._info(uow.session, take)

    @requires("stocktake.finalise")
    def finalise(self, stocktake_id: str, *, skip_uncounted: bool = False, at: datetime | None = None) -> StocktakeInfo:
        """Write the adjustments (see the module docstring for the rule) and close the count."""
        when = at or now()
        with self.db.unit_of_work() as uow:
            s = uow.session
            take = self._open(s, stocktake_id)
            lines = self._lines(s, take)
            uncounted = [ln for ln in lines if ln.counted_qty is None]
            if uncounted and not skip_uncounted:
                names = "、".join(f"{ln.generic_name}({ln.batch_no})" for ln in uncounted[:5])
                raise RuleViolation(f"盘点：还有 {len(uncounted)} 个批次未录入实盘数量：{names}…；请录入或选择跳过未盘批次", "实盘数量")
            rows = {r.id: r for r in s.scalars(select(StocktakeLine).where(StocktakeLine.stocktake_id == take.id))}
            adjusted = 0
            for ln in lines:
                row = rows[ln.line_id]
                row.moved_during = ln.moved_during
                if ln.counted_qty is None or ln.variance_qty == 0:
                    continue
                reason = ln.reason or ("盘点盘盈" if ln.variance_qty > 0 else "盘点盘亏")
                try:
                    adjust_in(s, batch_id=ln.batch_id, delta=ln.variance_qty, at=when, user_id=self.session.actor.user_id,
                              reason=reason, doc_type="stocktake", doc_id=take.id)
                except RuleViolation:
                    raise RuleViolation(
                        f"实盘数量：{ln.generic_name} 批号 {ln.batch_no} 盘点后又发出了比实盘更多的数量，"
                        "请重新清点该批次后再录入", "实盘数量") from None
                row.adjustment_qty = ln.variance_qty
                adjusted += 1
            take.status = StocktakeStatus.FINALISED.value
            take.finalised_at = when
            write_audit(s, self.session.actor, uow.local_site_id, "stocktake.finalise", "stocktakes", take.id,
                        adjustments=adjusted, value_fen=sum(ln.variance_value_fen for ln in lines))
            s.flush()
            return self._info(s, take)

    # -- counting --------------------------------------------------------------------------------
    @requires("stocktake.record_count")
    def record_count(self, stocktake_id: str, batch_id: str, counted: int | str, reason: str = "") -> CountLine:
        """Enter (or correct) the counted quantity of one batch: base units, or text like ``2盒3片``."""
        with self.db.unit_of_work() as uow:
            s = uow.session
            take = self._open(s, stocktake_id)
            batch = s.get(Batch, batch_id) if batch_id else None
            if batch is None or batch.store_id != take.store_id:
                raise NotFoundError("批次：该药库没有这个批次，请扫描批号或药品条码选择", "批次")
            drug = s.get(Drug, batch.drug_id)
            if isinstance(counted, str):
                text = counted.strip()
                qty = 0 if text == "0" else parse_quantity(text, drug.pack_unit, drug.base_unit, drug.units_per_pack, "实盘数量")
            else:
                qty = check_quantity(counted, "实盘数量", allow_zero=True)
            line = s.scalar(select(StocktakeLine).where(StocktakeLine.stocktake_id == take.id,
                                                        StocktakeLine.batch_id == batch.id))
            if line is None:  # found on the shelf though not in the snapshot
                booked = s.scalar(select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
                    StockMovement.batch_id == batch.id, StockMovement.seq <= take.started_seq))
                line = StocktakeLine(stocktake_id=take.id, batch_id=batch.id, drug_id=batch.drug_id, booked_qty=int(booked))
                s.add(line)
            line.counted_qty = qty
            line.counted_seq = next_seq(s, take.store_id) - 1
            line.reason = (reason or "").strip()[:64]
            s.flush()
            return next(ln for ln in self._lines(s, take) if ln.line_id == line.id)

    @requires("stocktake.scan")
    def scan(self, stocktake_id: str, text: str) -> list[CountLine]:
        """Lines matching scanner or keyboard input: batch no, product barcode, trace code, pinyin or name."""
        raw = (text or "").strip()
        if not raw:
            return []
        with self.db.read() as s:
            take = self._get(s, stocktake_id)
            lines = self._lines(s, take)
            batch_ids: set[str] = set()
            if looks_like_trace_code(raw):
                hit = tracecodes.batch_of(s, raw)
                batch_ids = {hit} if hit else set()
            found = [ln for ln in lines if ln.batch_id in batch_ids or ln.batch_no == raw]
            if found:
                return found
            drug_ids = set(s.scalars(select(Drug.id).where((Drug.barcode == raw) | (Drug.national_code == raw.upper()))))
            found = [ln for ln in lines if ln.drug_id in drug_ids]
            if found:
                return found
            low = raw.lower()
            keys = {d.id: d.pinyin_keys.split() for d in s.scalars(select(Drug).where(Drug.id.in_({ln.drug_id for ln in lines})))}
            return [ln for ln in lines
                    if any(k.startswith(low) for k in keys.get(ln.drug_id, ())) or raw in ln.generic_name]

    # -- reading ---------------------------------------------------------------------------------
    @requires("stocktake.read")
    def get(self, stocktake_id: str) -> StocktakeInfo:
        with self.db.read() as s:
            return self._info(s, self._get(s, stocktake_id))

    @requires("stocktake.read")
    def lines(self, stocktake_id: str) -> list[CountLine]:
        """Count lines by shelf, drug and expiry, with live variance and value."""
        with self.db.read() as s:
            return self._lines(s, self._get(s, stocktake_id))

    @requires("stocktake.read")
    def list(self, store_id: str, limit: int = 50) -> list[StocktakeInfo]:
        with self.db.read() as s:
            rows = s.scalars(select(Stocktake).where(Stocktake.store_id == store_id)
                             .order_by(Stocktake.started_at.desc(), Stocktake.id.desc()).limit(limit))
            return [self._info(s, t) for t in rows]

    @requires("stocktake.read")
    def count_sheet_pdf(self, stocktake_id: str, path: Path | str, *, blank: bool = False) -> int:
        """Print the 盘点表 (``blank``: empty count columns to fill in by hand); returns lines."""
        info = self.get(stocktake_id)
        lines = self.lines(stocktake_id)
        with self.db.read() as s:
            store = s.get(Store, info.store_id)
            site = s.get(Site, store.site_id) if store else None
            place = f"{site.name if site else ''} {store.name if store else ''}".strip()
        scope = SCOPES[info.scope] + (f"：{info.scope_value}" if info.scope_value else "")
        status = {"counting": "盘点中", "finalised": "已完成", "cancelled": "已取消"}.get(info.status, info.status)
        subtitle = (f"{place}　范围：{scope}　"
                    f"开始：{info.started_at:%Y-%m-%d %H:%M}　状态：{status}　单号：{info.id}")
        from app.printing import stock_docs  # reportlab loads on first print, not at start-up

        return stock_docs.count_sheet_pdf(Path(path), title="盘点表", subtitle=subtitle, lines=lines, blank=blank)

    # -- internals -------------------------------------------------------------------------------
    @staticmethod
    def _get(s: OrmSession, stocktake_id: str) -> Stocktake:
        take = s.get(Stocktake, stocktake_id) if stocktake_id else None
        if take is None:
            raise NotFoundError(f"盘点单：找不到编号为 {stocktake_id} 的盘点单", "盘点单")
        return take

    def _open(self, s: OrmSession, stocktake_id: str) -> Stocktake:
        take = self._get(s, stocktake_id)
        if take.status != StocktakeStatus.COUNTING.value:
            label = {"finalised": "已完成", "cancelled": "已取消"}.get(take.status, take.status)
            raise RuleViolation(f"盘点单：该盘点单{label}，不能再修改", "盘点单")
        return take

    @staticmethod
    def _info(s: OrmSession, take: Stocktake) -> StocktakeInfo:
        total, counted = s.execute(select(func.count(), func.count(StocktakeLine.counted_qty))
                                   .where(StocktakeLine.stocktake_id == take.id)).one()
        return StocktakeInfo(take.id, take.store_id, take.scope, take.scope_value, take.status, take.started_at,
                             take.started_seq, take.finalised_at, take.note, int(total), int(counted))

    @staticmethod
    def _lines(s: OrmSession, take: Stocktake) -> list[CountLine]:
        moves: dict[str, list[tuple[int, int]]] = {}
        for batch_id, seq, qty in s.execute(select(StockMovement.batch_id, StockMovement.seq, StockMovement.quantity)
                                            .where(StockMovement.store_id == take.store_id,
                                                   StockMovement.seq > take.started_seq)):
            moves.setdefault(batch_id, []).append((seq, qty))
        out = []
        shelf = func.coalesce(StoreDrugSettings.shelf, "")  # the store's own 货位 of the drug
        stmt = (select(StocktakeLine, Batch, Drug, shelf).join(Batch, Batch.id == StocktakeLine.batch_id)
                .join(Drug, Drug.id == StocktakeLine.drug_id)
                .outerjoin(StoreDrugSettings, (StoreDrugSettings.store_id == take.store_id)
                           & (StoreDrugSettings.drug_id == StocktakeLine.drug_id))
                .where(StocktakeLine.stocktake_id == take.id)
                .order_by(shelf, Drug.generic_name, Drug.id, Batch.expiry, Batch.batch_no))
        for line, b, d, on_shelf in s.execute(stmt):
            if take.status == StocktakeStatus.FINALISED.value:
                moved = line.moved_during
            else:
                upto = line.counted_seq if line.counted_qty is not None else None
                moved = sum(q for seq, q in moves.get(b.id, ()) if upto is None or seq <= upto)
            expected = line.booked_qty + moved
            variance = 0 if line.counted_qty is None else line.counted_qty - expected
            out.append(CountLine(
                line.id, b.id, d.id, d.generic_name, d.strength, on_shelf, b.batch_no, b.expiry, d.pack_unit,
                d.base_unit, d.units_per_pack, line.booked_qty, line.counted_qty, moved, expected, variance,
                batch_value_fen(variance, b.pack_cost_fen, d.units_per_pack), line.reason,
            ))
        return out
