"""村室药品一览: the township's view of every village's stock, usage and near-expiry drugs.

Everything is read from the township's own copy of its villages' rows (sync brings them), so the page
opens without a network call. The figures of all villages come from a handful of grouped queries over
the lots with stock (index ``ix_batches_stocked``) and the last 90 days of dispensing (index
``ix_stock_movements_store_kind_time``), not from one query per village and drug; the rules are the stock
list's and the 工作台's (``app.services.stock.queries`` / ``alerts``): the same lot value, the same
near-expiry window, the same net use. ``VillageFigures`` documents each figure.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from math import lcm
from typing import Any

from sqlalchemy import (
    DateTime,
    TextClause,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession

from app.db.models import (
    Drug,
    PeerSyncStatus,
    Requisition,
    Shipment,
    Site,
    Store,
    StoreDrugSettings,
    TransferReceipt,
)
from app.db.uow import Database, now
from app.domain.enums import MovementKind, SiteKind
from app.domain.errors import ForeignRecordError, ValidationError
from app.domain.money import round_half_up_div
from app.services.core.context import Session, requires
from app.services.stock import queries as q
from app.services.stock.service import StockService
from app.services.transfers.overview_types import (
    UsagePoint,
    VillageFigures,
    VillageInfo,
)

#: days of dispensing behind stock-outs and days of stock (the low-stock alert's window)
USAGE_DAYS = q.AlertWindows.usage_days
_DISPENSE, _REVERSAL = MovementKind.DISPENSE.value, MovementKind.REVERSAL.value


class OverviewService:
    """Per-village figures of a township, and the drill-down to one village's stock."""

    def __init__(self, db: Database, session: Session) -> None:
        self.db = db
        self.session = session

    # -- helpers ---------------------------------------------------------------------------------
    def _windows(self) -> q.AlertWindows:
        return StockService(self.db, self.session).windows()

    def _villages(self, s: OrmSession) -> list[VillageInfo]:
        """This township's villages by name, each with its store."""
        township = self.db.local_site_id
        sites = s.execute(select(Site.id, Site.name).where(
            Site.township_id == township, Site.kind == SiteKind.VILLAGE.value).order_by(Site.name, Site.id)).all()
        ids = [row.id for row in sites]
        stores: dict[str, str] = {}
        if ids:
            for site_id, store_id in s.execute(select(Store.site_id, Store.id).where(Store.site_id.in_(ids))
                                               .order_by(Store.id)):
                stores.setdefault(site_id, store_id)
        return [VillageInfo(row.id, row.name, stores.get(row.id)) for row in sites]

    def _village(self, s: OrmSession, site_id: str) -> VillageInfo:
        """One village of this township, or a refusal naming it."""
        if not site_id:
            raise ValidationError("村卫生室：请选择一个村卫生室", "村卫生室")
        for village in self._villages(s):
            if village.site_id == site_id:
                if village.store_id is None:
                    raise ValidationError(f"村卫生室：{village.name}的药房数据尚未同步到本站", "村卫生室")
                return village
        site = s.get(Site, site_id)
        if site is None:
            raise ValidationError(f"村卫生室：找不到编号为 {site_id} 的机构", "村卫生室")
        raise ForeignRecordError(f"村卫生室：{site.name}不是本乡镇卫生院所辖的村卫生室，不能查看它的药品", "村卫生室")

    # -- the overview ----------------------------------------------------------------------------
    @requires("overview.read")
    def village_list(self) -> list[VillageInfo]:
        """The villages of this township (id, name, store), by name."""
        with self.db.read() as s:
            return self._villages(s)

    @requires("overview.read")
    def villages(self, *, today: date | None = None) -> list[VillageFigures]:
        """村室药品一览: one row of figures per village of this township, by name (see ``VillageFigures``)."""
        today = today or now().date()
        windows = self._windows()
        with self.db.read() as s:
            villages = self._villages(s)
            return village_figures(s, villages, today=today, windows=windows)

    # -- drill-down ------------------------------------------------------------------------------
    @requires("overview.read")
    def village_stock(self, site_id: str, *, search: str = "", alert: str | None = None,
                      today: date | None = None) -> list[q.OnHandRow]:
        """One village's 药品库存 (the stock list's rows: per drug on hand, value, nearest expiry, alerts);
        ``alert`` as the stock list's (near_expiry / urgent / expired / low / no_code)."""
        windows = self._windows()
        with self.db.read() as s:
            village = self._village(s, site_id)
            return q.on_hand_rows(s, village.store_id, today=today or now().date(), windows=windows,
                                  search=search, alert=alert)

    @requires("overview.read")
    def village_card_page(self, site_id: str, drug_id: str, offset: int | None = None, limit: int = 200, *,
                          newest_first: bool = True) -> q.CardPage:
        """One page of a drug's 库存台账 at a village, newest first by default.

        ``offset`` is where the page starts: None for the first page, then the ``next_after_seq`` of the
        page before (the card is keyset-paged on the store's ledger seq, so page 1,000 is as quick as page 1).
        """
        if offset is not None and (isinstance(offset, bool) or not isinstance(offset, int) or offset < 0):
            raise ValidationError("台账翻页位置应为非负整数", "翻页位置")
        with self.db.read() as s:
            village = self._village(s, site_id)
            return q.stock_card_page(s, village.store_id, drug_id, after_seq=offset, limit=limit,
                                     newest_first=newest_first)

    @requires("overview.read")
    def monthly_usage(self, *, months: int = 12, site_id: str | None = None, drug_id: str | None = None,
                      per: str = "both", today: date | None = None) -> list[UsagePoint]:
        """Net units dispensed and their value per month, for the charts: the last ``months`` calendar
        months up to today's, of one village or all, one drug or all.

        ``per``: "both" (a point per month, village and drug), "site" (summed over drugs: ``drug_id``
        None) or "drug" (summed over villages: ``site_id`` None). Months without use have no point.
        """
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
            raise ValidationError("月数应在 1–120 之间", "月数")
        if per not in ("both", "site", "drug"):
            raise ValidationError("汇总方式应为 both、site 或 drug", "汇总方式")
        today = today or now().date()
        first = _month_start(today, months - 1)
        with self.db.read() as s:
            villages = [self._village(s, site_id)] if site_id else self._villages(s)
            by_store = {v.store_id: v.site_id for v in villages if v.store_id}
            return usage_points(s, by_store, datetime.combine(first, datetime.min.time()), drug_id, per)


