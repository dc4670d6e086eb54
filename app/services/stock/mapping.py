"""A standalone village that joins a township later: its own drugs mapped to the township catalog.

While standalone a village keeps its own catalog. Once it joins, the catalog is the township's
(DESIGN §4): after a sync brings the township's drugs, each drug the village owns is looked up in the
township catalog by national code (医保编码).

- **Mapped** (same national code, same base unit): in one transaction per drug, its stock on hand moves
  to the township drug by a ledger pair (``doc_type`` ``drug_mapping``, ``doc_id`` the mapping row): out
  of each batch of the village's drug, into the batch of the township drug with the same batch number
  and expiry; the boxes' trace codes follow with a ``shipped``/``received`` event pair. The village's
  drug becomes inactive; its history stays on it.
- **Unmatched**: the drug stays usable here (its stock can still be dispensed) and its mapping row says
  why, so the township sees, through sync, what to add to its catalog. The next sync after the
  township adds a drug with that code maps it.

Every mapping row is owned by the village (``drug_mappings``), so nothing of the township is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.db.models import (
    Batch,
    Drug,
    DrugMapping,
    Store,
    StoreDrugSettings,
    SyncState,
    TraceCodeEvent,
)
from app.db.uow import Database, now
from app.domain.enums import MovementKind
from app.domain.enums import TraceEventKind as K
from app.services.core.audit import write_audit
from app.services.core.context import Actor
from app.services.core.reports import Column, Period, Table, report
from app.services.stock import tracecodes
from app.services.stock.ledger import post_movement

DOC_TYPE = "drug_mapping"
MAPPED, UNMATCHED = "mapped", "unmatched"
#: what the village is asked to do about an unmatched drug
TODO = "请乡镇把这些药品加入目录；乡镇加入后，下次同步会自动对照"
#: the tables a mapping writes (the pages showing them refresh)
MAPPING_TABLES = frozenset({"drugs", "drug_mappings", "batches", "stock_movements", "trace_code_events",
                            "store_drug_settings"})


@dataclass
class MappingResult:
    """What one :func:`map_own_drugs` did: the drugs it mapped now and those still unmatched."""

    mapped: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    moved_units: int = 0
    #: something was written (a drug mapped, or an unmatched drug's row made or changed)
    changed: bool = False


@dataclass(frozen=True)
class UnmappedDrug:
    """A drug of a village that has no township drug yet, as the 同步 page and the report list it."""

    drug_id: str
    national_code: str
    generic_name: str
    strength: str
    maker: str
    on_hand_units: int
    reason: str


def _township_id(session: Session) -> str | None:
    state = session.get(SyncState, 1)
    return state.township_site_id if state is not None else None


def _unmatched_reason(drug: Drug, target: Drug | None) -> str:
    if not drug.national_code.strip():
        return "本站药品没有医保编码，无法与乡镇目录对照"
    if target is None:
        return f"乡镇目录中没有医保编码 {drug.national_code} 的药品"
    return (f"最小单位不同（本站 {drug.base_unit}，乡镇目录 {target.base_unit}），"
            "请乡镇核对该药品的最小单位")


def map_own_drugs(db: Database, actor: Actor) -> MappingResult:
    """Map every drug this village owns that is not mapped yet; nothing happens at any other site.

    Runs after a sync (``Services.sync``): a village enrolled under a township, with its catalog pulled.
    Each mapped drug is its own transaction; unmatched drugs get (or keep) a row saying why.
    """
    result = MappingResult()
    site_id = db.local_site_id
    if site_id is None or db.local_site_kind != "village" or not db.local_site_enrolled:
        return result
    with db.read() as s:
        township = _township_id(s)
        done = set(s.scalars(select(DrugMapping.drug_id).where(DrugMapping.status == MAPPED)))
        own = [d for d in s.scalars(select(Drug.id).where(Drug.owner_site_id == site_id)) if d not in done]
    if not township or not own:
        return result
    before = _outbox_seq(db)
    for drug_id in own:
        with db.unit_of_work() as uow:
            moved = _map_one(uow.session, site_id, township, drug_id, actor)
        if moved is None:
            result.unmatched.append(drug_id)
        else:
            result.mapped.append(drug_id)
            result.moved_units += moved
    result.changed = _outbox_seq(db) != before
    return result


def _outbox_seq(db: Database) -> int:
    """The last outbox number this database assigned: it moves with every write of an owned row."""
    with db.reader.connect() as conn:
        return int(conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")).scalar() or 0)


def _target(session: Session, township: str, drug: Drug) -> Drug | None:
    if not drug.national_code.strip():
        return None
    return session.scalar(select(Drug).where(Drug.owner_site_id == township, Drug.national_code == drug.national_code,
                                             Drug.active.is_(True)).order_by(Drug.created_at, Drug.id).limit(1))


def _map_one(session: Session, site_id: str, township: str, drug_id: str, actor: Actor) -> int | None:
    """Map one drug (None: it stays unmatched, its row says why); returns the base units moved."""
    drug = session.get(Drug, drug_id)
    target = _target(session, township, drug)
    row = session.scalar(select(DrugMapping).where(DrugMapping.drug_id == drug_id))
    if row is None:
        row = DrugMapping(site_id=site_id, drug_id=drug_id, national_code=drug.national_code, status=UNMATCHED)
        session.add(row)
        session.flush()
    if target is None or target.base_unit != drug.base_unit:
        reason = _unmatched_reason(drug, target)
        if row.reason != reason or row.national_code != drug.national_code:
            row.reason, row.national_code = reason, drug.national_code
        return None
    at = now()
    moved = 0
    stores = list(session.scalars(select(Store).where(Store.site_id == site_id, Store.owner_site_id == site_id)))
    for store in stores:
        for batch in list(session.scalars(select(Batch).where(
                Batch.store_id == store.id, Batch.drug_id == drug.id, Batch.on_hand > 0).order_by(Batch.expiry, Batch.batch_no))):
            moved += _move_batch(session, batch, drug, target, row, at, actor)
        _carry_settings(session, store.id, drug.id, target.id)
    row.status, row.township_drug_id, row.reason = MAPPED, target.id, ""
    row.mapped_at, row.moved_units = at, moved
    drug.active = False
    session.flush()
    write_audit(session, actor, site_id, "drug.map", "drugs", drug.id, drug=drug.generic_name,
                national_code=drug.national_code, township_drug_id=target.id, moved_units=moved)
    return moved


def _move_batch(session: Session, batch: Batch, drug: Drug, target: Drug, row: DrugMapping, at: datetime,
                actor: Actor) -> int:
    """Move a batch's stock to the township drug's batch of the same number and expiry; its codes follow."""
    quantity = batch.on_hand
    into = session.scalar(select(Batch).where(Batch.store_id == batch.store_id, Batch.drug_id == target.id,
                                              Batch.batch_no == batch.batch_no, Batch.expiry == batch.expiry))
    if into is None:
        per_unit = batch.pack_cost_fen / max(drug.units_per_pack, 1)
        into = Batch(store_id=batch.store_id, drug_id=target.id, batch_no=batch.batch_no, expiry=batch.expiry,
                     pack_cost_fen=int(per_unit * max(target.units_per_pack, 1) + 0.5), on_hand=0,
                     received_on=batch.received_on, no_trace_codes=batch.no_trace_codes)
        session.add(into)
        session.flush()
    code = drug.national_code
    post_movement(session, batch, kind=MovementKind.ADJUSTMENT, quantity=-quantity, at=at, doc_type=DOC_TYPE,
                  doc_id=row.id, user_id=actor.user_id, reason=f"目录对照：转入乡镇目录同医保编码药品（{code}）"[:128])
    post_movement(session, into, kind=MovementKind.ADJUSTMENT, quantity=quantity, at=at, doc_type=DOC_TYPE,
                  doc_id=row.id, user_id=actor.user_id,
                  reason=f"目录对照：由本站原药品“{drug.generic_name}”（{code}）转入"[:128])
    _carry_codes(session, batch, into, row.id, at)
    return quantity


def _carry_codes(session: Session, old: Batch, new: Batch, doc_id: str, at: datetime) -> None:
    """The codes on the shelf in ``old`` leave it (shipped) and enter ``new`` (received), in order."""
    codes = sorted(set(session.scalars(select(TraceCodeEvent.code).where(TraceCodeEvent.batch_id == old.id))))
    for code, history in tracecodes._load(session, codes).items():
        here = history.at(old.store_id)
        if here is None or not here.on_shelf or here.received is None or here.received.batch_id != old.id:
            continue
        seq = here.latest.seq
        session.add(TraceCodeEvent(code=code, store_id=old.store_id, drug_id=old.drug_id, batch_id=old.id,
                                   kind=K.SHIPPED.value, seq=seq + 1, doc_type=DOC_TYPE, doc_id=doc_id, occurred_at=at))
        session.add(TraceCodeEvent(code=code, store_id=new.store_id, drug_id=new.drug_id, batch_id=new.id,
                                   kind=K.RECEIVED.value, seq=seq + 2, doc_type=DOC_TYPE, doc_id=doc_id,
                                   occurred_at=at))
    session.flush()


def _carry_settings(session: Session, store_id: str, old_id: str, new_id: str) -> None:
    """The store's shelf and minimum stock of the old drug carry over when the new drug has none here."""
    old = session.scalar(select(StoreDrugSettings).where(StoreDrugSettings.store_id == store_id,
                                                         StoreDrugSettings.drug_id == old_id))
    if old is None or session.scalar(select(StoreDrugSettings.id).where(
            StoreDrugSettings.store_id == store_id, StoreDrugSettings.drug_id == new_id)) is not None:
        return
    session.add(StoreDrugSettings(store_id=store_id, drug_id=new_id, shelf=old.shelf,
                                  min_stock_units=old.min_stock_units))


