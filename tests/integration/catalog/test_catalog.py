"""Catalog: search, pinyin override, 零差价, import with upsert."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from stock_helpers import Clinic

from app.domain.errors import ValidationError


def test_search_by_pinyin_name_barcode_and_national_code(clinic: Clinic) -> None:
    cat = clinic.sv.catalog
    assert [d.id for d in cat.search("amx")] == [clinic.amox.id]
    assert [d.id for d in cat.search("B1")] == [clinic.vb1.id]
    assert [d.id for d in cat.search("6901234567890")] == [clinic.amox.id]
    assert [d.id for d in cat.search("xc08can050a010010100483")] == [clinic.nife.id]
    assert {d.id for d in cat.search("")} == {clinic.amox.id, clinic.nife.id, clinic.vb1.id}
    assert cat.search("100%") == []


def test_any_reading_finds_a_drug_and_lists_are_in_full_pinyin_order(clinic: Clinic) -> None:
    cat = clinic.sv.catalog
    made = {name: cat.create(generic_name=name, strength="10片", pack_unit="盒", base_unit="片", units_per_pack=10,
                             price_fen=500, coverage_class="A").id
            for name in ("可乐定片", "西藏红花", "氨氯地平片", "别嘌醇片", "布洛芬缓释胶囊")}
    assert [d.generic_name for d in cat.search("kld")] == ["可乐定片"]
    assert [d.generic_name for d in cat.search("kyd")] == ["可乐定片"]  # 乐 read yuè
    assert [d.generic_name for d in cat.search("xchh")] == ["西藏红花"]  # 藏 read cáng
    # 拼音码 matches before matches by another reading: 阿 is also ē (emxl), 复方… stays out
    assert [d.generic_name for d in cat.search("a")] == ["阿莫西林胶囊", "氨氯地平片"]
    assert [d.generic_name for d in cat.search("e")] == ["阿莫西林胶囊"]
    listed = [d.generic_name for d in cat.search("")]
    assert listed == ["阿莫西林胶囊", "氨氯地平片", "别嘌醇片", "布洛芬缓释胶囊", "可乐定片", "维生素B1片", "西藏红花",
                      "硝苯地平缓释片"]
    # a typed 拼音码 is searched first, and the name's readings still find the drug
    custom = cat.update(made["可乐定片"], pinyin_abbr="KLD1")
    assert custom.pinyin_abbr == "kld1" and [d.id for d in cat.search("kld1")] == [custom.id]
    assert [d.id for d in cat.search("kyd")] == [custom.id]
    assert [d.id for d in cat.search("ctw")] == []
    renamed = cat.update(made["西藏红花"], generic_name="藏红花")
    assert (renamed.pinyin_abbr, renamed.pinyin_sort) == ("zhh", "zang4 hong2 hua1")
    assert [d.id for d in cat.search("chh")] == [renamed.id] and cat.search("xchh") == []
    clinic.sv.stock.receive(made["可乐定片"], "K01", date(2030, 1, 31), "2")
    assert [r.generic_name for r in clinic.sv.stock.on_hand("kyd")] == ["可乐定片"]


def test_blank_national_code_is_kept_with_a_warning(clinic: Clinic) -> None:
    assert clinic.vb1.national_code == ""
    assert any("医保药品编码" in w for w in clinic.vb1.warnings)
    assert clinic.amox.warnings == ()


def test_pinyin_override_survives_rename_and_can_be_reset(clinic: Clinic) -> None:
    cat = clinic.sv.catalog
    assert clinic.amox.pinyin_abbr == "amxljn"
    renamed = cat.update(clinic.amox.id, generic_name="阿莫西林片")
    assert renamed.pinyin_abbr == "amxlp"
    custom = cat.update(clinic.amox.id, pinyin_abbr="AMX")
    assert (custom.pinyin_abbr, custom.pinyin_overridden) == ("amx", True)
    assert cat.update(clinic.amox.id, generic_name="阿莫西林分散片").pinyin_abbr == "amx"
    assert cat.reset_pinyin(clinic.amox.id).pinyin_abbr == "amxlfsp"


def test_retail_price_follows_procurement_price_unless_marked(clinic: Clinic) -> None:
    cat = clinic.sv.catalog
    assert cat.update(clinic.nife.id, price_fen=790).retail_price_fen == 790
    marked = cat.update(clinic.nife.id, zero_markup=False, retail_price_fen=900)
    assert (marked.price_fen, marked.retail_price_fen, marked.zero_markup) == (790, 900, False)
    with pytest.raises(ValidationError) as err:
        cat.update(clinic.nife.id, zero_markup=True, retail_price_fen=1000)
    assert err.value.field == "零售价"


def test_class_b_ratio_only_for_class_b(clinic: Clinic) -> None:
    assert clinic.sv.catalog.update(clinic.vb1.id, class_b_self_bp="10%").class_b_self_bp == 1000
    with pytest.raises(ValidationError) as err:
        clinic.sv.catalog.update(clinic.amox.id, class_b_self_bp=1000)
    assert err.value.field == "乙类先行自付比例"


def test_duplicate_national_code_refused(clinic: Clinic) -> None:
    with pytest.raises(ValidationError) as err:
        clinic.sv.catalog.create(generic_name="另一个", national_code=clinic.amox.national_code)
    assert err.value.field == "医保药品编码" and "阿莫西林胶囊" in str(err.value)


def test_import_csv_then_xlsx_upserts(clinic: Clinic, tmp_path: Path) -> None:
    csv_path = tmp_path / "drugs.csv"
    csv_path.write_text(
        "generic_name,strength,maker,units_per_pack,price_fen,coverage_class,national_code,pack_unit,base_unit,is_vbp\n"
        "布洛芬缓释胶囊,0.3g×20粒,甲药厂,20,560,乙,XM01AEB100E001010100483,盒,粒,是\n"
        "藿香正气水,10ml×10支,乙药厂,10,1500,甲,,盒,支,否\n"
        f"阿莫西林胶囊,0.25g×24粒,某药业,24,1100,甲,{clinic.amox.national_code},盒,粒,否\n",
        encoding="utf-8",
    )
    result = clinic.sv.catalog.import_file(csv_path)
    assert (result.created, result.updated) == (2, 1)
    assert any(w.startswith("第 3 行") for w in result.warnings)  # blank national code
    assert clinic.sv.catalog.get(clinic.amox.id).price_fen == 1100
    ibu = clinic.sv.catalog.search("blfhsjn")[0]
    assert (ibu.units_per_pack, ibu.coverage_class, ibu.is_vbp, ibu.retail_price_fen) == (20, "B", True, 560)
    wb = Workbook()
    wb.active.append(["通用名", "规格", "生产企业", "转换比", "进价(元)", "医保类别", "货位"])
    wb.active.append(["藿香正气水", "10ml×10支", "乙药厂", 10, 15.5, "甲", "C3"])  # no code: matched by name
    xlsx = tmp_path / "drugs.xlsx"
    wb.save(xlsx)
    result = clinic.sv.catalog.import_file(xlsx)
    assert (result.created, result.updated) == (0, 1)
    hx = clinic.sv.catalog.search("hxzqs")[0]
    assert (hx.price_fen, hx.shelf, hx.pinyin_abbr) == (1550, "C3", "hxzqs")


def test_import_refuses_the_same_drug_twice_in_a_file(clinic: Clinic, tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("通用名,规格\n甲药,1g\n甲药,1g\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        clinic.sv.catalog.import_file(path)
    assert "第 3 行" in str(err.value) and "第 2 行" in str(err.value)
