"""One simulated day of a village clinic or a township, through the real services (``cunyi simulate``).

- Village: receives stock when a common drug runs low (and now and then anyway), some lots with trace
  codes; registers a household now and then; sees 3–15 insured residents, each prescribed what the
  demo's doctors prescribe for a diagnosis typical of the patient's age, and settles every visit;
  now and then reverses one of the day's settlements; counts the whole store when the last count is
  30 days old or more, with a small difference on some batches.
- Township: now and then edits catalog entries (基药 flag, minimum stock, a new drug) and changes a
  price or two; then its 三统 day (``app.services.demo.simulate_transfers``): purchases from its 配送企业,
  answers to its villages' requisitions, returns received, statements finalised.
- A village of a township gets its stock by shipment (received each morning) and requisition, not by
  receipts of its own, marks ended months and acknowledges its statements.

What a site lacks is set up first through the services, and said (``note``): the bundled catalog, a
few households of insured residents, the bundled policy. Lists are read in a fixed order (never by
id), so the same folder state and the same random stream give the same operations.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text

from app.domain.errors import CunyiError, PolicyError
from app.paths import resource
from app.services.demo.catalog import ACUTE, DIAGNOSIS_WEIGHTS, diagnoses, usage_for
from app.services.demo import simulate_transfers as st
from app.services.demo.people import PeopleFactory
from app.services.residents.types import EnrollmentRecord, ResidentForm
from app.services.settlement.types import DraftLine, VisitDraft

Note = Callable[[str], None]

#: drugs a township adds to its catalog over time: (通用名, 规格, 剂型, 包装单位, 最小单位, 转换比, 甲乙丙, 进价分, 分类)
NEW_DRUGS = (
    ("复方甘草片", "100片", "片剂", "瓶", "片", 100, "A", 650, "呼吸"),
    ("盐酸左西替利嗪片", "5mg×12片", "片剂", "盒", "片", 12, "B", 1180, "抗过敏"),
    ("硝酸甘油片", "0.5mg×100片", "片剂", "瓶", "片", 100, "A", 1520, "心血管"),
    ("葡萄糖酸钙口服溶液", "10ml×12支", "口服溶液", "盒", "支", 12, "B", 1680, "维生素"),
    ("双歧杆菌三联活菌胶囊", "210mg×24粒", "胶囊", "盒", "粒", 24, "B", 2050, "消化"),
    ("红霉素软膏", "1%×10g", "软膏", "支", "支", 1, "A", 250, "皮肤"),
)
REVERSAL_REASONS = ("患者退药", "收费录入错误", "重复结算", "患者改为自费")


@dataclass(frozen=True)
class SiteFacts:
    site_id: str
    kind: str  # village | township
    name: str
    code: str
    store_id: str
    enrolled: bool


@dataclass(frozen=True)
class DrugRow:
    id: str
    name: str
    units_per_pack: int
    price_fen: int
    base_unit: str
    is_essential: bool


def day_rng(seed: int, site: SiteFacts, day: date) -> random.Random:
    """The day's random stream: the seed, the site (by kind, name and code, the same in any folder) and the day."""
    return random.Random(f"cunyi-simulate|{seed}|{site.kind}|{site.name}|{site.code}|{day.isoformat()}")


def _at(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(8, 0)) + timedelta(minutes=min(minutes, 14 * 60 + 59))


def _rows(sv: Any, sql: str, **params: object) -> list:
    with sv.db.read() as s:
        return list(s.execute(text(sql), params))


def drugs(sv: Any) -> list[DrugRow]:
    """Active catalog drugs in a fixed order (name, strength, code, pack)."""
    return [DrugRow(*r) for r in _rows(sv, "SELECT id, generic_name, units_per_pack, price_fen, base_unit, is_essential "
                                           "FROM drugs WHERE active ORDER BY generic_name, strength, national_code, "
                                           "units_per_pack, price_fen")]


def _stock(sv: Any, site: SiteFacts, day: date) -> Counter:
    """Unexpired base units on hand per drug in this site's store."""
    return Counter({d: int(q) for d, q in _rows(
        sv, "SELECT drug_id, sum(on_hand) FROM batches WHERE store_id = :s AND on_hand > 0 AND expiry >= :d "
            "GROUP BY drug_id", s=site.store_id, d=day.isoformat())})