def _month_start(day: date, back: int) -> date:
    """The first day of the month ``back`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def village_figures(s: OrmSession, villages: list[VillageInfo], *, today: date,
                    windows: q.AlertWindows) -> list[VillageFigures]:
    """The figures of ``villages`` (see ``VillageFigures``) in a handful of grouped queries."""
    stores = {v.store_id: v.site_id for v in villages if v.store_id}
    store_ids = list(stores)
    site_ids = [v.site_id for v in villages]
    prices: dict[str, tuple[int, int, bool]] = {}  # drug → (price per pack, units per pack, active)
    for d_id, price, upp, active in s.execute(select(Drug.id, Drug.price_fen, Drug.units_per_pack, Drug.active)):
        prices[d_id] = (int(price or 0), max(int(upp or 1), 1), bool(active))

    value: dict[str, int] = defaultdict(int)
    kinds: dict[str, int] = defaultdict(int)
    vbp: dict[str, int] = defaultdict(int)
    near_value: dict[str, int] = defaultdict(int)
    near_kinds: dict[str, int] = defaultdict(int)
    usable: dict[tuple[str, str], int] = defaultdict(int)
    conn = s.connection()  # plain rows: tens of thousands of them, no ORM bookkeeping needed
    if store_ids:
        first_day, last_near = today.isoformat(), (today + timedelta(days=windows.near_days)).isoformat()
        for store, drug_id, is_vbp, worth, usable_units, near_worth in conn.execute(
                _LOTS, {"stores": store_ids, "today": first_day, "near": last_near}):
            value[store] += worth
            kinds[store] += 1
            vbp[store] += 1 if is_vbp else 0
            if usable_units:
                usable[(store, drug_id)] = usable_units
            if near_worth is not None:
                near_value[store] += near_worth
                near_kinds[store] += 1
    since = datetime.combine(today - timedelta(days=USAGE_DAYS), datetime.min.time())
    used = net_use(conn, store_ids, since)
    minimum: dict[str, set[str]] = defaultdict(set)
    if store_ids:
        for store, drug_id in s.execute(select(StoreDrugSettings.store_id, StoreDrugSettings.drug_id).where(
                StoreDrugSettings.store_id.in_(store_ids), StoreDrugSettings.min_stock_units > 0)):
            minimum[store].add(drug_id)
    synced = {}
    waiting: dict[str, int] = {}
    transit: dict[str, int] = {}
    if site_ids:
        synced = dict(s.execute(select(PeerSyncStatus.site_id, PeerSyncStatus.last_sync_at)
                                .where(PeerSyncStatus.site_id.in_(site_ids))).all())
        answered = select(Shipment.id).where(Shipment.requisition_id == Requisition.id, Shipment.status != "cancelled")
        waiting = dict(s.execute(
            select(Requisition.site_id, func.count()).where(
                Requisition.site_id.in_(site_ids), Requisition.status == "submitted", ~answered.exists())
            .group_by(Requisition.site_id)).all())
        received = select(TransferReceipt.id).where(TransferReceipt.shipment_id == Shipment.id)
        transit = dict(s.execute(
            select(Shipment.to_site_id, func.count()).where(
                Shipment.to_site_id.in_(site_ids), Shipment.status == "shipped", ~received.exists())
            .group_by(Shipment.to_site_id)).all())

    out = []
    for v in villages:
        store = v.store_id
        stocked = kinds.get(store, 0)
        vbp_count = vbp.get(store, 0)
        use = used.get(store, {})
        candidates = {d for d, n in use.items() if n > 0} | minimum.get(store, set())
        out_ids = sorted(d for d in candidates if d in prices and prices[d][2] and usable.get((store, d), 0) <= 0)
        out.append(VillageFigures(
            v.site_id, v.name, value.get(store, 0), stocked, vbp_count,
            round_half_up_div(vbp_count * 10000, stocked) if stocked else 0,
            near_value.get(store, 0), near_kinds.get(store, 0), len(out_ids),
            _days_of_stock(store, use, usable, prices), synced.get(v.site_id), int(waiting.get(v.site_id, 0)),
            int(transit.get(v.site_id, 0)), store, tuple(out_ids),
        ))
    return out


def _days_of_stock(store: str | None, use: dict[str, int], usable: dict[tuple[str, str], int],
                   prices: dict[str, tuple[int, int, bool]]) -> int | None:
    """Σ usable × unit price ÷ (Σ used × unit price ÷ USAGE_DAYS) over the drugs used, rounded down
    (see ``VillageFigures``). Exact: the sums are kept per units-per-pack (price per pack × units) and
    put over their least common denominator at the end, so a drug of 7 units a pack weighs what it should."""
    have: dict[int, int] = defaultdict(int)
    need: dict[int, int] = defaultdict(int)
    for drug_id, units in use.items():
        if units <= 0 or drug_id not in prices:
            continue
        price, upp, _active = prices[drug_id]
        have[upp] += usable.get((store, drug_id), 0) * price
        need[upp] += units * price
    common = lcm(*need) if need else 1
    need_total = sum(n * (common // u) for u, n in need.items())
    if need_total <= 0:
        return None
    return sum(h * (common // u) for u, h in have.items()) * USAGE_DAYS // need_total


#: the lots with stock of some stores, per store and drug: value (each lot half-up to the fen, the rule
#: of ``queries.batch_value_fen``), unexpired units, and the value of the unexpired lots that expire within
#: the near-expiry window (NULL when none); ``on_hand > 0`` literally, for the partial index of such lots
_LOTS = text("""
SELECT b.store_id, b.drug_id, d.is_vbp,
       sum((2 * b.on_hand * b.pack_cost_fen + d.units_per_pack) / (2 * d.units_per_pack)),
       sum(CASE WHEN b.expiry >= :today THEN b.on_hand ELSE 0 END),
       sum(CASE WHEN b.expiry >= :today AND b.expiry <= :near
                THEN (2 * b.on_hand * b.pack_cost_fen + d.units_per_pack) / (2 * d.units_per_pack) END)