def unmapped_drugs(session: Session, site_id: str) -> list[UnmappedDrug]:
    """The drugs of village ``site_id`` that have no township drug yet (its mapping rows, as seen here)."""
    rows = session.execute(
        select(DrugMapping.drug_id, Drug.national_code, Drug.generic_name, Drug.strength, Drug.maker, DrugMapping.reason)
        .join(Drug, Drug.id == DrugMapping.drug_id)
        .where(DrugMapping.site_id == site_id, DrugMapping.status == UNMATCHED)
        .order_by(Drug.pinyin_sort, Drug.generic_name, Drug.id)).all()
    out = []
    for r in rows:
        on_hand = sum(session.scalars(select(Batch.on_hand).join(Store, Store.id == Batch.store_id)
                                      .where(Batch.drug_id == r.drug_id, Store.site_id == site_id)))
        out.append(UnmappedDrug(r.drug_id, r.national_code, r.generic_name, r.strength, r.maker, int(on_hand), r.reason))
    return out


@report("unmapped-drugs", "待乡镇加入目录的药品", use_case="sync.read")
def _unmapped_report(services, period: Period) -> Table:
    rows = [{"drug_id": d.drug_id, "national_code": d.national_code, "generic_name": d.generic_name,
             "strength": d.strength, "maker": d.maker, "on_hand_units": d.on_hand_units, "reason": d.reason}
            for d in services.sync.unmapped_drugs(period.site_id)]  # the permission checked there
    return Table(
        title="待乡镇加入目录的药品",
        subtitle="村卫生室加入乡镇前自建的药品中，乡镇目录里还没有同医保编码药品的；" + TODO,
        columns=(Column("national_code", "医保药品编码"), Column("generic_name", "通用名"), Column("strength", "规格"),
                 Column("maker", "生产企业"), Column("on_hand_units", "结存(最小单位)", "int"), Column("reason", "原因")),
        rows=rows,
    )
