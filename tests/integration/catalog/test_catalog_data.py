"""The bundled catalog (resources/catalog/drugs.csv) and diagnosis list are real data that import cleanly."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from app.bootstrap import bootstrap
from app.domain.codes import check_national_code
from app.paths import resource
from app.services.demo.catalog import ACUTE, CHRONIC, DIAGNOSIS_WEIGHTS, catalog_values, demo_drugs, diagnoses, resolve

REQUIRED = (
    "阿托伐他汀钙片", "瑞舒伐他汀钙片", "苯磺酸氨氯地平片", "硝苯地平缓释片(Ⅱ)", "厄贝沙坦片", "缬沙坦胶囊", "氯沙坦钾片",
    "吲达帕胺片", "琥珀酸美托洛尔缓释片", "盐酸二甲双胍片", "格列美脲片", "阿卡波糖片", "阿莫西林胶囊", "头孢呋辛酯片",
    "头孢克肟胶囊", "左氧氟沙星片", "阿奇霉素片", "阿司匹林肠溶片", "硫酸氢氯吡格雷片", "奥美拉唑肠溶胶囊",
    "布洛芬缓释胶囊", "对乙酰氨基酚片", "孟鲁司特钠片", "氯雷他定片",
)


def _rows() -> list[dict[str, str]]:
    with resource("catalog", "drugs.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _ean13_ok(code: str) -> bool:
    digits = [int(c) for c in code]
    return (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12])) % 10) % 10 == digits[12]


def test_catalog_holds_real_vbp_drugs_with_plausible_fields() -> None:
    rows = _rows()
    names = [r["generic_name"] for r in rows]
    assert len(set(names)) == len(names)
    assert set(REQUIRED) <= set(names)
    vbp = [r for r in rows if r["is_vbp"] == "1"]
    assert len(vbp) >= 65
    assert all(re.fullmatch(r"国家第[一二三四五六七八九十]+批", r["vbp_round"]) for r in vbp)
    assert {r["coverage_class"] for r in rows} == {"A", "B", "C"}
    assert 1 <= sum(r["coverage_class"] == "C" for r in rows) <= 6
    codes, barcodes = set(), set()
    for r in rows:
        code, warning = check_national_code(r["national_code"])
        assert warning is None and code == r["national_code"]
        assert len(code) == (20 if r["category"] == "中成药" else 23)
        assert re.fullmatch(r"69\d{11}", r["barcode"]) and _ean13_ok(r["barcode"])
        assert re.fullmatch(r"国药准字[HZ]\d{8}", r["approval_no"])
        assert (r["approval_no"][4] == "Z") == (r["category"] == "中成药")
        assert int(r["units_per_pack"]) >= 1 and int(r["min_stock_units"]) % int(r["units_per_pack"]) == 0
        assert r["class_b_self_bp"] == "" or r["coverage_class"] == "B"
        codes.add(code)
        barcodes.add(r["barcode"])
    assert len(codes) == len(rows) == len(barcodes)
    price = {r["generic_name"]: (int(r["price_fen"]), r["strength"], int(r["units_per_pack"])) for r in rows}
    assert price["苯磺酸氨氯地平片"][1:] == ("5mg", 28) and 120 <= price["苯磺酸氨氯地平片"][0] <= 900
    assert price["盐酸二甲双胍片"][1:] == ("0.5g", 60) and price["盐酸二甲双胍片"][0] <= 500
    assert all(50 <= int(r["price_fen"]) <= 3000 for r in vbp)  # 集采 prices are low


def test_catalog_imports_cleanly_through_the_catalog_importer(tmp_path: Path) -> None:
    sv = bootstrap(tmp_path / "data", backup_before_migrate=False)
    try:
        sv.sites.create_standalone("township", "示例镇卫生院", "tadmin", "secret123")
        result = sv.catalog.import_file(resource("catalog", "drugs.csv"))
        assert (result.created, result.updated) == (len(_rows()), 0)
        assert result.warnings == ()
        amlodipine = sv.catalog.search("bhsaldpp", 5)
        assert [d.generic_name for d in amlodipine] == ["苯磺酸氨氯地平片"]
        assert amlodipine[0].retail_price_fen == amlodipine[0].price_fen  # 零差价
        again = sv.catalog.import_file(resource("catalog", "drugs.csv"))
        assert (again.created, again.updated) == (0, len(_rows()))
    finally:
        sv.close()


def test_demo_rows_equal_what_the_importer_stores() -> None:
    values = catalog_values()
    assert len(values) == len(_rows())
    assert values[0]["retail_price_fen"] == values[0]["price_fen"] and values[0]["pinyin_abbr"]


def test_diagnoses_and_regimens_fit_the_catalog() -> None:
    codes = diagnoses()
    assert 35 <= len(codes) <= 60
    assert codes["I10"] == "原发性高血压" and codes["E11.9"] == "2型糖尿病" and codes["J06.9"] == "急性上呼吸道感染"
    assert all(re.fullmatch(r"[A-Z]\d{2}(\.\d{1,2})?", c) for c in codes)
    for table in DIAGNOSIS_WEIGHTS.values():
        assert set(table) <= set(codes) and set(table) <= set(ACUTE)
    assert set(ACUTE) <= set(codes)
    drugs = demo_drugs([f"id{i}" for i in range(len(catalog_values()))])
    by_name = resolve(drugs)  # every regimen drug is in the catalog
    assert set(CHRONIC) == {"I10", "E11"}
    used = {n for options in ACUTE.values() for o in options for n, _ in o}
    used |= {n for regimens in CHRONIC.values() for _, lines in regimens for n, _, _ in lines}
    assert len(used) >= 0.85 * len(by_name)  # nearly every catalog drug is prescribed somewhere


@pytest.mark.parametrize("name", ["surnames.csv", "given_names.csv"])
def test_name_lists_are_present(name: str) -> None:
    with resource("names", name).open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 100
