"""Township operations 三统 in ``cunyi simulate``, through the real services (``Services.transfers``,
``Services.statements``, ``Services.stock``).

- Township: buys from its 配送企业 (采购入库 with a 随货单号, an invoice number and, for about half of the lines,
  the boxes' trace codes), first what its villages' waiting requisitions need; answers each waiting
  requisition (审核报量, then 出库); receives the lots its villages sent back and now and then sends such a
  near-expiry lot on to another village (调剂); enters the month's 基药补助 and drafts and finalises each
  village's statement of an ended month once that village's month-end mark has arrived.
- Village of a township: counts in what was shipped to it (调拨入库, now and then a box short, with the
  reason); sends a requisition (报量, the suggested quantities) when a drug runs low and none is waiting;
  now and then sends a near-expiry lot back to the township (调剂); marks ended months (``close_months``)
  and acknowledges the township's final statements.

Lists are read in a fixed order (numbers, names, dates; never ids), so the same folder state and the same
random stream give the same operations.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text

from app.domain.errors import CunyiError
from app.services.transfers.types import DistributorForm, PurchaseForm, PurchaseLineForm

Note = Callable[[str], None]

#: 配送企业 a township that has none is given (example companies)
DISTRIBUTORS = (
    DistributorForm("示例市康源医药有限公司", contact="周建华", phone="0371-6592 3381"),
    DistributorForm("华中医药物流示例有限公司", contact="李敏", phone="027-8765 4410"),
)
LOSS_REASONS = ("破损：运输途中药盒压破", "破损：外包装受潮", "短少：到货少一盒")
CASE_PACKS = 10


def _at(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(8, 0)) + timedelta(minutes=min(minutes, 14 * 60 + 59))


def _rows(sv: Any, sql: str, **params: object) -> list:
    with sv.db.read() as s:
        return list(s.execute(text(sql), params))


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def has_township(sv: Any, site_id: str) -> bool:
    """Whether this village belongs to a township (its stock then comes by shipment)."""
    return bool(_rows(sv, "SELECT 1 FROM sites WHERE id = :s AND township_id IS NOT NULL", s=site_id))


# -- the township ----------------------------------------------------------------------------------
def ensure_distributors(sv: Any, note: Note) -> list[str]:
    """The active 配送企业 by name; two example ones are saved for a township that has none."""
    found = sv.transfers.distributors()
    if not found:
        for form in DISTRIBUTORS:
            sv.transfers.save_distributor(form)
        note(f"还没有配送企业：已添加 {len(DISTRIBUTORS)} 家示例配送企业")
        found = sv.transfers.distributors()
    return [d.id for d in sorted(found, key=lambda d: d.name)]


def _trace_codes(rng: random.Random, packs: int) -> tuple[str, ...]:
    return tuple("8" + "".join(str(rng.randrange(10)) for _ in range(19)) for _ in range(packs))


def purchase(sv: Any, day: date, rng: random.Random, lines: list[tuple[Any, int]], counts: Counter, note: Note,
             minutes: int) -> None:
    """One 采购入库 of (drug, packs): each a new lot, about half with a trace code per box."""
    if not lines:
        return
    distributors = ensure_distributors(sv, note)
    forms = []
    for drug, packs in lines:
        months = rng.choice((18, 24, 24, 36))
        expiry = date(day.year + (day.month - 1 + months) // 12, (day.month - 1 + months) % 12 + 1, 1) - timedelta(days=1)
        codes = _trace_codes(rng, packs) if rng.random() < 0.5 else ()
        forms.append(PurchaseLineForm(drug.id, f"{day:%y%m%d}{rng.randrange(10, 100)}", expiry,
                                      packs * drug.units_per_pack, drug.price_fen, codes))
    distributor = rng.choice(distributors)
    number = f"PS{day:%Y%m%d}{rng.randrange(1000, 10000)}"
    invoice = f"{day:%y}{rng.randrange(10**17, 10**18)}"
    try:
        sv.transfers.receive_purchase(PurchaseForm(distributor, number, invoice, forms), at=_at(day, minutes))
    except CunyiError:  # a note or a code this folder already holds (a day simulated again): without codes
        forms = [PurchaseLineForm(f.drug_id, f.batch_no, f.expiry, f.quantity, f.pack_price_fen) for f in forms]
        try:
            sv.transfers.receive_purchase(PurchaseForm(distributor, number + "-1", invoice, forms), at=_at(day, minutes))
        except CunyiError as exc:
            note(f"{day.isoformat()} 采购入库未成：{exc.message}")
            return
    counts["purchases"] += 1
    counts["purchase_lines"] += len(forms)


def requisitions_needs(sv: Any, catalog: list) -> list[tuple[Any, int]]:
    """(drug, packs) the township must buy to answer its villages' waiting requisitions in full."""
    by_id = {d.id: d for d in catalog}
    need: Counter = Counter()
    have: dict[str, int] = {}
    for info in sorted(sv.transfers.requisitions(status="waiting"), key=lambda r: (r.requisition_no, r.site_name)):
        for line in sv.transfers.requisition(info.id).lines:
            need[line.drug_id] += line.requested_units
            have[line.drug_id] = line.township_on_hand_units
    out = []
    for drug_id in sorted(need, key=lambda d: by_id[d].name if d in by_id else d):
        drug = by_id.get(drug_id)
        short = need[drug_id] - have.get(drug_id, 0)
        if drug is not None and short > 0:
            out.append((drug, math.ceil(short / drug.units_per_pack / CASE_PACKS) * CASE_PACKS))
    return out


