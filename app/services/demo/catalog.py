"""The demo's drug catalog and what village doctors prescribe from it.

The catalog is resources/catalog/drugs.csv, read through the catalog importer's own field checks
(``clean_drug``), so the demo's drug rows are exactly what importing the file would give. On top of
it: typical chronic regimens (hypertension, diabetes), typical acute prescriptions per diagnosis and
age group, the price before a drug's 集采 round took effect, and the lots (batch number, expiry) the
township buys each month.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from app.domain.usage import usual_usage
from app.paths import resource
from app.services.catalog.fields import apply_prices, clean_drug, drug_pinyin

#: when each national 集采 round's prices reached the demo county (roughly when they did nationwide)
ROUND_START = {
    "国家第一批": date(2019, 12, 1), "国家第二批": date(2020, 4, 20), "国家第三批": date(2020, 11, 1),
    "国家第四批": date(2021, 5, 1), "国家第五批": date(2021, 10, 1), "国家第七批": date(2022, 11, 1),
    "国家第八批": date(2023, 7, 1), "国家第九批": date(2024, 3, 1),
}  # fmt: skip

#: chronic regimens: (weight, ((generic name, units per day, usage), …))
CHRONIC = {
    "I10": (
        (6, (("苯磺酸氨氯地平片", 1, ""),)), (4, (("硝苯地平缓释片(Ⅱ)", 2, ""),)), (4, (("厄贝沙坦片", 1, ""),)),
        (3, (("缬沙坦胶囊", 1, ""),)), (3, (("氯沙坦钾片", 1, ""),)),
        (3, (("苯磺酸氨氯地平片", 1, ""), ("吲达帕胺片", 1, "口服 一日1次 一次1片 早晨服"))),
        (2, (("厄贝沙坦氢氯噻嗪片", 1, ""),)), (2, (("琥珀酸美托洛尔缓释片", 1, ""), ("苯磺酸氨氯地平片", 1, ""))),
        (2, (("苯磺酸左氨氯地平片", 1, ""),)), (2, (("替米沙坦片", 1, ""),)), (1, (("马来酸依那普利片", 1, ""),)),
        (1, (("非洛地平缓释片", 1, ""),)), (1, (("缬沙坦氨氯地平片(Ⅰ)", 1, ""),)), (1, (("培哚普利叔丁胺片", 1, ""),)),
        (1, (("盐酸贝那普利片", 1, ""),)), (1, (("富马酸比索洛尔片", 1, ""), ("厄贝沙坦片", 1, ""))),
        (1, (("酒石酸美托洛尔片", 2, ""), ("苯磺酸氨氯地平片", 1, ""))), (1, (("卡托普利片", 2, ""),)),
    ),
    "E11": (
        (6, (("盐酸二甲双胍片", 3, "口服 一日3次 一次1片 餐中服"),)),
        (3, (("盐酸二甲双胍片", 2, "口服 一日2次 一次1片 餐中服"), ("格列美脲片", 1, "口服 一日1次 一次1片 早餐前"))),
        (3, (("阿卡波糖片", 3, "口服 一日3次 一次1片 与第一口饭嚼服"),)), (2, (("盐酸二甲双胍缓释片", 2, ""),)),
        (2, (("格列齐特缓释片", 1, "口服 一日1次 一次1片 早餐时"),)),
        (2, (("盐酸二甲双胍片", 2, "口服 一日2次 一次1片 餐中服"), ("阿卡波糖片", 3, "口服 一日3次 一次1片 与第一口饭嚼服"))),
        (1, (("格列吡嗪片", 2, "口服 一日2次 一次1片 餐前半小时"),)), (1, (("瑞格列奈片", 3, "口服 一日3次 一次1片 餐前"),)),
        (1, (("达格列净片", 1, ""), ("盐酸二甲双胍片", 2, "口服 一日2次 一次1片 餐中服"))), (1, (("磷酸西格列汀片", 1, ""),)),
        (1, (("盐酸吡格列酮片", 1, ""),)), (1, (("伏格列波糖片", 3, "口服 一日3次 一次1片 餐前"),)),
    ),
}
#: drugs some chronic patients take as well
ADD_ONS = (("阿司匹林肠溶片", 1, "口服 一日1次 一次1片 早餐前"), ("阿托伐他汀钙片", 1, "口服 一日1次 一次1片 睡前"),
           ("瑞舒伐他汀钙片", 1, "口服 一日1次 一次1片 睡前"), ("辛伐他汀片", 1, "口服 一日1次 一次1片 睡前"),
           ("单硝酸异山梨酯缓释片", 1, ""), ("甲钴胺片", 3, ""), ("硫酸氢氯吡格雷片", 1, ""))
CHRONIC_DIAGNOSIS = {"I10": ("原发性高血压", "I10"), "E11": ("2型糖尿病", "E11.9")}

#: acute prescriptions: diagnosis code → options of ((generic name, quantity), …); quantity "P2" = 2 packs, "U12" = 12 units
ACUTE = {
    "J06.9": ((("对乙酰氨基酚片", "P1"),), (("布洛芬缓释胶囊", "P1"),), (("连花清瘟胶囊", "P1"),), (("复方氨酚烷胺胶囊", "P1"),),
              (("对乙酰氨基酚片", "P1"), ("氯雷他定片", "P1")), (("阿莫西林胶囊", "P1"), ("布洛芬缓释胶囊", "P1"))),
    "J00": ((("复方氨酚烷胺胶囊", "P1"),), (("连花清瘟胶囊", "P1"), ("维生素C片", "U20")), (("对乙酰氨基酚片", "U6"),)),
    "J02.9": ((("阿莫西林胶囊", "P1"),), (("头孢呋辛酯片", "P1"),), (("阿奇霉素片", "P1"),), (("头孢氨苄胶囊", "P1"),), (("克拉霉素片", "P1"),)),
    "J03.9": ((("阿莫西林胶囊", "P2"), ("布洛芬缓释胶囊", "P1")), (("头孢克肟胶囊", "P1"),), (("头孢地尼胶囊", "P1"),),
              (("头孢呋辛酯片", "P1"), ("对乙酰氨基酚片", "P1"))),
    "J20.9": ((("阿莫西林克拉维酸钾片", "P1"), ("盐酸氨溴索片", "P1")), (("头孢克洛胶囊", "P1"), ("羧甲司坦片", "P1")),
              (("阿奇霉素片", "P1"), ("盐酸氨溴索片", "P1")), (("左氧氟沙星片", "P1"),), (("头孢丙烯片", "P1"), ("盐酸氨溴索片", "P1"))),
    "J42": ((("盐酸氨溴索片", "P1"),), (("羧甲司坦片", "P1"),)),
    "J44.9": ((("硫酸沙丁胺醇吸入气雾剂", "P1"), ("盐酸氨溴索片", "P1")), (("孟鲁司特钠片", "P1"),)),
    "J45.9": ((("孟鲁司特钠片", "P1"),), (("硫酸沙丁胺醇吸入气雾剂", "P1"),)),
    "J18.9": ((("左氧氟沙星片", "P2"),), (("盐酸莫西沙星片", "P1"),), (("头孢克肟胶囊", "P2"), ("阿奇霉素片", "P1"))),
    "J30.4": ((("氯雷他定片", "P1"),), (("盐酸西替利嗪片", "P1"),), (("孟鲁司特钠片", "P1"),)),
    "J11.1": ((("磷酸奥司他韦胶囊", "P1"), ("对乙酰氨基酚片", "P1")), (("连花清瘟胶囊", "P1"),)),
    "R05": ((("盐酸氨溴索片", "P1"),), (("羧甲司坦片", "P1"),)),
    "R50.9": ((("对乙酰氨基酚片", "U6"),), (("布洛芬缓释胶囊", "U6"),), (("小儿氨酚黄那敏颗粒", "P1"),)),
    "K29.7": ((("奥美拉唑肠溶胶囊", "P1"),), (("雷贝拉唑钠肠溶片", "P1"),), (("泮托拉唑钠肠溶片", "P1"),),
              (("铝碳酸镁咀嚼片", "P1"),), (("法莫替丁片", "P1"),)),
    "K29.5": ((("奥美拉唑肠溶胶囊", "P2"),), (("枸橼酸莫沙必利片", "P1"), ("雷贝拉唑钠肠溶片", "P1"))),
    "K21.9": ((("奥美拉唑肠溶胶囊", "P2"),), (("泮托拉唑钠肠溶片", "P1"), ("枸橼酸莫沙必利片", "P1"))),
    "K30": ((("多潘立酮片", "U21"),), (("枸橼酸莫沙必利片", "P1"),)),
    "A09": ((("蒙脱石散", "P1"),), (("蒙脱石散", "P1"), ("左氧氟沙星片", "P1")), (("蒙脱石散", "U6"),)),
    "N39.0": ((("左氧氟沙星片", "P1"),), (("头孢克肟胶囊", "P1"),), (("阿莫西林克拉维酸钾片", "P1"),)),
    "N40": ((("盐酸坦洛新缓释胶囊", "P2"),), (("非那雄胺片", "P2"),)),
    "M54.5": ((("塞来昔布胶囊", "P1"),), (("洛索洛芬钠片", "P1"),), (("双氯芬酸钠缓释片", "P1"),), (("布洛芬缓释胶囊", "P1"),)),
    "M47.8": ((("洛索洛芬钠片", "P1"), ("甲钴胺片", "P1")), (("美洛昔康片", "P1"),)),
    "M17.9": ((("塞来昔布胶囊", "P2"),), (("美洛昔康片", "P2"),)),
    "M79.1": ((("布洛芬缓释胶囊", "P1"),), (("双氯芬酸钠缓释片", "P1"),)),
    "M10.9": ((("非布司他片", "P1"),), (("别嘌醇片", "U30"),), (("塞来昔布胶囊", "P1"),)),
    "E79.0": ((("非布司他片", "P1"),), (("别嘌醇片", "U30"),)),
    "B02.9": ((("盐酸伐昔洛韦片", "P2"), ("甲钴胺片", "P1")), (("阿昔洛韦片", "P2"),)),
    "L50.9": ((("氯雷他定片", "P1"),), (("盐酸西替利嗪片", "P1"),)),
    "L30.9": ((("氯雷他定片", "P1"),), (("氟康唑胶囊", "U3"),)),
    "R51": ((("布洛芬缓释胶囊", "P1"),), (("对乙酰氨基酚片", "P1"),)),
    "E78.5": ((("阿托伐他汀钙片", "P2"),), (("瑞舒伐他汀钙片", "P1"),), (("辛伐他汀片", "P2"),), (("匹伐他汀钙片", "P2"),)),
    "I25.1": ((("阿司匹林肠溶片", "P1"), ("阿托伐他汀钙片", "P2"), ("单硝酸异山梨酯缓释片", "P1")),
              (("硫酸氢氯吡格雷片", "P1"), ("瑞舒伐他汀钙片", "P1")), (("复方丹参滴丸", "P1"),),
              (("盐酸曲美他嗪缓释片", "P1"), ("阿司匹林肠溶片", "P1"))),
    "I20.9": ((("单硝酸异山梨酯缓释片", "P1"), ("琥珀酸美托洛尔缓释片", "P1")), (("复方丹参滴丸", "P1"),)),
    "I48": ((("利伐沙班片", "P2"), ("富马酸比索洛尔片", "P1")), (("酒石酸美托洛尔片", "P2"),)),
    "I50.9": ((("呋塞米片", "U30"), ("螺内酯片", "U30")),),
    "I69.3": ((("阿司匹林肠溶片", "P1"), ("阿托伐他汀钙片", "P2")), (("硫酸氢氯吡格雷片", "P1"), ("阿托伐他汀钙片", "P2")),
              (("替格瑞洛片", "P1"),)),
    "G63.2": ((("甲钴胺片", "P2"),),),
    "B18.1": ((("恩替卡韦分散片", "P1"),),),
}

#: how often each diagnosis brings a person of an age group to the village clinic (relative weights)
DIAGNOSIS_WEIGHTS = {
    "kid": {"J06.9": 30, "J00": 10, "J02.9": 8, "J03.9": 8, "J20.9": 10, "R50.9": 10, "A09": 10, "R05": 8,
            "J30.4": 3, "J11.1": 3},
    "adult": {"J06.9": 18, "J00": 6, "J02.9": 6, "J20.9": 6, "K29.7": 8, "K29.5": 4, "K21.9": 3, "K30": 3, "A09": 4,
              "M54.5": 6, "M47.8": 5, "M79.1": 3, "N39.0": 3, "R51": 3, "L50.9": 2, "L30.9": 2, "J30.4": 3,
              "J11.1": 2, "E78.5": 2, "B18.1": 1, "M10.9": 1, "E79.0": 1, "B02.9": 1, "J45.9": 1},
    "old": {"J06.9": 10, "J20.9": 6, "J42": 4, "J44.9": 4, "K29.5": 6, "K29.7": 4, "M17.9": 6, "M54.5": 5, "M47.8": 4,
            "I25.1": 6, "I69.3": 4, "E78.5": 4, "I20.9": 2, "I48": 1, "I50.9": 1, "N40": 3, "B02.9": 2, "R51": 2,
            "J18.9": 1, "M10.9": 1, "E79.0": 1, "G63.2": 1},
}  # fmt: skip

#: usage text for acute prescriptions (default: 口服 遵医嘱)
USAGE = {
    "对乙酰氨基酚片": "口服 发热或疼痛时 一次1片 间隔4-6小时", "布洛芬缓释胶囊": "口服 一日2次 一次1粒",
    "阿莫西林胶囊": "口服 一日3次 一次2粒", "头孢呋辛酯片": "口服 一日2次 一次1片 餐后", "阿奇霉素片": "口服 一日1次 一次2片",
    "左氧氟沙星片": "口服 一日1次 一次1片", "头孢克肟胶囊": "口服 一日2次 一次1粒", "奥美拉唑肠溶胶囊": "口服 一日1次 一次1粒 早餐前",
    "蒙脱石散": "口服 一日3次 一次1袋 温水50毫升冲服", "氯雷他定片": "口服 一日1次 一次1片", "盐酸氨溴索片": "口服 一日3次 一次1片",
    "连花清瘟胶囊": "口服 一日3次 一次4粒", "复方氨酚烷胺胶囊": "口服 一日2次 一次1粒", "塞来昔布胶囊": "口服 一日1次 一次1粒 餐后",
    "硫酸沙丁胺醇吸入气雾剂": "吸入 喘憋时 一次1-2揿", "小儿氨酚黄那敏颗粒": "温水冲服 一日3次 一次1袋",
}  # fmt: skip


@dataclass(frozen=True)
class DemoDrug:
    """What the simulation needs of one catalog drug."""

    index: int
    id: str
    generic_name: str
    category: str
    units_per_pack: int
    price_fen: int  # per pack, today
    coverage_class: str
    class_b_self_bp: int | None
    min_stock_units: int
    base_unit: str
    vbp_start: date | None
    pre_vbp_factor: float
    shelf_life_months: int
    lot_style: int
    trace_prefix: str

    def price_on(self, day: date) -> int:
        """Pack price on ``day``: before the drug's 集采 round the county paid the old, higher price."""
        if self.vbp_start is None or day >= self.vbp_start:
            return self.price_fen
        return int(self.price_fen * self.pre_vbp_factor)


