"""The demo's organisation and people: township, villages, stores, users, catalog rows, residents."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from app.db.models import Base
from app.domain import clock
from app.domain.enums import Role
from app.domain.passwords import hash_password
from app.domain.pinyin import pinyin_codes
from app.domain.policy_file import parse_policy
from app.services.core.policies import POLICY_ID_SETTING
from app.services.demo.catalog import ADD_ONS, catalog_values
from app.services.demo.people import (
    PeopleFactory,
    Person,
    assign_assistance,
    chronic_profile,
    enrollment_history,
    name_pools,
)
from app.services.demo.rows import BulkWriter, day_text, dt_text

TOWNSHIP = "示例镇卫生院"
REGION = "示例县"
VILLAGES = (
    "东坡村", "西河村", "南岗村", "北庄村", "李湾村", "王楼村", "张庄村", "刘集村", "陈岗村", "杨河村",
    "黄土岭村", "赵庄村", "柳林村", "桃园村", "杏花村", "石桥村", "枣树岗村", "槐树庄村", "马店村", "孙寨村",
    "周湾村", "吴楼村", "郭庄村", "高岗村", "白龙庙村", "新集村", "前湾村", "后楼村", "大塘村", "小河村",
    "龙潭村", "凤凰岭村", "青山村", "松林村", "荷塘村", "金桥村", "双河村", "三里店村", "五里墩村", "七里冲村",
)  # fmt: skip
DISEASE_NAMES = {"I10": "高血压", "E11": "糖尿病"}


@dataclass
class VillageInfo:
    index: int
    site_id: str
    store_id: str
    name: str
    short: str
    doctor_id: str
    doctor_name: str
    rate: float
    people: int


@dataclass
class SiteSetup:
    township_id: str
    township_name: str
    township_store_id: str
    local_site_id: str
    local_name: str
    pharmacist_id: str
    pharmacist_name: str
    villages: list[VillageInfo]
    writer: BulkWriter
    add: dict
    catalog_at: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    case_worker: tuple[str, str] = ("", "")  # the township's 医保专干: user id, name

    @property
    def drug_values(self) -> tuple[dict, ...]:
        return catalog_values()

    def write_drugs(self, drug_ids: list[str], ids: Callable[[], str]) -> None:
        """The catalog rows, owned by the township (exactly the importer's field values)."""
        table = Base.metadata.tables["drugs"]
        columns = [c.name for c in table.columns if c.name not in ("id", "owner_site_id", "created_at", "updated_at",
                                                                   "version")]
        add = self.writer.define("drugs", columns)
        for drug_id, values in zip(drug_ids, self.drug_values, strict=True):
            row = []
            for name in columns:
                value = values.get(name, table.columns[name].default.arg if table.columns[name].default else None)
                row.append(int(value) if isinstance(value, bool) else value)
            add((drug_id, self.township_id, self.catalog_at, self.catalog_at, 1, *row))
        # every store keeps the catalog file's shelf and minimum stock, as its own rows
        own = self.writer.define("store_drug_settings", ("store_id", "drug_id", "shelf", "min_stock_units"))
        stores = [(self.township_store_id, self.township_id), *((v.store_id, v.site_id) for v in self.villages)]
        for drug_id, values in zip(drug_ids, self.drug_values, strict=True):
            shelf, minimum = values.get("shelf", ""), values.get("min_stock_units", 0)
            if shelf or minimum:
                for store_id, site_id in stores:
                    own((ids(), site_id, self.catalog_at, self.catalog_at, 1,
                         store_id, drug_id, shelf, minimum))
        self.writer.flush()

    def write_policies(self, texts: dict[int, str], ids: Callable[[], str], year: int) -> None:
        """Each year's policy file as a row owned by the township; the row of ``year`` is the one in force."""
        add = self.writer.define("policies", ("region", "year", "policy_version", "file_name", "text", "valid_from",
                                              "valid_to"))
        in_force = None
        for each, text in sorted(texts.items()):
            policy = parse_policy(text, source=f"demo-{each}.toml")
            row_id = ids()
            add((row_id, self.township_id, self.catalog_at, self.catalog_at, 1, policy.region, policy.year,
                 policy.version, policy.source, text, day_text(policy.valid_from), day_text(policy.valid_to)))
            in_force = row_id if each == year else in_force
        self.writer.flush()
        if in_force is not None:
            self.writer.con.execute("INSERT INTO app_settings (key, value) VALUES (?, ?)",
                                    (POLICY_ID_SETTING, json.dumps(in_force)))

    def audit_build(self, add: dict, scale_name: str) -> None:
        """The audit row that says this database was made by ``cunyi demo``."""
        add["audit_log"]((dt_text(clock.now().replace(microsecond=0)), self.local_site_id, None, "命令行(CLI)",
                          "demo.build", "sites", self.local_site_id,
                          json.dumps({"villages": len(self.villages), "scale": scale_name}, ensure_ascii=False)))


def _person_name(rng: random.Random, sex: str, born_year: int) -> str:
    surnames, cum, given = name_pools()
    era = "mid" if born_year < 1980 else "young"
    return rng.choices(surnames, cum_weights=cum)[0] + rng.choice(given[(sex, era)])


def set_up_sites(writer: BulkWriter, add: dict, ids, rng: random.Random, scale, today: date, start: date,  # noqa: ANN001
                 password: str) -> SiteSetup:
    """Write local_site, the sites, their stores and users; return who is who."""
    at = datetime.combine(start - timedelta(days=60), datetime.min.time()).replace(hour=9)
    stamp = dt_text(at)
    township_id = ids()
    villages = []
    for i in range(1, scale.villages + 1):
        short = VILLAGES[(i - 1) % len(VILLAGES)] + ("" if i <= len(VILLAGES) else str(i))
        villages.append(VillageInfo(
            index=i, site_id=ids(), store_id=ids(), name=f"{short}卫生室", short=short, doctor_id=ids(),
            doctor_name=_person_name(rng, rng.choice("MMF"), rng.randint(1965, 1990)),
            rate=round(rng.uniform(*scale.visits_per_workday), 1), people=rng.randint(*scale.people),
        ))
    local = villages[0].site_id if scale.local == "village" else township_id
    local_name = villages[0].name if scale.local == "village" else TOWNSHIP
    writer.con.execute("INSERT INTO local_site (id, site_id, db_instance_id, created_at) VALUES (1, ?, ?, ?)",
                       (local, ids(), dt_text(clock.now().replace(microsecond=0))))
    add["sites"]((township_id, township_id, stamp, stamp, 1, "township", TOWNSHIP, "H41152200001", None, REGION,
                  f"{REGION}示例镇人民路18号", "0376-8561120"))
    for v in villages:
        add["sites"]((v.site_id, township_id, stamp, stamp, 1, "village", v.name, f"H411522{10000 + v.index:05d}",
                      township_id, REGION, f"{REGION}示例镇{v.short}", f"0376-85{6200 + v.index:05d}"[:12]))
    township_store = ids()
    add["stores"]((township_store, township_id, stamp, stamp, 1, township_id, "中转药库"))
    for v in villages:
        add["stores"]((v.store_id, v.site_id, stamp, stamp, 1, v.site_id, "药房"))
    setup = SiteSetup(township_id, TOWNSHIP, township_store, local, local_name, ids(), "", villages, writer, add,
                      stamp)
    users = [(setup.pharmacist_id, township_id, "pharmacist", _person_name(rng, "F", 1980), Role.TOWNSHIP_PHARMACIST),
             (ids(), township_id, "caseworker", _person_name(rng, "F", 1985), Role.CASE_WORKER),
             (ids(), township_id, "tadmin", _person_name(rng, "M", 1978), Role.ADMIN)]
    for v in villages:
        users.append((v.doctor_id, v.site_id, "doctor" if v.index == 1 else f"doctor{v.index}", v.doctor_name,
                      Role.VILLAGE_DOCTOR))
    users.append((ids(), villages[0].site_id, "admin", _person_name(rng, "M", 1975), Role.ADMIN))
    setup.pharmacist_name = users[0][3]
    setup.case_worker = (users[1][0], users[1][3])
    names = {township_id: TOWNSHIP, **{v.site_id: v.name for v in villages}}
    for user_id, site_id, username, display, role in users:
        add["users"]((user_id, site_id, stamp, stamp, 1, site_id, username, display, role.value,
                      hash_password(password), 1))
        setup.users[username] = {"password": password, "name": display, "role": role.label, "site": names[site_id],
                                 "can_sign_in_here": site_id == local}
    writer.flush()
    return setup


def people_rows(writer: BulkWriter, add: dict, ids, village: VillageInfo, today: date, start: date,  # noqa: ANN001
                used_ids: set[str], regimen_pool: dict[str, list[int]]) -> tuple[list[Person], dict[str, list[Person]]]:
    """Households, residents, enrollment years and chronic qualifications of one village."""
    rng = random.Random(f"people:{village.index}:{today}")
    factory = PeopleFactory(rng, ids, today, used_ids)
    surnames, cum, _ = name_pools()
    clans = rng.choices(surnames, cum_weights=cum, k=3)
    households = []
    people: list[Person] = []
    while len(people) < village.people:
        group, house = rng.randint(1, 8), rng.randint(1, 60)
        hh = factory.household(f"{REGION}示例镇{village.short}{group}组{house}号", clans)
        households.append(hh)
        people.extend(hh.members)
    assign_assistance(rng, households)
    sizes = {code: len(pool) for code, pool in regimen_pool.items()}
    for p in people:
        enrollment_history(rng, p, start.year - 3, today)
        chronic_profile(rng, p, today, start, sizes, len(ADD_ONS))
    site = village.site_id
    members = {}
    for hh in households:
        members[hh.id] = hh.members
        registered = max(datetime.combine(start, datetime.min.time()) - timedelta(days=rng.randint(30, 400)),
                         datetime.combine(min(m.birth for m in hh.members), datetime.min.time()))
        reg = dt_text(registered.replace(hour=9) + timedelta(minutes=rng.randrange(480)))
        add["households"]((hh.id, site, reg, reg, 1, site, hh.address, hh.head_id))
        for p in hh.members:
            born = datetime.combine(p.birth, datetime.min.time()).replace(hour=10)
            r_stamp = dt_text(max(registered, born))
            py = pinyin_codes(p.name, person=True, width=16)  # cached: names repeat across a township
            add["residents"]((p.id, site, r_stamp, r_stamp, 1, site, p.id_number, p.name, py.abbr, py.keys, py.sort,
                              p.sex, day_text(p.birth), p.phone, hh.address, hh.id, p.relation, p.assistance, ""))
            for year, (on, central, repaid, newborn) in sorted(p.enrollments.items()):
                e_stamp = dt_text(datetime.combine(on, datetime.min.time()).replace(hour=10))
                add["enrollments"]((ids(), site, e_stamp, e_stamp, 1, p.id, year, day_text(on), int(central), repaid,
                                    int(newborn)))
            for code, (valid_from, valid_to) in p.qualifications.items():
                q_stamp = dt_text(datetime.combine(valid_from, datetime.min.time()).replace(hour=11))
                add["chronic_qualifications"]((ids(), site, q_stamp, q_stamp, 1, p.id, code, DISEASE_NAMES[code],
                                               day_text(valid_from), day_text(valid_to)))
    writer.maybe_flush()
    return people, members
