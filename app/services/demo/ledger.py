"""One store's stock ledger kept in memory while the demo history is generated.

It follows the rules of app.services.stock.ledger exactly — every change is a new movement with
the store's next ``seq``, the batch and the store-wide drug balance after it; FEFO takes the usable
batch with the earliest expiry (then the oldest id) and never an expired one (``app.domain.fefo``);
reversals put stock back into the same batches — but it writes plain row tuples, in bulk.
Batch rows are written by ``batch_rows`` once the history is done, with their final ``on_hand``;
trace code events as they happen (``code_event``), each code's ``seq`` counted here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from app.domain.fefo import is_expired
from app.services.demo.rows import day_text, dt_text


class BatchState:
    __slots__ = ("id", "drug", "batch_no", "expiry", "on_hand", "cost", "received", "no_codes", "codes", "sold",
                 "keep", "created")

    def __init__(self, id: str, drug: int, batch_no: str, expiry: date, cost: int, received: datetime,  # noqa: A002
                 no_codes: bool) -> None:
        self.id = id
        self.drug = drug
        self.batch_no = batch_no
        self.expiry = expiry
        self.on_hand = 0
        self.cost = cost
        self.received = received
        self.no_codes = no_codes
        self.codes: list[str] = []  # trace codes in stock (one per pack)
        self.sold: list[tuple[str, datetime, str]] = []  # (code, sold at, visit id)
        self.keep = False  # left on the shelf after expiry (the demo's "expired stock still on the shelf")


class StoreLedger:
    """Batches, balances and the movement rows of one store."""

    def __init__(self, ids: Callable[[], str], store_id: str, owner_site_id: str, drug_ids: list[str],
                 add_movement: Callable[[tuple], None], add_code: Callable[[tuple], None] | None = None) -> None:
        self.ids = ids
        self.store_id = store_id
        self.owner = owner_site_id
        self.drug_ids = drug_ids
        self.add_movement = add_movement
        self.add_code = add_code
        self.code_seq: dict[str, int] = {}  # trace code → its last event's seq at this store
        self.seq = 0
        self.balance = [0] * len(drug_ids)
        self.batches: list[list[BatchState]] = [[] for _ in drug_ids]  # per drug, FEFO order
        self.by_lot: dict[tuple[int, str, date], BatchState] = {}
        self.all: list[BatchState] = []
        self.movements = 0

    # -- movements ------------------------------------------------------------------------------
    def move(self, batch: BatchState, quantity: int, at: datetime, kind: str, doc_type: str, doc_id: str | None,
             user_id: str | None, reason: str = "", reverses_id: str | None = None) -> str:
        """Append one ledger row; returns its id."""
        after = batch.on_hand + quantity
        if after < 0:
            raise AssertionError(f"demo ledger would go negative: {batch.batch_no}")
        batch.on_hand = after
        self.balance[batch.drug] += quantity
        self.seq += 1
        self.movements += 1
        movement_id = self.ids()
        stamp = dt_text(at)
        self.add_movement((
            movement_id, self.owner, stamp, stamp, 1, self.seq, self.store_id, self.drug_ids[batch.drug], batch.id,
            kind, quantity, stamp, doc_type, doc_id, reason, reverses_id, user_id, after, self.balance[batch.drug],
        ))
        return movement_id

    def code_event(self, code: str, kind: str, batch: BatchState, at: datetime, doc_type: str, doc_id: str) -> None:
        """Append one trace code event (received / sold / unsold) at this store."""
        seq = self.code_seq[code] = self.code_seq.get(code, 0) + 1
        stamp = dt_text(at)
        self.add_code((self.ids(), self.owner, stamp, stamp, 1, code, self.store_id, self.drug_ids[batch.drug], batch.id,
                       kind, seq, doc_type, doc_id, stamp))

    def receive(self, drug: int, batch_no: str, expiry: date, quantity: int, cost: int, at: datetime, kind: str,
                doc_type: str, doc_id: str, user_id: str | None, no_codes: bool = True) -> BatchState:
        """Stock into the batch (drug, batch no, expiry), created on first receipt."""
        key = (drug, batch_no, expiry)
        batch = self.by_lot.get(key)
        if batch is None:
            batch = BatchState(self.ids(), drug, batch_no, expiry, cost, at, no_codes)
            self.by_lot[key] = batch
            self.all.append(batch)
            lots = self.batches[drug]
            lots.append(batch)
            lots.sort(key=lambda b: (b.expiry, b.id))
        else:
            if no_codes:
                batch.no_codes = True
            lots = self.batches[drug]
            if batch.on_hand == 0 and batch not in lots:
                lots.append(batch)
                lots.sort(key=lambda b: (b.expiry, b.id))
        self.move(batch, quantity, at, kind, doc_type, doc_id, user_id)
        return batch

    def usable(self, drug: int, day: date) -> int:
        return sum(b.on_hand for b in self.batches[drug] if b.on_hand and not is_expired(b.expiry, day))

    def fefo(self, drug: int, quantity: int, day: date) -> list[tuple[BatchState, int]] | None:
        """The FEFO plan for ``quantity`` units, or None when unexpired stock is short."""
        plan = []
        left = quantity
        for batch in self.batches[drug]:
            if batch.on_hand <= 0 or is_expired(batch.expiry, day):
                continue
            take = min(left, batch.on_hand)
            plan.append((batch, take))
            left -= take
            if not left:
                return plan
        return None

    def expired_on_shelf(self, day: date) -> list[BatchState]:
        return [b for b in self.all if b.on_hand > 0 and is_expired(b.expiry, day) and not b.keep]

    def prune(self, day: date) -> None:
        """Forget empty batches for FEFO (their rows are still written at the end)."""
        for drug, lots in enumerate(self.batches):
            if any(b.on_hand == 0 for b in lots):
                self.batches[drug] = [b for b in lots if b.on_hand > 0]

    # -- rows -----------------------------------------------------------------------------------
    def batch_rows(self, add_batch: Callable[[tuple], None]) -> None:
        """Write every batch with its final on-hand."""
        for b in self.all:
            stamp = dt_text(b.received)
            add_batch((b.id, self.owner, stamp, stamp, 1, self.store_id, self.drug_ids[b.drug], b.batch_no,
                       day_text(b.expiry), b.cost, b.on_hand, day_text(b.received.date()), int(b.no_codes)))


MOVEMENT_COLUMNS = ("seq", "store_id", "drug_id", "batch_id", "kind", "quantity", "occurred_at", "doc_type", "doc_id",
                    "reason", "reverses_id", "user_id", "batch_balance_after", "drug_balance_after")
BATCH_COLUMNS = ("store_id", "drug_id", "batch_no", "expiry", "pack_cost_fen", "on_hand", "received_on", "no_trace_codes")
TRACE_EVENT_COLUMNS = ("code", "store_id", "drug_id", "batch_id", "kind", "seq", "doc_type", "doc_id", "occurred_at")
