"""One village clinic's history, day by day: shipments in, visits and settlements, reversals,
write-offs and stocktakes — written as bulk rows that obey the same rules as the services.

Every settlement split comes from the policy engine (``app.domain.policy.settle``) with the
resident's cover and the year-to-date figures of the history so far; prices are the catalog price
of the day (before a drug's 集采 round, the old higher price); dispensing is FEFO and never from an
expired batch; a reversal puts the stock back into the same batches and gives the year-to-date
figures back. Only the local site's actions get audit rows (audit_log never leaves a site).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from app.domain.money import round_half_up_div
from app.domain.policy import Case, Line, Policy, ResidentCover, YearToDate, settle
from app.services.demo.catalog import (
    ACUTE,
    ADD_ONS,
    CHRONIC,
    CHRONIC_DIAGNOSIS,
    DIAGNOSIS_WEIGHTS,
    DemoDrug,
    diagnoses,
    lot,
    quantity_units,
    usage_for,
)
from app.services.demo.ledger import StoreLedger
from app.services.demo.people import Person
from app.services.demo.rows import day_text, dt_text
from app.services.demo.transfers import ShipLine, VillageTransfers, month_of
from app.services.demo.village_ops import VillageOps, is_workday

SEASON = (1.25, 1.2, 1.1, 1.0, 0.9, 0.85, 0.9, 0.9, 0.95, 1.0, 1.1, 1.2)


@dataclass
class DemoContext:
    """What every village of one demo build shares."""

    ids: Callable[[], str]
    today: date
    until: datetime  # the build time: the history stops there
    drugs: list[DemoDrug]
    by_name: dict[str, DemoDrug]
    policies: dict[int, Policy]
    local_site_id: str
    add: dict[str, Callable[[tuple], None]]
    maybe_flush: Callable[[], None]
    trace_from: date
    print_receipts: bool
    township: tuple[str, str, str, str] = ("", "", "", "")  # site id, store id, pharmacist's user id and name
    shipments: list[tuple] = field(default_factory=list)
    regimen_pool: dict[str, list[int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class VillagePlan:
    index: int
    site_id: str
    store_id: str
    name: str
    doctor_id: str
    doctor_name: str
    visits_per_workday: float
    people: list[Person]
    members: dict[str, list[Person]]  # household id → members (for proxy pickup 委托代购)
    start: date
    stocktake_days: tuple[date, ...] = ()
    category_stocktake: tuple[date, str] | None = None


class VillageSim(VillageOps, VillageTransfers):
    """Generates one village's history from ``plan.start`` to ``ctx.today``."""

    def __init__(self, ctx: DemoContext, plan: VillagePlan, seed: str) -> None:
        self.ctx, self.plan = ctx, plan
        self.rng = random.Random(seed)
        self.local = plan.site_id == ctx.local_site_id
        self.ledger = StoreLedger(ctx.ids, plan.store_id, plan.site_id, [d.id for d in ctx.drugs],
                                  ctx.add["stock_movements"], ctx.add["trace_code_events"])
        self.used = [0] * len(ctx.drugs)
        self.ytd: dict[str, list] = {}
        self.covers: dict[tuple[str, int], ResidentCover] = {}
        self.numbers: dict[tuple[str, date], int] = {}
        self.pending: list[tuple[datetime, tuple]] = []
        self.code_no = 0
        self.due: dict[date, list[tuple[Person, str]]] = {}
        self.diag_names = diagnoses()
        people = plan.people
        weights = [self._visit_weight(p) for p in people]
        self.cum, total = [], 0.0
        for w in weights:
            total += w
            self.cum.append(total)
        for p in people:
            for code in p.conditions:
                first = plan.start + timedelta(days=self.rng.randrange(30))
                self.due.setdefault(first, []).append((p, code))
        chronic_per_workday = sum(len(p.conditions) for p in people) * 12.2 / 250
        self.acute_rate = max(1.5, plan.visits_per_workday - chronic_per_workday)
        self.expected = self._estimate_monthly_use()
        used = [d for d in ctx.drugs if self.expected[d.index] > 0]
        self.rng.shuffle(used)
        # drugs left to run low: four of the busiest, so they are sure to fall under their minimum
        busy = sorted(used, key=lambda d: -self.expected[d.index])[:max(4, len(used) // 4)]
        self.low_stock = {d.index for d in self.rng.sample(busy, 4)}
        used = [d for d in used if d.index not in self.low_stock] + [d for d in used if d.index in self.low_stock]
        slow = sorted(used[:-4], key=lambda d: self.expected[d.index])
        self.expired_lots = [d.index for d in slow[:2]]
        self.near_lots = [d.index for d in used[6:9]]
        self.ship_day = 2 + plan.index % 5  # the day of the month this village's shipment is due
        self.expired_done = self.near_done = False  # the end-of-history lots were shipped
        self.transfers_init()

    # -- who comes ------------------------------------------------------------------------------
    def _visit_weight(self, p: Person) -> float:
        age = self.ctx.today.year - p.birth.year
        return 2.0 if age < 7 else 1.0 if age < 15 else 0.6 if age < 45 else 1.0 if age < 60 else 1.6 if age < 75 else 1.8

    def _acute_lines(self, p: Person, day: date) -> tuple[str, list[tuple[DemoDrug, int, str]]]:
        age = day.year - p.birth.year
        group = "kid" if age < 15 else "adult" if age < 60 else "old"
        table = DIAGNOSIS_WEIGHTS[group]
        code = self.rng.choices(list(table), weights=list(table.values()))[0]
        if code == "N40" and p.sex == "F":
            code = "M17.9"
        option = self.rng.choice(ACUTE[code])
        lines = []
        for name, spec in option:
            drug = self.ctx.by_name[name]
            lines.append((drug, quantity_units(drug, spec), usage_for(name, 0, drug.base_unit)))
        return code, lines

    def _chronic_lines(self, p: Person, code: str) -> tuple[list[tuple[DemoDrug, int, str]], int]:
        _, regimen = CHRONIC[code][self.ctx.regimen_pool[code][p.conditions[code]]]
        items = list(regimen)
        if code == next(iter(p.conditions)):
            items += [ADD_ONS[i] for i in p.add_ons]
        lines, days = [], 60
        for name, per_day, usage in items[:4]:
            drug = self.ctx.by_name[name]
            packs = max(1, math.ceil(30 * per_day / drug.units_per_pack))
            units = packs * drug.units_per_pack
            days = min(days, units // per_day)
            lines.append((drug, units, usage_for(name, per_day, drug.base_unit, usage)))
        return lines, max(14, days)

    def _estimate_monthly_use(self) -> list[float]:
        """Units per drug a month: the chronic regimens plus a sample of acute prescriptions."""
        use = [0.0] * len(self.ctx.drugs)
        for p in self.plan.people:
            for code in p.conditions:
                lines, days = self._chronic_lines(p, code)
                for drug, units, _ in lines:
                    use[drug.index] += units * 30 / days
        sample = 400
        people = self.plan.people
        for _ in range(sample):
            p = self.rng.choices(people, cum_weights=self.cum)[0]
            for drug, units, _ in self._acute_lines(p, self.ctx.today)[1]:
                use[drug.index] += units * self.acute_rate * 26 / sample
        return use

    # -- the day loop ---------------------------------------------------------------------------
    def run(self) -> None:
        ctx, plan = self.ctx, self.plan
        day = plan.start
        if day.day == 1:
            self.month_start(day)  # 07:05, before the opening stock arrives at 07:10
        self.shipment(day)
        shipped = (day.year, day.month) if day.day >= self.ship_day else None
        while day <= ctx.today:
            if day.day == 1 and day != plan.start:
                self.closes[month_of(day - timedelta(days=1))] = self.ops_so_far()
                self.month_start(day)
            month = (day.year, day.month)
            if month != shipped and day.day >= self.ship_day and is_workday(day):
                shipped = month
                self.shipment(day)
            self.clinic_day(day)
            if day == ctx.today - timedelta(days=1) and plan.index % 2 == 1:
                self.return_near_expiry(day)
            if day in plan.stocktake_days:
                self.stocktake(day)
            if plan.category_stocktake and day == plan.category_stocktake[0]:
                self.stocktake(day, "category", plan.category_stocktake[1])
            ctx.maybe_flush()
            day += timedelta(days=1)
        self.in_transit()
        self.statements()

    def clinic_day(self, day: date) -> None:
        rng = self.rng
        work = is_workday(day)
        visits: list[tuple[int, Person, str | None]] = []
        for p, code in self.due.pop(day, ()):
            if not work and rng.random() < 0.5:
                self.due.setdefault(day + timedelta(days=1), []).append((p, code))
                continue
            visits.append((self._minute(), p, code))
        mu = self.acute_rate * SEASON[day.month - 1] * (1.0 if work else 0.3)
        for _ in range(max(0, round(rng.gauss(mu, math.sqrt(mu))))):
            p = rng.choices(self.plan.people, cum_weights=self.cum)[0]
            if p.birth < day:
                visits.append((self._minute(), p, None))
        visits.sort(key=lambda v: v[0])
        midnight = datetime(day.year, day.month, day.day)
        for second, p, code in visits:
            at = midnight + timedelta(seconds=second)
            if at + timedelta(minutes=10) > self.ctx.until:
                break  # later today: not happened yet
            self._run_reversals(at)
            self.visit(day, at, p, code)
        self._run_reversals(None)

    def _minute(self) -> int:
        """A time of day in seconds: mornings are busier."""
        if self.rng.random() < 0.65:
            return 27000 + self.rng.randrange(14400)  # 07:30–11:30
        return 50400 + self.rng.randrange(14400)  # 14:00–18:00

    # -- one visit ------------------------------------------------------------------------------
    def visit(self, day: date, at: datetime, p: Person, code: str | None) -> None:
        ctx, rng, plan = self.ctx, self.rng, self.plan
        policy = ctx.policies[day.year]
        agent = ("", "")
        if code is not None:
            lines, days = self._chronic_lines(p, code)
            diagnosis, diagnosis_code = CHRONIC_DIAGNOSIS[code]
            valid = p.qualifications.get(code)
            pool = code if code in policy.chronic and valid and valid[0] <= day <= valid[1] else None
            self.due.setdefault(day + timedelta(days=max(14, days - rng.randrange(5))), []).append((p, code))
            if rng.random() < 0.04:
                others = [m for m in plan.members[p.household_id] if m is not p and day.year - m.birth.year >= 18]
                if others:
                    helper = rng.choice(others)
                    agent = (helper.name, helper.id_number)
        else:
            diagnosis_code, lines = self._acute_lines(p, day)
            diagnosis = self.diag_names.get(diagnosis_code, "")
            pool = None
        ledger = self.ledger
        planned = []
        for drug, units, usage in lines:
            plan_ = ledger.fefo(drug.index, units, day)
            if plan_ is not None:
                planned.append((drug, units, usage, plan_))
        if not planned:
            return  # nothing in stock: the patient goes to the township instead
        general_fee = rng.random() < (0.85 if code else 0.95)
        visit_id = ctx.ids()
        stamp = dt_text(at)
        ctx.add["visits"]((visit_id, plan.site_id, stamp, stamp, 1, plan.site_id, p.id, day_text(day), stamp, diagnosis,
                           diagnosis_code, pool, int(general_fee), plan.doctor_id, agent[0], agent[1]))
        engine_lines = []
        dispensed = []
        for no, (drug, units, usage, fefo) in enumerate(planned, 1):
            amount = round_half_up_div(units * drug.price_on(day), drug.units_per_pack)
            ctx.add["prescription_lines"]((ctx.ids(), plan.site_id, stamp, stamp, 1, visit_id, no, drug.id, units, amount,
                                          drug.coverage_class, drug.class_b_self_bp, usage))
            engine_lines.append(Line(amount, drug.coverage_class, drug.class_b_self_bp))
            packs_left = units // drug.units_per_pack
            for batch, qty in fefo:
                mid = ledger.move(batch, -qty, at, "dispense", "visit", visit_id, plan.doctor_id)
                dispensed.append((batch, qty, mid))
                take = min(packs_left, qty // drug.units_per_pack, len(batch.codes))
                for _ in range(take):
                    code = batch.codes.pop()
                    batch.sold.append((code, at, visit_id))
                    ledger.code_event(code, "sold", batch, at, "visit", visit_id)
                packs_left -= take
            self.used[drug.index] += units
        year = day.year
        ytd = self.ytd.get(p.id)
        if ytd is None or ytd[0] != year:
            ytd = self.ytd[p.id] = [year, 0, 0, 0, {}]
        cover = self._cover(p, year, policy)
        case = Case(visit_date=day, kind="chronic" if pool else "outpatient", chronic_code=pool,
                    general_fee=general_fee, resident=cover,
                    year_to_date=YearToDate(ytd[1], ytd[2], ytd[4].get(pool, 0) if pool else 0, ytd[3]),
                    lines=tuple(engine_lines))
        split = settle(policy, case)
        self._apply_ytd(ytd, split, pool, 1)
        settled_at = at + timedelta(minutes=rng.randint(2, 6))
        receipt_no = self._number(day, "")
        settlement_id = ctx.ids()
        sstamp = dt_text(settled_at)
        fee = policy.general_fee.amount_fen if general_fee else 0
        ctx.add["settlements"]((
            settlement_id, plan.site_id, sstamp, sstamp, 1, visit_id, p.id, plan.site_id, receipt_no, sstamp, year,
            pool or "general", split.total_fen, split.fund_fen, split.general_fee_fund_fen, split.assistance_fen,
            split.self_paid_fen, split.self_funded_fen, fee, split.b_pre_self_fen, split.deductible_fen,
            int(split.eligible), day_text(split.waiting_until) if split.waiting_until else None, split.reason[:128],
            plan.doctor_id, policy.version,
        ))
        if self.local:
            self.audit(settled_at, "settlement.create", "settlements", settlement_id, receipt_no=receipt_no,
                       resident_id=p.id, total_fen=split.total_fen, fund_fen=split.fund_total_fen)
        if ctx.print_receipts:
            self.print_receipt(settlement_id, None, settled_at, rng.random() < 0.01)
        when = settled_at + timedelta(minutes=rng.randint(5, 90))
        if rng.random() < 0.004 and when.hour < 18:  # reversed the same day, before any evening stocktake
            self.pending.append((when, (visit_id, settlement_id, receipt_no, dispensed, ytd, split, pool, p)))
        ctx.counts["visits"] = ctx.counts.get("visits", 0) + 1
        self.visits_done += 1
        self.fund[month_of(settled_at)] += split.fund_fen + split.general_fee_fund_fen

    def _cover(self, p: Person, year: int, policy: Policy) -> ResidentCover:
        key = (p.id, year)
        cover = self.covers.get(key)
        if cover is None:
            this = p.enrollments.get(year)
            cover = ResidentCover(
                covered_years=p.covered, enrolled_on=this[0] if this else None, central_period=this[1] if this else False,
                newborn=this[3] if this else False, repaid_years=this[2] if this else 0,
                assistance=p.assistance if p.assistance in policy.assistance else None,
            )
            self.covers[key] = cover
        return cover

    @staticmethod
    def _apply_ytd(ytd: list, split, pool: str | None, sign: int) -> None:  # noqa: ANN001
        ytd[1] += sign * split.deductible_fen
        if pool:
            ytd[4][pool] = ytd[4].get(pool, 0) + sign * split.fund_fen
        else:
            ytd[2] += sign * split.fund_fen
        ytd[3] += sign * split.assistance_fen

    def _number(self, day: date, prefix: str) -> str:
        key = (prefix, day)
        n = self.numbers[key] = self.numbers.get(key, 0) + 1
        return f"{prefix}{day:%Y%m%d}-{n:04d}"

    # -- shipments in -------------------------------------------------------------------------
    def shipment(self, day: date) -> None:
        """The township's monthly shipment (most of them answering the village's requisition) arrives and is
        counted in before the clinic opens (调拨入库)."""
        ctx, rng, ledger = self.ctx, self.rng, self.ledger
        at = datetime(day.year, day.month, day.day, 7, 10, self.plan.index % 60)  # before the clinic opens
        if at > ctx.until:
            return
        final = (ctx.today - day).days
        lines = []
        for drug in ctx.drugs:
            i = drug.index
            if i in self.low_stock and final < 80:  # left to run under its minimum
                continue
            estimate = max(self.expected[i] * 0.8, self.used[i])
            need = estimate * 1.6 + drug.min_stock_units - ledger.usable(i, day + timedelta(days=45))
            if need > 0:
                packs = math.ceil(need / drug.units_per_pack)
                lines.append(ShipLine(drug, *lot(drug, day.year, day.month), packs))
        if final <= 95 and not self.expired_done:
            self.expired_done = True
            for i in self.expired_lots:
                drug = ctx.drugs[i]
                expiry = ctx.today - timedelta(days=rng.randint(2, 9))
                days = max(1, (expiry - day).days)
                # more than can be sold before it expires (it is first out), so some is left on the shelf
                packs = 3 + math.ceil(self.expected[i] * days / 30 * 3 / drug.units_per_pack)
                lines.append(ShipLine(drug, lot(drug, day.year, day.month, "S")[0], expiry, packs, True, False))
        if final <= 35 and not self.near_done:
            self.near_done = True
            for i in self.near_lots:
                drug = ctx.drugs[i]
                expiry = ctx.today + timedelta(days=rng.randint(30, 170))
                packs = 2 + math.ceil(self.expected[i] * 2 / drug.units_per_pack)  # outlasts the month
                lines.append(ShipLine(drug, lot(drug, day.year, day.month, "N")[0], expiry, packs, False, False))
        shipped = at - timedelta(days=1) + timedelta(hours=7, minutes=20)  # 14:30 the day before
        asked = shipped - timedelta(days=1) + timedelta(hours=2)  # 16:30 the day before that
        if lines:
            self.deliver(lines, shipped, at, requisition_at=asked if self.trng.random() < 0.85 else None,
                         coded_from_rng=True)
        self.used = [0] * len(ctx.drugs)