def _trace_codes(rng: random.Random, packs: int) -> tuple[str, ...]:
    return tuple("8" + "".join(str(rng.randrange(10)) for _ in range(19)) for _ in range(packs))


def receive_lines(sv: Any, day: date, rng: random.Random, lines: list[tuple[DrugRow, int]], counts: Counter,
                  key: str, minutes: int) -> None:
    """One receiving document: each (drug, packs) as a new lot, about half of them with a trace code per box."""
    if not lines:
        return
    counts[key] += 1
    for drug, packs in lines:
        batch_no = f"{day:%y%m%d}{rng.randrange(10, 100)}"
        months = rng.choice((18, 24, 24, 36))
        expiry = date(day.year + (day.month - 1 + months) // 12, (day.month - 1 + months) % 12 + 1, 1) - timedelta(days=1)
        codes = _trace_codes(rng, packs) if rng.random() < 0.5 else ()
        kwargs = {"pack_cost_fen": drug.price_fen, "at": _at(day, minutes)}
        try:
            sv.stock.receive(drug.id, batch_no, expiry, packs * drug.units_per_pack, trace_codes=codes, **kwargs)
        except CunyiError:  # a code this folder already holds (a day simulated again): the lot without codes
            sv.stock.receive(drug.id, batch_no, expiry, packs * drug.units_per_pack, **kwargs)
        counts[f"{key[:-1]}_lines"] += 1


# -- setting up what a site lacks ----------------------------------------------------------------
def ensure_catalog(sv: Any, site: SiteFacts, note: Note, counts: Counter) -> bool:
    """Import the bundled catalog into an empty one (a site that keeps its own); whether there are drugs."""
    if drugs(sv):
        return True
    if site.enrolled and site.kind == "village":
        note("药品目录为空：已加入乡镇的村卫生室的药品目录由乡镇卫生院维护，请先同步；本日不入库、不接诊")
        return False
    result = sv.catalog.import_file(resource("catalog", "drugs.csv"))
    counts["catalog_imported"] += result.created
    note(f"药品目录为空：已导入内置药品目录 {result.created} 种")
    return True


def ensure_policy(sv: Any, site: SiteFacts, note: Note) -> None:
    """A standalone site that never picked a policy file gets the bundled one, said once."""
    if site.enrolled or _rows(sv, "SELECT 1 FROM app_settings WHERE key = 'policy_id'"):
        return
    version = sv.settings.import_policy("")
    note(f"还没有待遇政策：已导入内置演示政策（版本 {version[:12]}）")


def register_household(sv: Any, site: SiteFacts, day: date, rng: random.Random, counts: Counter) -> None:
    """One new household through the 居民档案 service, each member insured for the year if old enough."""
    used = {r[0] for r in _rows(sv, "SELECT id_number FROM residents")}
    factory = PeopleFactory(rng, lambda: "", day, used)
    village = site.name.removesuffix("卫生室") or site.name
    household = factory.household(f"{village}{rng.randint(1, 9)}组{rng.randint(1, 60)}号", [])
    central = date(day.year - 1, 11, 15)
    household_id = None
    for person in household.members:
        enrollments = (EnrollmentRecord(day.year, central, True),) if person.birth < central else ()
        form = ResidentForm(id_number=person.id_number, name=person.name, phone=person.phone, address=household.address,
                            household_id=household_id, relation_to_head=person.relation, enrollments=enrollments)
        try:
            saved = sv.residents.create(form)
        except CunyiError:  # registered at another village already (a shared ID number): leave them out
            continue
        household_id = household_id or saved.resident.household_id
        counts["residents"] += 1
        counts["enrollments"] += len(enrollments)


def _insured(sv: Any, site: SiteFacts, year: int) -> list:
    return _rows(sv, "SELECT r.id, r.birth_date FROM residents r JOIN enrollments e ON e.resident_id = r.id "
                     "AND e.year = :y WHERE r.site_id = :s ORDER BY r.id_number", y=year, s=site.site_id)


def ensure_residents(sv: Any, site: SiteFacts, day: date, rng: random.Random, note: Note, counts: Counter) -> list:
    """This year's insured residents of the site: last year's renew, and a few households are registered if few."""
    insured = _insured(sv, site, day.year)
    if len(insured) < 10:
        have = {i[0] for i in insured}
        renew = [r[0] for r in _insured(sv, site, day.year - 1) if r[0] not in have]
        for resident_id in renew:
            sv.residents.set_enrollment(resident_id, EnrollmentRecord(day.year, date(day.year - 1, 11, 20), True))
            counts["enrollments"] += 1
        if renew:
            note(f"{day.year}年度参保：{len(renew)} 位居民续保")
            insured = _insured(sv, site, day.year)
    if len(insured) < 10:
        before = counts["residents"]
        for _ in range(8):
            register_household(sv, site, day, rng, counts)
        note(f"参保居民不足：已登记 {counts['residents'] - before} 位居民（{day.year}年度参保）")
    return _insured(sv, site, day.year)


# -- a village day -------------------------------------------------------------------------------
def _group(birth: date | str, day: date) -> str:
    age = day.year - date.fromisoformat(str(birth)[:10]).year
    return "kid" if age < 15 else "old" if age >= 60 else "adult"


def _prescription(rng: random.Random, age_group: str, by_name: dict[str, DrugRow], stock: Counter,
                  formulary: list[DrugRow]) -> tuple[str, list[tuple[DrugRow, int]]]:
    """A diagnosis code and (drug, base units) lines that the store can fill; [] when it cannot."""
    weights = DIAGNOSIS_WEIGHTS[age_group]
    code = rng.choices(list(weights), weights=list(weights.values()))[0]
    option = rng.choice(ACUTE[code])
    lines = []
    for name, spec in option:
        drug = by_name.get(name)
        if drug is None:
            break
        qty = int(spec[1:]) * drug.units_per_pack if spec[0] == "P" else int(spec[1:])
        if stock[drug.id] < qty:
            break
        lines.append((drug, qty))
    else:
        return code, lines
    in_stock = [d for d in formulary if stock[d.id] > 0]  # what the store has, as the doctor would
    if not in_stock:
        return code, []
    drug = rng.choice(in_stock)
    return code, [(drug, min(stock[drug.id], drug.units_per_pack))]


def village_day(sv: Any, site: SiteFacts, day: date, rng: random.Random, counts: Counter, note: Note) -> None:
    """A village clinic's day: receipts, registrations, visits and settlements, a reversal, the monthly count."""
    if not ensure_catalog(sv, site, note, counts):
        return
    ensure_policy(sv, site, note)
    insured = ensure_residents(sv, site, day, rng, note, counts)
    catalog = drugs(sv)
    by_name = {}
    for d in catalog:
        by_name.setdefault(d.name, d)
    names = {n for options in ACUTE.values() for option in options for n, _ in option}
    formulary = [d for d in catalog if d.name in names] or catalog
    township = st.has_township(sv, site.site_id)
    trng = random.Random(rng.random()) if township else rng  # the township's part draws from a stream of its own
    if township:
        st.village_morning(sv, site.site_id, day, trng, counts, note)
    stock = _stock(sv, site, day)
    low = [d for d in formulary if stock[d.id] < 2 * d.units_per_pack]
    if low and (not township or sum(stock.values()) == 0) and (rng.random() < 0.6 or sum(stock.values()) == 0):
        picks = low[:24] if sum(stock.values()) == 0 else rng.sample(low, min(len(low), rng.randint(2, 8)))
        receive_lines(sv, day, rng, [(d, rng.randint(3, 10)) for d in picks], counts, "stock_receipts", 10)
        stock = _stock(sv, site, day)
    if rng.random() < 0.1:
        register_household(sv, site, day, rng, counts)
        insured = _insured(sv, site, day.year)
    minutes, settled = 30, []
    for _ in range(rng.randint(3, 15) if insured else 0):
        minutes += rng.randint(5, 40)
        resident_id, birth = rng.choice(insured)
        code, lines = _prescription(rng, _group(birth, day), by_name, stock, formulary)
        if not lines:
            continue
        draft = VisitDraft(resident_id=resident_id, visit_date=day, diagnosis=diagnoses().get(code, code),
                           diagnosis_code=code, lines=tuple(
                               DraftLine(d.id, q, usage_for(d.name, 0, d.base_unit)) for d, q in lines))
        try:
            info = sv.settlement.settle(draft, at=_at(day, minutes))
        except PolicyError as exc:
            note(f"{day.isoformat()} 不接诊结算：{exc.message}")
            break
        except CunyiError as exc:
            counts["visits_refused"] += 1
            note(f"{day.isoformat()} 一次结算未成：{exc.message}")
            continue
        for d, q in lines:
            stock[d.id] -= q
        settled.append(info.id)
        counts["visits"] += 1
        counts["settlements"] += 1
    if settled and rng.random() < 0.35:
        minutes += rng.randint(5, 30)
        sv.settlement.reverse(rng.choice(settled), rng.choice(REVERSAL_REASONS), at=_at(day, minutes))
        counts["reversals"] += 1
    monthly_stocktake(sv, site, day, rng, counts, note, max(minutes + 10, 10 * 60))
    if township:
        st.village_evening(sv, site.site_id, site.store_id, day, trng, counts, note, max(minutes + 60, 11 * 60))


def monthly_stocktake(sv: Any, site: SiteFacts, day: date, rng: random.Random, counts: Counter, note: Note,
                      minutes: int) -> None:
    """Count the whole store when the last finalised count is 30 days old (or there is none): small differences."""
    last = _rows(sv, "SELECT max(started_at) FROM stocktakes WHERE store_id = :s AND status = 'finalised'",
                 s=site.store_id)[0][0]
    if last is not None and (day - date.fromisoformat(str(last)[:10])).days < 30:
        return
    if not _stock(sv, site, date.min):
        return
    try:
        take = sv.stocktake.start(site.store_id, note="月度盘点", at=_at(day, minutes))
    except CunyiError as exc:  # a count someone left open at the desk
        note(f"{day.isoformat()} 未盘点：{exc.message}")
        return
    lines = sorted(sv.stocktake.lines(take.id), key=lambda ln: (ln.generic_name, ln.strength, ln.batch_no, ln.expiry))
    for ln in lines:
        counted = ln.booked_qty
        if rng.random() < 0.08:
            counted = max(0, counted + rng.choice((-2, -1, -1, 1)))
        sv.stocktake.record_count(take.id, ln.batch_id, counted, "" if counted == ln.booked_qty else "盘点差异")
    done = sv.stocktake.finalise(take.id, at=_at(day, minutes + 30))
    counts["stocktakes"] += 1
    counts["stocktake_adjustments"] += sum(1 for ln in sv.stocktake.lines(done.id) if ln.variance_qty)


# -- a township day ------------------------------------------------------------------------------
def township_day(sv: Any, site: SiteFacts, day: date, rng: random.Random, counts: Counter, note: Note) -> None:
    """A township's day: catalog edits, price changes and purchases received into its transfer warehouse."""
    if not ensure_catalog(sv, site, note, counts):
        return
    ensure_policy(sv, site, note)  # its villages settle with the township's policy file
    catalog = drugs(sv)
    if rng.random() < 0.4:
        for drug in rng.sample(catalog, min(len(catalog), rng.randint(1, 2))):
            if rng.random() < 0.5:
                sv.catalog.update(drug.id, is_essential=not drug.is_essential)
            else:
                sv.catalog.update(drug.id, min_stock_units=drug.units_per_pack * rng.randint(1, 6))
            counts["catalog_edits"] += 1
    if rng.random() < 0.15:
        known = {d.name for d in catalog}
        new = [n for n in NEW_DRUGS if n[0] not in known]
        if new:
            name, strength, form, pack, base, upp, cls, price, category = rng.choice(new)
            sv.catalog.create(generic_name=name, strength=strength, form=form, pack_unit=pack, base_unit=base,
                              units_per_pack=upp, coverage_class=cls, price_fen=price, category=category)
            counts["drugs_added"] += 1
            catalog = drugs(sv)
    if rng.random() < 0.35:
        for drug in rng.sample(catalog, min(len(catalog), rng.randint(1, 2))):
            price = max(1, round(drug.price_fen * (100 + rng.choice((-8, -5, -3, 3, 5, 8))) / 100))
            if price != drug.price_fen:
                sv.catalog.update(drug.id, price_fen=price)
                counts["price_changes"] += 1
        catalog = drugs(sv)
    st.township_operations(sv, site.site_id, day, rng, catalog, counts, note)