@lru_cache(maxsize=1)
def catalog_values() -> tuple[dict, ...]:
    """Checked field values of every drug in drugs.csv (the importer's own checks and 零差价 rule)."""
    out = []
    with resource("catalog", "drugs.csv").open(encoding="utf-8") as f:
        for raw in csv.DictReader(f):
            values = dict(clean_drug(raw).values)
            apply_prices(values, values.get("price_fen", 0), 0, True)
            values.update(drug_pinyin(values["generic_name"], values.get("pinyin_abbr", ""), "pinyin_abbr" in values))
            out.append(values)
    return tuple(out)


@lru_cache(maxsize=1)
def diagnoses() -> dict[str, str]:
    """ICD-10 code → name of the bundled common outpatient diagnoses."""
    with resource("catalog", "diagnoses.csv").open(encoding="utf-8") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


def demo_drugs(ids: list[str]) -> list[DemoDrug]:
    """The catalog as ``DemoDrug``s, given the ids the builder chose for the drug rows."""
    out = []
    for i, (values, drug_id) in enumerate(zip(catalog_values(), ids, strict=True)):
        rng = random.Random(f"drug:{values['generic_name']}")
        out.append(DemoDrug(
            index=i, id=drug_id, generic_name=values["generic_name"], category=values.get("category", ""),
            units_per_pack=values["units_per_pack"],
            price_fen=values["price_fen"], coverage_class=values["coverage_class"],
            class_b_self_bp=values.get("class_b_self_bp"), min_stock_units=values.get("min_stock_units", 0),
            base_unit=values.get("base_unit", "片"), vbp_start=ROUND_START.get(values.get("vbp_round", "")),
            pre_vbp_factor=rng.uniform(2.2, 5.5), shelf_life_months=rng.choice((24, 24, 36)),
            lot_style=rng.randrange(4), trace_prefix=f"8{rng.randrange(10**6):06d}",
        ))
    return out


