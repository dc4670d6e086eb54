"""Stock: the ledger functions other services call inside their unit of work, and ``StockService``.

Other services import from here::

    from app.services.stock.service import dispense_in, receive_in, reverse_document_in

``StockService`` runs each operation in its own unit of work, with the signed-in actor, and writes
the audit rows (adjustments, write-offs, returns, reversals). Queries for the pages live in
``app.services.stock.queries``; stocktakes in ``app.services.stock.stocktake``. Importing this module registers the ``cunyi check``
rules and the ``stock`` report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from app.db.models import Site, StockReturn, Store
from app.db.uow import Database, now
from app.domain.enums import MovementKind
from app.domain.errors import RuleViolation, ValidationError
from app.domain.fefo import parse_quantity
from app.domain.ids import new_id
from app.services.core.audit import write_audit
from app.services.core.context import Session, requires
from app.services.core.numbers import next_no
from app.services.core.settings import SettingsService
from app.services.stock import checks as stock_checks  # noqa: F401  (registers the cunyi check rules and the stock report)
from app.services.stock import queries as q
from app.services.stock import tracecodes
from app.services.stock.alerts import StockAlerts, compute_alerts
from app.services.stock.dispensing import Dispensing, dispense_in
from app.services.stock.ledger import (
    Allocation,
    NearExpiryError,
    adjust_in,
    check_near_expiry,
    check_receivable_expiry,
    drug_on_hand,
    get_drug,
    next_seq,
    post_movement,
    receive_in,
    remove_in,
    reverse_document_in,
    reverse_movement_in,
)

#: 报损 reasons: kind → label
WRITE_OFF_REASONS = {"expired": "过期", "damaged": "破损", "lost": "丢失", "other": "其他"}


class StockService:
    """Stock operations and queries of one installation's store(s)."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    # -- helpers ---------------------------------------------------------------------------------
    @requires("stock.read")
    def local_store_id(self) -> str:
        """The store of this installation's site."""
        site_id = self.db.local_site_id
        if site_id is None:
            raise RuleViolation("本机尚未建站，请先完成建站向导", "药库")
        with self.db.read() as s:
            store_id = s.scalar(select(Store.id).where(Store.site_id == site_id).order_by(Store.id).limit(1))
        if store_id is None:
            raise RuleViolation("本机构还没有药库", "药库")
        return store_id

    def _store(self, store_id: str | None) -> str:
        return store_id or self.local_store_id()

    def _quantity(self, session, drug_id: str, quantity: int | str) -> int:
        if isinstance(quantity, str):
            drug = get_drug(session, drug_id)
            return parse_quantity(quantity, drug.pack_unit, drug.base_unit, drug.units_per_pack)
        return quantity

    def _audit(self, session, action: str, table: str, target: str | None, **detail: object) -> None:
        write_audit(session, self.session.actor, self.db.local_site_id, action, table, target, **detail)

    # -- writes ----------------------------------------------------------------------------------
    @requires("stock.receive")
    def receive(
        self, drug_id: str, batch_no: str, expiry: date, quantity: int | str, *, pack_cost_fen: int | None = None,
        trace_codes: Sequence[str] = (), store_id: str | None = None, at: datetime | None = None,
        doc_id: str | None = None, kind: MovementKind | str = MovementKind.RECEIPT, accept_near_expiry: bool = False,
    ) -> str:
        """Receive stock (验收入库); ``quantity`` is base units, or text like ``"2"``/``"14片"``. Returns the batch id.

        The fields are checked in the order the form shows them. A batch that expires within the
        near-expiry window (设置 → 近效期天数) is received only with ``accept_near_expiry``; without it
        the service raises ``NearExpiryError`` (naming the days left) and writes nothing.
        """
        near_days = self.windows().near_days
        with self.db.unit_of_work() as uow:
            s = uow.session
            drug = get_drug(s, drug_id)
            at = at or now()
            batch_id = receive_in(
                s, store_id=self._store(store_id), drug_id=drug.id, batch_no=batch_no, expiry=expiry,
                quantity_units=quantity, pack_cost_fen=drug.price_fen if pack_cost_fen is None else pack_cost_fen,
                at=at, doc_type="receipt", doc_id=doc_id or new_id(), user_id=self.session.actor.user_id,
                trace_codes=trace_codes, kind=kind,
            )
            # every field is valid (or the receipt was refused above): now the confirmation; refusing rolls back
            check_near_expiry(str(batch_no).strip(), expiry, at.date(), near_days, accept_near_expiry)
            return batch_id

    @requires("stock.dispense")
    def dispense(
        self, drug_id: str, quantity: int | str, *, doc_type: str = "manual", doc_id: str | None = None,
        trace_codes: Sequence[str] = (), store_id: str | None = None, at: datetime | None = None,
    ) -> list[Allocation]:
        """Dispense FEFO outside a visit (e.g. a manual issue); returns the batches used."""
        with self.db.unit_of_work() as uow:
            s = uow.session
            return dispense_in(
                s, store_id=self._store(store_id), drug_id=drug_id, quantity_units=self._quantity(s, drug_id, quantity),
                at=at or now(), doc_type=doc_type, doc_id=doc_id or new_id(), user_id=self.session.actor.user_id,
                trace_codes=trace_codes,
            )

    @requires("stock.reverse_movement")
    def reverse_movement(self, movement_id: str, reason: str, *, at: datetime | None = None) -> str:
        """冲正 one ledger row; returns the id of the reversal row."""
        with self.db.unit_of_work() as uow:
            row = reverse_movement_in(
                uow.session, movement_id=movement_id, at=at or now(), user_id=self.session.actor.user_id, reason=reason
            )
            self._audit(uow.session, "stock.reverse", "stock_movements", movement_id, reversal_id=row.id,
                        quantity=row.quantity, reason=row.reason)
            return row.id

    @requires("stock.adjust")
    def adjust(self, batch_id: str, delta: int, reason: str, *, at: datetime | None = None) -> str:
        """A manual adjustment (+/−) of one batch with a reason; returns the movement id."""
        with self.db.unit_of_work() as uow:
            row = adjust_in(uow.session, batch_id=batch_id, delta=delta, at=at or now(),
                            user_id=self.session.actor.user_id, reason=reason, doc_id=new_id())
            self._audit(uow.session, "stock.adjust", "batches", batch_id, movement_id=row.id, delta=delta, reason=row.reason)
            return row.id

    @requires("stock.write_off")
    def write_off(self, batch_id: str, quantity: int | str, reason_kind: str, note: str = "", *,
                  at: datetime | None = None) -> str:
        """报损: expired / damaged / lost stock out of one batch; returns the movement id."""
        label = WRITE_OFF_REASONS.get(reason_kind)
        if label is None:
            raise ValidationError("报损原因只能是：过期、破损、丢失、其他", "报损原因")
        if reason_kind == "other" and not (note or "").strip():
            raise ValidationError("报损原因选了“其他”，请写明具体原因", "报损原因")
        reason = f"{label}：{note.strip()}" if note and note.strip() else label
        with self.db.unit_of_work() as uow:
            s = uow.session
            batch = q.batch_row(s, batch_id)
            row = remove_in(s, batch_id=batch_id, quantity_units=self._quantity(s, batch.drug_id, quantity),
                            kind=MovementKind.WRITE_OFF, at=at or now(), user_id=self.session.actor.user_id,
                            reason=reason, doc_type="write_off", doc_id=new_id())
            self._audit(s, "stock.write_off", "batches", batch_id, movement_id=row.id, quantity=-row.quantity, reason=reason)
            return row.id

    @requires("stock.return_to_township")
    def return_to_township(self, batch_id: str, quantity: int | str, reason: str, *, at: datetime | None = None,
                           trace_codes: Sequence[str] = ()) -> str:
        """退回乡镇: stock sent back to the township, with a reason (and the boxes' trace codes, which are
        then no longer sellable here); returns the movement id."""
        at = at or now()
        with self.db.unit_of_work() as uow:
            s = uow.session
            batch = q.batch_row(s, batch_id)
            return_id = new_id()
            row = remove_in(s, batch_id=batch_id, quantity_units=self._quantity(s, batch.drug_id, quantity),
                            kind=MovementKind.RETURN_TO_TOWNSHIP, at=at, user_id=self.session.actor.user_id,
                            reason=reason, doc_type="stock_return", doc_id=return_id, trace_codes=trace_codes)
            store = s.get(Store, batch.store_id)
            actor = self.session.actor
            s.add(StockReturn(
                id=return_id, site_id=store.site_id, store_id=store.id, returned_at=at, drug_id=batch.drug_id,
                return_no=next_no(s, StockReturn.return_no, store.owner_site_id, "TH", at.date()), batch_id=batch.id,
                batch_no=batch.batch_no, expiry=batch.expiry, quantity=-row.quantity, pack_price_fen=batch.pack_cost_fen,
                trace_codes=json.dumps(tracecodes.normalise_codes(trace_codes)), reason=row.reason,
                user_id=actor.user_id, user_name=actor.name[:32]))
            s.flush()
            self._audit(s, "stock.return", "batches", batch_id, movement_id=row.id, quantity=-row.quantity, reason=row.reason)
            return row.id

    # -- queries ---------------------------------------------------------------------------------
    @requires("stock.read")
    def windows(self) -> q.AlertWindows:
        """Alert windows from the site settings (近效期 180 / 紧急 90 / 15 days of use)."""
        settings = SettingsService(self.db, self.session)
        return q.AlertWindows(
            settings.get("near_expiry_days"), settings.get("urgent_expiry_days"), settings.get("low_stock_days")
        )

    @requires("stock.read")
    def on_hand(
        self, search: str = "", *, vbp: bool | None = None, coverage_class: str | None = None,
        alert: str | None = None, include_zero: bool = False, store_id: str | None = None, today: date | None = None,
    ) -> list[q.OnHandRow]:
        """药品库存: per drug packs + units, value, nearest expiry; ``alert`` is one of
        near_expiry / urgent / expired / low / no_code."""
        store, windows = self._store(store_id), self.windows()
        with self.db.read() as s:
            return q.on_hand_rows(s, store, today=today or now().date(), windows=windows, search=search, vbp=vbp,
                                  coverage_class=coverage_class, alert=alert, include_zero=include_zero)

    @requires("stock.read")
    def batches(
        self, drug_id: str | None = None, *, include_empty: bool = False, no_code_only: bool = False,
        store_id: str | None = None, today: date | None = None,
    ) -> list[q.BatchInfo]:
        """批次: batches of the store in FEFO order per drug."""
        store = self._store(store_id)
        with self.db.read() as s:
            return q.list_batches(s, store, today=today or now().date(), drug_id=drug_id,
                                  include_empty=include_empty, no_code_only=no_code_only)

    @requires("stock.read")
    def no_code_batches(self, store_id: str | None = None) -> list[q.BatchInfo]:
        """无码库: stock that arrived without trace codes (still sellable)."""
        return self.batches(no_code_only=True, store_id=store_id)

    @requires("stock.read")
    def stock_card_page(
        self, store_id: str | None, drug_id: str, after_seq: int | None = None, limit: int = 200,
        date_from: date | None = None, date_to: date | None = None, kinds: Iterable[str] | None = None,
        *, newest_first: bool = False,
    ) -> q.CardPage:
        """库存台账: one keyset page of a drug's stock card (see ``queries.stock_card_page``)."""
        store = self._store(store_id)
        with self.db.read() as s:
            return q.stock_card_page(s, store, drug_id, after_seq=after_seq, limit=limit, date_from=date_from,
                                     date_to=date_to, kinds=kinds, newest_first=newest_first)

    @requires("stock.read")
    def stock_card_count(self, store_id: str | None, drug_id: str) -> int:
        """Rows on a drug's stock card; ask lazily (not needed to show the first page)."""
        store = self._store(store_id)
        with self.db.read() as s:
            return q.stock_card_count(s, store, drug_id)

    @requires("stock.read")
    def alerts(self, store_id: str | None = None, today: date | None = None) -> StockAlerts:
        """工作台 tiles: near expiry, urgent, expired on shelf, low stock, 无码库."""
        store, windows = self._store(store_id), self.windows()
        with self.db.read() as s:
            return compute_alerts(s, store, today=today or now().date(), windows=windows)

    # -- exports ---------------------------------------------------------------------------------
    def _place(self, store_id: str) -> str:
        with self.db.read() as s:
            store = s.get(Store, store_id)
            site = s.get(Site, store.site_id) if store else None
            return f"{site.name if site else ''} {store.name if store else ''}".strip()

    @requires("stock.read")
    def export_stock_card(
        self, drug_id: str, path: Path | str, *, store_id: str | None = None, date_from: date | None = None,
        date_to: date | None = None, kinds: Iterable[str] | None = None,
    ) -> int:
        """Write a drug's stock card to ``path`` (.pdf or .xlsx), streaming page by page; returns rows."""
        path = Path(path)
        store = self._store(store_id)
        with self.db.read() as s:
            drug = get_drug(s, drug_id)
            title = f"库存台账：{drug.generic_name} {drug.strength}".strip()
            unit = f"单位：{drug.base_unit}（每{drug.pack_unit} {drug.units_per_pack}{drug.base_unit}）"
        span = f"{date_from or '最早'} 至 {date_to or '今天'}"
        subtitle = f"{self._place(store)}　期间：{span}　{unit}"

        def all_rows() -> Iterator[q.CardRow]:
            after = None
            while True:
                page = self.stock_card_page(store, drug_id, after, 2000, date_from, date_to, kinds)
                yield from page.rows
                if page.next_after_seq is None:
                    return
                after = page.next_after_seq

        from app.printing import (
            stock_docs,  # reportlab loads on first export, not at start-up
        )

        writer = stock_docs.stock_card_xlsx if path.suffix.lower() == ".xlsx" else stock_docs.stock_card_pdf
        return writer(path, title=title, subtitle=subtitle, rows=all_rows())

    @requires("stock.read")
    def export_stock_list(self, path: Path | str, *, store_id: str | None = None, **filters: object) -> int:
        """Write the 药品库存 list (same filters as ``on_hand``) to ``path`` (.pdf or .xlsx); returns rows."""
        path = Path(path)
        store = self._store(store_id)
        rows = self.on_hand(store_id=store, **filters)  # type: ignore[arg-type]
        subtitle = f"{self._place(store)}　{now():%Y-%m-%d %H:%M}　共 {len(rows)} 种"
        from app.printing import stock_docs

        writer = stock_docs.stock_list_xlsx if path.suffix.lower() == ".xlsx" else stock_docs.stock_list_pdf
        return writer(path, title="药品库存", subtitle=subtitle, rows=rows)

    @requires("stock.read")
    def recent_movements(self, kinds: Iterable[str], limit: int = 100, *, store_id: str | None = None
                         ) -> list[q.RecentMovement]:
        """Latest movements of ``kinds`` (e.g. receipt / write_off, return), newest first: the pages' recent lists."""
        store = self._store(store_id)
        with self.db.read() as s:
            return q.recent_movements(s, store, kinds, limit)

    @requires("stock.read")
    def trace_code(self, code: str) -> tracecodes.TraceCodeInfo | None:
        """Where a trace code stands (received / sold to which visit), or None if never seen."""
        with self.db.read() as s:
            return tracecodes.lookup(s, code)


__all__ = [
    "WRITE_OFF_REASONS",
    "Allocation",
    "Dispensing",
    "NearExpiryError",
    "StockService",
    "adjust_in",
    "check_receivable_expiry",
    "dispense_in",
    "drug_on_hand",
    "next_seq",
    "post_movement",
    "receive_in",
    "remove_in",
    "reverse_document_in",
    "reverse_movement_in",
]
