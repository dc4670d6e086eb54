"""FEFO dispensing 发药 (re-exported by ``app.services.stock.service``): one or more lines out of one store.

``Dispensing`` reads what it needs once and writes all the ledger rows of a document in one INSERT
and the batches' cached on-hand in one UPDATE; the settlement service dispenses a whole visit with
it, ``dispense_in`` one drug. The rows are those of ``app.services.stock.ledger.post_movement`` (DESIGN §3): the
store's next ``seq``, the batch and drug balances after, never below zero, never from an expired
batch; the outbox triggers queue them in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from app.db.models import Batch, Drug, StockMovement, Store
from app.db.outbox import sync_columns
from app.db.uow import now
from app.domain.enums import MovementKind
from app.domain.errors import CunyiError, ForeignRecordError, NotFoundError, RuleViolation
from app.domain.fefo import BatchStock, Units, allocate, check_quantity
from app.services.stock import tracecodes
from app.services.stock.ledger import Allocation, check_store

_STORE = select(Store.id, Store.name, Store.owner_site_id).where(Store.id == bindparam("store"))
#: the drugs of a dispensing with their running balance in the store (one card-index probe each) and
#: the store's last ledger seq (one probe of the (store_id, seq) index)
_DRUG_BALANCES = select(
    Drug.id, Drug.generic_name, Drug.pack_unit, Drug.base_unit, Drug.units_per_pack,
    select(StockMovement.drug_balance_after)
    .where(StockMovement.store_id == bindparam("store"), StockMovement.drug_id == Drug.id)
    .order_by(StockMovement.seq.desc()).limit(1).scalar_subquery(),
    select(func.max(StockMovement.seq)).where(StockMovement.store_id == bindparam("store")).scalar_subquery(),
).where(Drug.id.in_(bindparam("drugs", expanding=True)))
#: their usable batches: unexpired (a range of the (store_id, drug_id, expiry) index, which skips the
#: years of expired lots a store accumulates) and with stock
_STOCK = select(
    Batch.id, Batch.drug_id, Batch.batch_no, Batch.expiry, Batch.on_hand, Batch.owner_site_id
).where(Batch.store_id == bindparam("store"), Batch.drug_id.in_(bindparam("drugs", expanding=True)),
        Batch.expiry >= bindparam("today"), Batch.on_hand > 0)
#: a drug's expired batches still holding stock: read only when usable stock is short, for the message
_EXPIRED = select(Batch.id, Batch.expiry, Batch.on_hand).where(
    Batch.store_id == bindparam("store"), Batch.drug_id == bindparam("drug"), Batch.expiry < bindparam("today"),
    Batch.on_hand > 0)
_MOVE_BATCH = (
    update(Batch.__table__)
    .where(Batch.__table__.c.id == bindparam("batch_id"))
    .values(on_hand=bindparam("on_hand"), updated_at=bindparam("stamp"), version=Batch.__table__.c.version + 1)
)


class Dispensing:
    """FEFO dispensing of one or more lines out of one store, inside the caller's unit of work.

    It reads once — the store, the drugs with their running balances and the store's last ``seq``,
    their unexpired batches with stock (three queries, whatever the number of lines; the expired
    ones only to word a refusal) — plans every line with
    ``app.domain.fefo.allocate`` (a drug on two lines takes from what the first left), and ``write``
    then appends all the ledger rows in one INSERT and moves each batch's cached on-hand in one
    UPDATE. The rows are exactly what ``post_movement`` writes one by one (same seq order, batch and
    drug balances after, base columns set as the unit of work sets them); the outbox triggers queue
    them in the same transaction. Usage::

        out = Dispensing(session, store_id, drug_ids, at=at, doc_type="visit", doc_id=visit_id, user_id=uid)
        allocations = [out.take(drug_id, quantity) for drug_id, quantity in lines]  # raises per line
        out.write()
    """

    def __init__(
        self, session: Session, store_id: str, drug_ids: Sequence[str], *, at: datetime, doc_type: str,
        doc_id: str, user_id: str | None, kind: MovementKind | str = MovementKind.DISPENSE,
    ) -> None:
        self.local = session.info.get("local_site_id")
        if self.local is None:
            raise CunyiError("本机尚未建站，请先完成建站向导")
        if session.new or session.dirty or session.deleted:
            session.flush()  # the ORM's pending writes first: what is read below must be the database's
        conn = session.connection()
        store = conn.execute(_STORE, {"store": store_id}).first() if store_id else None
        check_store(session, store, store_id)
        self.session, self.store_id, self.at, self.user_id = session, store.id, at, user_id
        self.doc_type, self.doc_id, self.kind = doc_type, doc_id, str(kind)
        params = {"store": store.id, "drugs": sorted({d for d in drug_ids if d}), "today": at.date()}
        self.drugs: dict[str, list] = {}  # id → [generic name, running balance]
        self.units: dict[str, Units] = {}  # id → its pack and base unit (a refusal says 需要 3盒，可用 1盒4片)
        self.seq = 0  # stays 0 only when no drug is known, and then take() refuses every line
        for drug_id, name, pack_unit, base_unit, per_pack, balance, last_seq in conn.execute(_DRUG_BALANCES, params):
            self.drugs[drug_id] = [name, int(balance or 0)]
            self.units[drug_id] = Units(pack_unit, base_unit, per_pack)
            self.seq = int(last_seq or 0)
        self.batches: dict[str, list] = {}  # id → [drug_id, batch_no, expiry, on_hand, owner]
        self.usable: dict[str, list[str]] = {}  # drug id → its unexpired batches with stock
        for batch_id, drug_id, batch_no, expiry, on_hand, owner in conn.execute(_STOCK, params):
            self.batches[batch_id] = [drug_id, batch_no, expiry, on_hand, owner]
            self.usable.setdefault(drug_id, []).append(batch_id)
        self.rows: list[dict] = []
        self.moved: dict[str, int] = {}  # batch id → on-hand after

    def take(self, drug_id: str, quantity_units: int, trace_codes: Sequence[str] = ()) -> list[Allocation]:
        """Plan one line: FEFO batches, ledger rows, balances; mark its trace codes sold."""
        quantity = check_quantity(quantity_units)
        if drug_id not in self.drugs:
            raise NotFoundError(f"药品：找不到编号为 {drug_id or '（空）'} 的药品，请从药品目录中选择", "药品")
        name, balance = self.drugs[drug_id]
        stock = [BatchStock(b, self.batches[b][2], self.batches[b][3])
                 for b in self.usable.get(drug_id, ()) if self.batches[b][3] > 0]
        if sum(b.on_hand for b in stock) < quantity:  # short: allocate() also says how much stock has expired
            stock += [BatchStock(*row) for row in self.session.connection().execute(
                _EXPIRED, {"store": self.store_id, "drug": drug_id, "today": self.at.date()})]
        if not stock:
            raise RuleViolation(f"数量：“{name}”没有库存（需要 {self.units[drug_id].format(quantity)}），请先入库", "数量")
        plan = allocate(stock, quantity, self.at.date(), self.units[drug_id])
        result = []
        stamp = now()
        for batch_id, qty in plan:
            batch = self.batches[batch_id]
            if batch[4] != self.local:
                raise ForeignRecordError("该记录（batches）属于其他机构，本机不能修改；请联系所属机构办理或提交变更申请")
            batch[3] -= qty
            balance -= qty
            self.seq += 1
            self.moved[batch_id] = batch[3]
            self.rows.append({
                **sync_columns(self.local, stamp),
                "seq": self.seq, "store_id": self.store_id, "drug_id": drug_id, "batch_id": batch_id,
                "kind": self.kind, "quantity": -qty, "occurred_at": self.at, "doc_type": self.doc_type,
                "doc_id": self.doc_id, "reason": "", "reverses_id": None, "user_id": self.user_id,
                "batch_balance_after": batch[3], "drug_balance_after": balance,
            })
            result.append(Allocation(batch_id, batch[1], batch[2], qty))
        self.drugs[drug_id][1] = balance
        if trace_codes:
            tracecodes.sell_codes(self.session, codes=trace_codes, drug_id=drug_id, batch_id=plan[0][0],
                                  store_id=self.store_id, at=self.at, doc_id=self.doc_id, doc_type=self.doc_type)
        return result

    def write(self) -> None:
        """Append the planned ledger rows and move the batches' cached on-hand (one statement each)."""
        if not self.rows:
            return
        conn = self.session.connection()
        conn.execute(StockMovement.__table__.insert(), self.rows)
        stamp = now()
        conn.execute(_MOVE_BATCH, [{"batch_id": b, "on_hand": n, "stamp": stamp} for b, n in self.moved.items()])
        for batch_id in self.moved:  # a Batch loaded earlier in this unit of work must not keep its old on-hand
            loaded = self.session.identity_map.get(self.session.identity_key(Batch, batch_id))
            if loaded is not None:
                self.session.expire(loaded)
        self.rows, self.moved = [], {}


def dispense_in(
    session: Session,
    *,
    store_id: str,
    drug_id: str,
    quantity_units: int,
    at: datetime,
    doc_type: str,
    doc_id: str,
    user_id: str | None,
    trace_codes: Sequence[str] = (),
    kind: MovementKind | str = MovementKind.DISPENSE,
) -> list[Allocation]:
    """Take ``quantity_units`` out FEFO across unexpired batches; mark the trace codes sold."""
    quantity = check_quantity(quantity_units)
    out = Dispensing(session, store_id, [drug_id], at=at, doc_type=doc_type, doc_id=doc_id, user_id=user_id, kind=kind)
    result = out.take(drug_id, quantity, trace_codes)
    out.write()
    return result


__all__ = ["Dispensing", "dispense_in"]