def lot(drug: DemoDrug, year: int, month: int, tag: str = "") -> tuple[str, date]:
    """The (batch number, expiry) of the lot the township bought of ``drug`` that month."""
    rng = random.Random(f"lot:{drug.index}:{year}:{month}:{tag}")
    made = date(year, month, 1) - timedelta(days=rng.randint(20, 150))
    n = rng.randrange(1, 60)
    style = drug.lot_style
    if style == 0:
        batch_no = f"{made:%y%m%d}{n % 10}"
    elif style == 1:
        batch_no = f"{made:%y%m}{n:03d}"
    elif style == 2:
        batch_no = f"B{made:%y%m}{n:02d}"
    else:
        batch_no = f"{made:%Y%m}{n:02d}"
    if tag:
        batch_no += tag
    months = made.month - 1 + drug.shelf_life_months
    expiry = date(made.year + months // 12, months % 12 + 1, 1) - timedelta(days=1)
    return batch_no, expiry


def resolve(drugs: list[DemoDrug]) -> dict[str, DemoDrug]:
    """Generic name → drug; raises ``KeyError`` naming a regimen drug missing from the catalog."""
    by_name = {d.generic_name: d for d in drugs}
    names = {n for options in ACUTE.values() for option in options for n, _ in option}
    names |= {n for regimens in CHRONIC.values() for _, lines in regimens for n, _, _ in lines}
    names |= {n for n, _, _ in ADD_ONS}
    missing = sorted(names - set(by_name))
    if missing:
        raise KeyError(f"drugs.csv lacks the demo regimen drugs {missing}")
    return by_name


def quantity_units(drug: DemoDrug, spec: str) -> int:
    """'P2' → two packs in base units, 'U12' → 12 base units (never more than needed)."""
    count = int(spec[1:])
    return count * drug.units_per_pack if spec[0] == "P" else count


def usage_for(name: str, per_day: int, base_unit: str, given: str = "") -> str:
    if given:
        return given
    if per_day:
        return f"口服 一日{per_day}次 一次1{base_unit}"
    # never 遵医嘱 (处方管理办法 asks for a written usage): the drug's usual usage by its route
    return USAGE.get(name) or usual_usage("", base_unit, name) or f"口服 一日3次 一次1{base_unit}"