def answer_requisitions(sv: Any, day: date, counts: Counter, note: Note, minutes: int) -> None:
    """审核报量 (each line approved as asked, or what the store holds) and 出库 of each waiting requisition."""
    for info in sorted(sv.transfers.requisitions(status="waiting"), key=lambda r: (r.requisition_no, r.site_name)):
        detail = sv.transfers.requisition(info.id)
        approved = {}
        for line in detail.lines:
            upp = max(line.units_per_pack, 1)
            approved[line.id] = min(line.requested_units, line.township_on_hand_units // upp * upp)
        try:
            shipment_id = sv.transfers.review_requisition(info.id, approved, at=_at(day, minutes))
            counts["requisitions_reviewed"] += 1
            if not any(approved.values()):  # nothing of it in the store: the draft is given up
                sv.transfers.cancel_shipment(shipment_id, "乡镇药库暂无库存")
                continue
            sv.transfers.ship(shipment_id, at=_at(day, minutes + 20))
        except CunyiError as exc:
            note(f"{day.isoformat()} 报量 {info.requisition_no} 未出库：{exc.message}")
            continue
        counts["shipments"] += 1
        minutes += 25


def returns_and_redistribution(sv: Any, site_id: str, day: date, rng: random.Random, counts: Counter, note: Note,
                               minutes: int) -> None:
    """The villages' returns received into the township store; now and then one sent on to another village."""
    villages = [r[0] for r in _rows(sv, "SELECT id FROM sites WHERE kind = 'village' AND township_id = :t ORDER BY code",
                                    t=site_id)]
    for info in sorted(sv.transfers.returns(status="waiting"), key=lambda r: (r.returned_at, r.site_name, r.return_no)):
        try:
            sv.transfers.receive_return(info.id, at=_at(day, minutes))
        except CunyiError as exc:
            note(f"{day.isoformat()} 退回 {info.return_no} 未入库：{exc.message}")
            continue
        counts["returns_received"] += 1
        others = [v for v in villages if v != info.site_id]
        if others and info.expiry > day + timedelta(days=30) and rng.random() < 0.5:
            try:
                shipment_id = sv.transfers.draft_shipment(rng.choice(others), [(info.drug_id, info.quantity)],
                                                          note="近效期调剂", kind="redistribution",
                                                          at=_at(day, minutes + 10))
                sv.transfers.ship(shipment_id, at=_at(day, minutes + 30))
                counts["redistributions"] += 1
            except CunyiError as exc:
                note(f"{day.isoformat()} 调剂未出库：{exc.message}")


def statements_due(sv: Any, day: date, rng: random.Random, counts: Counter, note: Note, minutes: int) -> None:
    """Each village's ended months whose month-end mark has arrived and whose statement is not final yet:
    the 基药补助 entered if missing, the statement drafted and finalised (oldest month first)."""
    due = _rows(sv, "SELECT c.site_id, c.month FROM month_closes c JOIN sites v ON v.id = c.site_id "
                    "LEFT JOIN statements s ON s.site_id = c.site_id AND s.month = c.month "
                    "WHERE c.month < :m AND (s.id IS NULL OR s.status = 'draft') ORDER BY c.month, v.code",
                m=_month(day))
    for site_id, month in due:
        try:
            if not _rows(sv, "SELECT 1 FROM essential_drug_subsidies WHERE site_id = :s AND month = :m",
                         s=site_id, m=month):
                sv.statements.set_subsidy(site_id, month, int(round(rng.uniform(1800, 3600), -2)) * 100,
                                          "基本药物制度补助（按月）")
                counts["subsidies"] += 1
            info = sv.statements.draft(site_id, month, at=_at(day, minutes))
            sv.statements.finalise(info.id, at=_at(day, minutes + 5))
        except CunyiError as exc:
            note(f"{day.isoformat()} {month} 统一结算单未定稿：{exc.message}")
            continue
        counts["statements"] += 1


def township_operations(sv: Any, site_id: str, day: date, rng: random.Random, catalog: list, counts: Counter,
                        note: Note) -> None:
    """The township pharmacist's day of 三统 (after the catalog edits of ``township_day``)."""
    needs = requisitions_needs(sv, catalog)
    if rng.random() < 0.6 or needs:
        picks = rng.sample(catalog, min(len(catalog), rng.randint(3, 8)))
        wanted = {d.id for d, _ in needs}
        lines = needs + [(d, rng.randint(10, 40)) for d in picks if d.id not in wanted]
        purchase(sv, day, rng, lines, counts, note, 60)
    answer_requisitions(sv, day, counts, note, 120)
    returns_and_redistribution(sv, site_id, day, rng, counts, note, 240)
    statements_due(sv, day, rng, counts, note, 300)


# -- a village of a township -----------------------------------------------------------------------
def receive_incoming(sv: Any, day: date, rng: random.Random, counts: Counter, note: Note, minutes: int) -> None:
    """调拨入库 of every shipment on its way here; now and then one box of a line is missing."""
    for info in sorted(sv.transfers.incoming(), key=lambda s: (s.shipped_at or s.drafted_at, s.shipment_no)):
        counted, reasons = {}, {}
        if rng.random() < 0.08:
            lines = [ln for ln in sv.transfers.shipment(info.id).lines if ln.quantity >= 2 * ln.units_per_pack]
            if lines:
                line = rng.choice(lines)
                counted[line.id] = line.quantity - line.units_per_pack
                reasons[line.id] = rng.choice(LOSS_REASONS)
        try:
            done = sv.transfers.receive_shipment(info.id, counted, reasons=reasons, at=_at(day, minutes))
        except CunyiError as exc:
            note(f"{day.isoformat()} 调拨单 {info.shipment_no} 未收货：{exc.message}")
            continue
        counts["transfer_receipts"] += 1
        counts["transfer_shortfalls"] += bool(done.lost_units)


def requisition_if_low(sv: Any, site_id: str, day: date, rng: random.Random, counts: Counter, note: Note,
                       minutes: int) -> None:
    """报量 of the suggested quantities when none is waiting and a drug has run low or the last one is a
    month old (the monthly 报量)."""
    mine = sv.transfers.requisitions(site_id=site_id)
    if any(r.status == "waiting" for r in mine):
        return
    last = max((r.requested_at.date() for r in mine if r.status != "cancelled"), default=None)
    suggested = sorted(sv.transfers.suggest_requisition(1, today=day), key=lambda s: (s.generic_name, s.strength))
    lines = [(s.drug_id, s.suggested_units) for s in suggested if s.suggested_units > 0]
    low = [s for s in suggested if s.monthly_use_units and s.on_hand_units + s.in_transit_units < s.monthly_use_units / 3]
    monthly = last is None or (day - last).days >= 25
    if not lines or not (low or monthly or rng.random() < 0.05):
        return
    try:
        sv.transfers.create_requisition(lines, target_months=1, at=_at(day, minutes))
    except CunyiError as exc:
        note(f"{day.isoformat()} 报量未成：{exc.message}")
        return
    counts["requisitions"] += 1
    counts["requisition_lines"] += len(lines)


def return_near_expiry(sv: Any, store_id: str, day: date, rng: random.Random, counts: Counter, minutes: int) -> None:
    """Now and then a lot within 60 days of expiry goes back to the township (调剂)."""
    if rng.random() >= 0.1:
        return
    lots = _rows(sv, "SELECT id, on_hand FROM batches WHERE store_id = :s AND on_hand > 0 AND expiry > :d "
                     "AND expiry <= :e ORDER BY expiry, batch_no", s=store_id, d=day.isoformat(),
                 e=(day + timedelta(days=60)).isoformat())
    if lots:
        batch_id, on_hand = lots[0]
        sv.stock.return_to_township(batch_id, int(on_hand), "近效期调剂，退回乡镇", at=_at(day, minutes))
        counts["returns"] += 1


def acknowledge_statements(sv: Any, site_id: str, day: date, counts: Counter, minutes: int) -> None:
    for info in sorted(sv.statements.statements(site_id=site_id), key=lambda s: s.month):
        if info.status == "final":
            sv.statements.acknowledge(info.id, "已核对，无异议", at=_at(day, minutes))
            counts["statements_acknowledged"] += 1


def village_morning(sv: Any, site_id: str, day: date, rng: random.Random, counts: Counter, note: Note) -> None:
    """Before the clinic opens: the month-end marks, the shipments that arrived, the statements to confirm."""
    closed = sv.statements.close_months(today=day)
    counts["month_closes"] += len(closed)
    receive_incoming(sv, day, rng, counts, note, 0)
    acknowledge_statements(sv, site_id, day, counts, 10)


def village_evening(sv: Any, site_id: str, store_id: str, day: date, rng: random.Random, counts: Counter,
                    note: Note, minutes: int) -> None:
    """After the clinic: a requisition if stock runs low, now and then a near-expiry lot sent back."""
    requisition_if_low(sv, site_id, day, rng, counts, note, minutes)
    return_near_expiry(sv, store_id, day, rng, counts, minutes + 10)