FROM batches AS b JOIN drugs AS d ON d.id = b.drug_id
WHERE b.store_id IN :stores AND b.on_hand > 0
GROUP BY b.store_id, b.drug_id
""").bindparams(bindparam("stores", expanding=True))


#: the rows of net dispensing of some stores since a time: dispensing rows, and reversals of dispensing
#: rows (dispensing is negative, its reversal positive). Both come from the index on (store, kind, time),
#: named, because sampled statistics can tempt SQLite to walk the stock-card index for the GROUP BY
#: instead: every movement of ten years. The dispensing rows are read from the index alone (it holds drug,
#: quantity and lot); only the few reversals look up their row and their original's kind by key.
_ROWS = """
SELECT {columns} FROM stock_movements AS m INDEXED BY ix_stock_movements_store_kind_time
WHERE m.store_id IN :stores AND m.kind = 'dispense' AND m.occurred_at >= :since{drug}
UNION ALL
SELECT {columns} FROM stock_movements AS m INDEXED BY ix_stock_movements_store_kind_time
WHERE m.store_id IN :stores AND m.kind = 'reversal' AND m.occurred_at >= :since{drug}
  AND EXISTS (SELECT 1 FROM stock_movements AS o WHERE o.id = m.reverses_id AND o.kind = 'dispense')
