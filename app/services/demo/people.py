"""Synthetic residents for the demo: invented names, invented ID numbers with valid check digits,
households, enrollment histories, assistance categories and chronic diseases.

Nothing here touches the database; ``make_village_people`` returns plain objects the builder turns
into rows. Names are drawn from resources/names (common surnames weighted by their share, given
names typical of the birth era); a few clan surnames dominate each village, as in rural China.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from app.domain.idcard import check_digit
from app.paths import resource

#: region codes (6 digits) of the demo county and its neighbours, for invented ID numbers
HOME_REGION = "411522"
NEIGHBOUR_REGIONS = ("411521", "411523", "411524", "411525", "411526", "411527", "411528")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "185", "186",
                   "187", "188", "189", "199")


@dataclass(eq=False)
class Person:
    """One demo resident and what the simulation needs to know about them."""

    id: str
    household_id: str
    name: str
    sex: str
    birth: date
    id_number: str
    relation: str
    phone: str = ""
    assistance: str | None = None
    #: diseases the person has: code → (regimen index) — whether or not they hold a qualification
    conditions: dict[str, int] = field(default_factory=dict)
    #: 门诊慢特病资格: code → (valid_from, valid_to)
    qualifications: dict[str, tuple[date, date]] = field(default_factory=dict)
    #: year → (enrolled_on, central_period, repaid_years, newborn)
    enrollments: dict[int, tuple[date, bool, int, bool]] = field(default_factory=dict)
    covered: frozenset[int] = frozenset()
    add_ons: tuple[int, ...] = ()  # extra chronic drugs (aspirin, a statin…) as regimen add-on indexes


@dataclass(eq=False)
class Household:
    id: str
    address: str
    head_id: str
    members: list[Person]


@lru_cache(maxsize=1)
def name_pools() -> tuple[list[str], list[float], dict[tuple[str, str], list[str]]]:
    """(surnames, cumulative weights, given names by (sex, era)) from resources/names."""
    surnames: list[str] = []
    cum: list[float] = []
    total = 0.0
    with resource("names", "surnames.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            total += float(row["per_10000"])
            surnames.append(row["surname"])
            cum.append(total)
    given: dict[tuple[str, str], list[str]] = {}
    with resource("names", "given_names.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            given.setdefault((row["sex"], row["era"]), []).append(row["given"])
    return surnames, cum, given


def era(birth_year: int) -> str:
    if birth_year < 1956:
        return "old"
    if birth_year < 1980:
        return "mid"
    if birth_year < 2000:
        return "young"
    return "kid"


def make_id_number(rng: random.Random, region: str, birth: date, sex: str, used: set[str]) -> str:
    """An invented 18-character ID number with a valid check digit (odd sequence = male)."""
    while True:
        seq = rng.randrange(0, 999)
        if (seq % 2 == 1) != (sex == "M"):
            seq = seq + 1 if seq < 998 else seq - 1
        first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
        number = first17 + check_digit(first17)
        if number not in used:
            used.add(number)
            return number


def _birth(rng: random.Random, today: date, age_lo: int, age_hi: int) -> date:
    age = rng.randint(age_lo, age_hi)
    born = today - timedelta(days=int(age * 365.25) + rng.randint(0, 364))
    return max(born, date(1931, 1, 1))


class PeopleFactory:
    """Makes the households of one village with a stable random generator."""

    def __init__(self, rng: random.Random, ids, today: date, used_ids: set[str]) -> None:  # noqa: ANN001
        self.rng = rng
        self.ids = ids
        self.today = today
        self.used = used_ids
        self.surnames, self.cum, self.given = name_pools()

    def _surname(self, clans: list[str]) -> str:
        if clans and self.rng.random() < 0.45:
            return self.rng.choice(clans)
        return self.rng.choices(self.surnames, cum_weights=self.cum)[0]

    def _name(self, surname: str, sex: str, born: date) -> str:
        return surname + self.rng.choice(self.given[(sex, era(born.year))])

    def _phone(self, born: date) -> str:
        age = self.today.year - born.year
        chance = 0.0 if age < 16 else 0.85 if age < 70 else 0.45
        if self.rng.random() >= chance:
            return ""
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def person(self, hh_id: str, surname: str, sex: str, born: date, relation: str, local: bool = True) -> Person:
        region = HOME_REGION if local or self.rng.random() < 0.5 else self.rng.choice(NEIGHBOUR_REGIONS)
        return Person(
            id=self.ids(), household_id=hh_id, name=self._name(surname, sex, born), sex=sex, birth=born,
            id_number=make_id_number(self.rng, region, born, sex, self.used), relation=relation,
            phone=self._phone(born),
        )

    def household(self, address: str, clans: list[str]) -> Household:
        """One household of a typical rural kind (elderly couple, three generations, young family…)."""
        rng, today = self.rng, self.today
        hh_id = self.ids()
        surname = self._surname(clans)
        kind = rng.choices(("old_couple", "old_single", "three_gen", "young_family", "mid_couple"),
                           weights=(34, 13, 27, 13, 13))[0]
        members: list[Person] = []
        head_sex = "M" if rng.random() < 0.85 or kind != "old_single" else "F"
        if kind == "old_single":
            head_sex = rng.choice("MFF")
        head_age = {"old_couple": (60, 86), "old_single": (66, 92), "three_gen": (45, 66),
                    "young_family": (27, 44), "mid_couple": (44, 64)}[kind]
        head_born = _birth(rng, today, *head_age)
        head = self.person(hh_id, surname, head_sex, head_born, "本人")
        members.append(head)
        if kind != "old_single":
            spouse_sex = "F" if head_sex == "M" else "M"
            spouse_born = min(today - timedelta(days=20 * 365), head_born + timedelta(days=rng.randint(-6 * 365, 3 * 365)))
            members.append(self.person(hh_id, self._surname([]), spouse_sex, spouse_born, "配偶", local=False))
        if kind in ("three_gen", "young_family", "mid_couple"):
            children = {"three_gen": rng.randint(1, 3), "young_family": rng.randint(1, 3), "mid_couple": 1}[kind]
            for _ in range(children):
                gap = rng.randint(21, 32) * 365 + rng.randint(0, 364)
                born = head_born + timedelta(days=gap)
                if born >= today:
                    born = today - timedelta(days=rng.randint(20, 700))
                sex = rng.choice("MF")
                members.append(self.person(hh_id, surname, sex, born, "子" if sex == "M" else "女"))
        if kind == "three_gen":
            for _ in range(rng.choice((0, 1, 1, 2))):
                born = today - timedelta(days=rng.randint(30, 13 * 365))
                members.append(self.person(hh_id, surname, rng.choice("MF"), born, "孙子女"))
            if rng.random() < 0.35:
                born = head_born - timedelta(days=rng.randint(21, 30) * 365)
                if today.year - born.year <= 95:
                    members.append(self.person(hh_id, surname, rng.choice("MFF"), born, "父母"))
        return Household(hh_id, address, head.id, members)


def assign_assistance(rng: random.Random, households: list[Household]) -> None:
    """About 5 % of people get a medical-assistance category (低保 and 监测 by household, 特困 alone).

    The numbers are quotas, not coin tosses, so every village of every demo has some of each,
    whatever the day it is built on.
    """
    order = list(households)
    rng.shuffle(order)
    dibao = max(1, round(len(order) * 0.03))
    monitor = max(1, round(len(order) * 0.012))
    for hh in order[:dibao]:
        for p in hh.members:
            p.assistance = "dibao"
    for hh in order[dibao:dibao + monitor]:
        for p in hh.members:
            p.assistance = "monitor"
    alone = [hh for hh in order[dibao + monitor:] if len(hh.members) == 1]
    for hh in alone[:max(1, round(len(alone) * 0.12))]:
        hh.members[0].assistance = "tekun"


def enrollment_history(rng: random.Random, p: Person, first_year: int, today: date) -> None:
    """Fill ``p.enrollments``: mostly continuous central-period payment, some gaps, late payers,
    newborns, a few in a waiting period today and a few not insured this year."""
    this_year = today.year
    start = max(first_year, p.birth.year)
    years = list(range(start, this_year + 1))
    gaps: set[int] = set()
    late: set[int] = set()
    repaid: dict[int, int] = {}
    r = rng.random()
    if r < 0.05:
        if len(years) > 3:  # one missed year some time ago
            gap = rng.choice(years[1:-1])
            gaps.add(gap)
            if rng.random() < 0.5:
                late.add(gap + 1)
            if rng.random() < 0.3:
                repaid[gap + 1] = 1
    elif r < 0.075:
        gaps.add(this_year)  # not insured this year
    elif r < 0.10 and len(years) > 2 and p.birth.year < this_year - 1:
        gaps.add(this_year - 1)  # paid late this year after missing last year: a waiting period now
        late.add(this_year)
    elif r < 0.12 and len(years) > 2:
        late.add(rng.choice(years[1:]))
    elif r < 0.13 and len(years) > 2:
        gaps.update(years[:-1])  # insured for the first time this year, in the central period
    elif r < 0.14 and len(years) > 7:
        first_back = rng.choice(years[5:])
        gaps.update(range(first_back - 5, first_back))
        repaid[first_back] = rng.choice((0, 1, 2))
    for year in years:
        if year in gaps:
            continue
        newborn = year == p.birth.year and p.birth.year >= first_year and p.birth.year > 1990
        if newborn:
            on = min(p.birth + timedelta(days=rng.randint(10, 80)), date(year, 12, 31), today)
            p.enrollments[year] = (on, False, 0, True)
        elif year in late:
            if year == this_year:
                on = today - timedelta(days=rng.randint(15, 80))
            else:
                on = date(year, rng.randint(3, 8), rng.randint(1, 28))
            p.enrollments[year] = (max(on, p.birth), False, repaid.get(year, 0), False)
        else:
            on = date(year - 1, rng.randint(9, 12), rng.randint(1, 28))
            if on < p.birth:  # born during the central period of its first year
                on = p.birth + timedelta(days=7)
            p.enrollments[year] = (on, True, repaid.get(year, 0), False)
    p.covered = frozenset(p.enrollments)


def chronic_profile(rng: random.Random, p: Person, today: date, history_start: date, regimens: dict[str, int],
                    add_on_count: int) -> None:
    """Hypertension/diabetes by age; most of those hold a 门诊慢特病 qualification, some lapsed."""
    age = today.year - p.birth.year
    if age < 35:
        return
    odds = {"I10": 0.10 if age < 50 else 0.22 if age < 65 else 0.36, "E11": 0.04 if age < 50 else 0.09 if age < 65 else 0.13}
    for code, chance in odds.items():
        if rng.random() >= chance:
            continue
        p.conditions[code] = rng.randrange(regimens[code])
        if rng.random() < 0.4:  # some never apply for the chronic benefit
            continue
        span = max(30, (today - history_start).days)
        valid_from = history_start + timedelta(days=int(span * rng.random() ** 0.7) - 60)
        if rng.random() < 0.08:
            valid_to = today - timedelta(days=rng.randint(10, 200))  # lapsed: needs 复审
            valid_from = min(valid_from, valid_to - timedelta(days=365))
        else:
            valid_to = today + timedelta(days=rng.randint(60, 720))
        p.qualifications[code] = (valid_from, valid_to)
    if p.conditions:
        picks = [i for i in range(add_on_count) if rng.random() < 0.18]
        p.add_ons = tuple(picks[:2])
