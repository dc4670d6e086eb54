"""Lists scanned by name are in pinyin order (阿莫西林 before 硝苯地平), not by character code (硝 U+785D
comes before 阿 U+963F): the on-hand list, batches, the stock card's drug list, the catalog (grouped by
分类, the categories in pinyin order too) and the stocktake's 分类/货位 choices."""

from __future__ import annotations

from datetime import date

from stock_ui import settle, stocktake_choices

from app.bootstrap import bootstrap
from app.domain import clock
from ui.models.sorting import pinyin_key, pinyin_sorted

#: the seeded three plus two more, so each list has names whose code order differs from pinyin order
EXTRA = (("硝酸甘油片", "xsgyp", "心血管", "C9"), ("阿司匹林肠溶片", "asplcrp", "心血管", "C9"))
PINYIN = ["阿莫西林胶囊", "阿司匹林肠溶片", "维生素B1片", "硝苯地平缓释片", "硝酸甘油片"]


def _add_drugs(data) -> None:  # noqa: ANN001
    sv = bootstrap(data)
    try:
        sv.identity.sign_in("admin", "secret123")
        for name, abbr, category, shelf in EXTRA:
            drug = sv.catalog.create(generic_name=name, strength="10片", pack_unit="盒", base_unit="片",
                                     units_per_pack=10, price_fen=500, coverage_class="A", category=category,
                                     shelf=shelf)
            assert drug.pinyin_abbr == abbr
            sv.stock.receive(drug.id, "P01", date(clock.today().year + 2, 1, 31), "1")
    finally:
        sv.close()


def test_pinyin_key_orders_by_reading() -> None:
    names = ["硝苯地平缓释片", "维生素B1片", "阿莫西林胶囊"]
    assert sorted(names) == ["硝苯地平缓释片", "维生素B1片", "阿莫西林胶囊"]  # character code: wrong for people
    assert pinyin_sorted(names) == ["阿莫西林胶囊", "维生素B1片", "硝苯地平缓释片"]
    assert pinyin_key("阿胶") == ("e1 jiao1", "阿胶") > pinyin_key("阿莫西林")  # 阿胶 is ējiāo: sorted under e, not a
    # full pinyin, not initials: 阿莫西林 (a mo) before 氨氯地平 (an lv), 别嘌醇 (bie) before 布洛芬 (bu)
    assert pinyin_sorted(["布洛芬片", "氨氯地平片", "别嘌醇片", "阿莫西林胶囊"]) == [
        "阿莫西林胶囊", "氨氯地平片", "别嘌醇片", "布洛芬片"]
    assert pinyin_sorted([("b", "心血管"), ("a", "抗感染")], lambda p: p[1]) == [("a", "抗感染"), ("b", "心血管")]


def test_stock_lists_and_catalog_are_in_pinyin_order(qtbot, stock_site, open_stock) -> None:
    data, _small = stock_site()
    _add_drugs(data)
    window, page = open_stock(data)

    onhand = page.tab["onhand"]
    assert [r.generic_name for r in onhand.model.rows()] == PINYIN

    batches = page.show_tab("batches")
    settle()
    names = [b.generic_name for b in batches.model.rows()]
    assert list(dict.fromkeys(names)) == PINYIN and names.count("阿莫西林胶囊") == 2

    card = page.show_tab("card")
    settle()
    listed = [card.drugs.item(i).text().split(" ")[0] for i in range(card.drugs.count())]
    assert listed == PINYIN

    catalog = page.show_tab("catalog")
    settle()
    # 抗感染 (kgr) · 维生素 (wss) · 心血管 (xxg), each group by 拼音码
    assert [(d.category, d.generic_name) for d in catalog.model.rows()] == [
        ("抗感染", "阿莫西林胶囊"), ("维生素", "维生素B1片"),
        ("心血管", "阿司匹林肠溶片"), ("心血管", "硝苯地平缓释片"), ("心血管", "硝酸甘油片")]
    catalog.search.setText("片")  # name matches come in pinyin order too
    catalog.refresh()
    settle()
    assert [d.generic_name for d in catalog.model.rows()] == ["阿司匹林肠溶片", "维生素B1片", "硝苯地平缓释片", "硝酸甘油片"]

    _tab, dialog, categories = stocktake_choices(page, "category")
    assert categories == ["抗感染", "维生素", "心血管"]
    dialog.reject()