"""
_NET_USE = ("SELECT store_id, drug_id, sum(quantity) FROM ("
            + _ROWS.format(columns="m.store_id, m.drug_id, m.quantity", drug="")
            + ") GROUP BY store_id, drug_id")
#: per month, store and drug: units, and their value at each lot's cost. Rows are summed per month and lot
#: first (a lot is one store's one drug), so each lot row is read once per month, not once per movement;
#: the month is the text's first seven characters (SQLite keeps a time as 'YYYY-MM-DD HH:MM:SS.ffffff')
_MONTHLY = """
SELECT g.month, b.store_id, b.drug_id, sum(g.units), sum(g.units * b.pack_cost_fen)
FROM (SELECT month, batch_id, sum(quantity) AS units FROM ({rows}) GROUP BY month, batch_id) AS g
JOIN batches AS b ON b.id = g.batch_id
GROUP BY g.month, b.store_id, b.drug_id
"""


def _net_use_sql(*, monthly: bool = False, drug: bool = False) -> TextClause:
    if monthly:
        rows = _ROWS.format(columns="substr(m.occurred_at, 1, 7) AS month, m.batch_id, m.quantity",
                            drug=" AND m.drug_id = :drug" if drug else "")
        sql = _MONTHLY.format(rows=rows)
    else:
        sql = _NET_USE
    return text(sql).bindparams(bindparam("stores", expanding=True), bindparam("since", type_=DateTime))


def net_use(s: OrmSession | Connection, store_ids: list[str], since: datetime) -> dict[str, dict[str, int]]:
    """store → drug → net units dispensed since ``since`` (``queries.used_units`` for many stores at once)."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    if not store_ids:
        return out
    for store, drug_id, total in s.execute(_net_use_sql(), {"stores": store_ids, "since": since}):
        out[store][drug_id] = -int(total or 0)
    return out


def usage_points(s: OrmSession, by_store: dict[str, str], since: datetime, drug_id: str | None,
                 per: str) -> list[UsagePoint]:
    """Monthly net use of the stores ``by_store`` (store → site) since ``since`` (see ``monthly_usage``)."""
    if not by_store:
        return []
    units: dict[tuple[str, str, str], int] = defaultdict(int)
    cost: dict[tuple[str, str, str], int] = defaultdict(int)
    params: dict[str, Any] = {"stores": list(by_store), "since": since}
    if drug_id:
        params["drug"] = drug_id
    for mon, store, d_id, qty, worth in s.execute(_net_use_sql(monthly=True, drug=bool(drug_id)), params):
        key = (mon, by_store[store], d_id)
        units[key] -= int(qty or 0)
        cost[key] -= int(worth or 0)
    upp = dict(s.execute(select(Drug.id, Drug.units_per_pack).where(Drug.id.in_({k[2] for k in units}))).all())
    grouped: dict[tuple[Any, ...], list[int]] = {}
    for key, n in units.items():
        mon, site, d_id = key
        worth = round_half_up_div(cost[key], max(int(upp.get(d_id) or 1), 1))
        if per == "site":
            key = (mon, site, None)
        elif per == "drug":
            key = (mon, None, d_id)
        total = grouped.setdefault(key, [0, 0])
        total[0] += n
        total[1] += worth
    points = [UsagePoint(k[0], k[1], k[2], v[0], v[1]) for k, v in grouped.items() if v[0] or v[1]]
    points.sort(key=lambda p: (p.month, p.site_id or "", p.drug_id or ""))
    return points
