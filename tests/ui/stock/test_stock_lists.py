"""库存 and 批次 lists (filters, packs + units, exports), the count sheet and cancelling a count; Qt's model tester."""

from __future__ import annotations

import subprocess

from stock_ui import settle, stocktake_choices
from openpyxl import load_workbook

from ui import errors


def test_on_hand_list_filters_and_exports(qtbot, qtmodeltester, stock_site, open_stock, tmp_path) -> None:
    data, small = stock_site()
    window, page = open_stock(data)
    tab = page.tab["onhand"]
    qtmodeltester.check(tab.model)
    # pinyin order: 阿 (a) before 维 (w) before 硝 (x); by character code 硝 (U+785D) came before 阿 (U+963F)
    assert [r.generic_name for r in tab.model.rows()] == ["阿莫西林胶囊", "维生素B1片", "硝苯地平缓释片"]
    amox = tab.model.find(lambda r: r.generic_name == "阿莫西林胶囊")
    cells = [tab.model.index(amox, c).data() for c in range(tab.model.columnCount())]
    assert cells[:8] == ["阿莫西林胶囊", "0.25g×24粒", "甲", "", "5盒", "120粒", "60.00", tab.model.row(amox)
                         .nearest_expiry.isoformat()]
    assert cells[9] == "效期紧急"
    assert tab.summary.text().startswith("共 3 种 · 库存金额 ¥75.12 · 近效期 1 种 · 库存不足 1 种")

    tab.vbp.setCurrentIndex(tab.vbp.findData(True))
    settle()
    assert [r.generic_name for r in tab.model.rows()] == ["硝苯地平缓释片"]
    tab.vbp.setCurrentIndex(0)
    tab.klass.setCurrentIndex(tab.klass.findData("B"))
    settle()
    assert [r.generic_name for r in tab.model.rows()] == ["维生素B1片"]
    tab.klass.setCurrentIndex(0)
    tab.search.setText("amx")
    settle()
    qtbot.waitUntil(lambda: [r.generic_name for r in tab.model.rows()] == ["阿莫西林胶囊"], timeout=10000)

    tab.export_to(tmp_path / "list.xlsx")
    tab.export_to(tmp_path / "list.pdf")
    settle()
    sheet = list(load_workbook(tmp_path / "list.xlsx").active.iter_rows(values_only=True))
    assert sheet[0][0] == "药品库存" and [r[0] for r in sheet[3:]] == ["阿莫西林胶囊", "合计"]
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "list.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "阿莫西林胶囊" in text and "硝苯地平" not in text  # the list as filtered on screen
    assert any("已导出 1 种药品" in b.text() for b in errors.open_boxes())


def test_batches_list_colours_and_filters(qtbot, qtmodeltester, stock_site, open_stock) -> None:
    data, small = stock_site()
    window, page = open_stock(data)
    tab = page.show_tab("batches")
    settle()
    qtmodeltester.check(tab.model)
    # by name in pinyin order (阿莫西林, 维生素B1, 硝苯地平; not by character code), then FEFO
    assert [b.batch_no for b in tab.model.rows()] == ["A2401", "A2409", "V2312", "N2405"]
    old = tab.model.find(lambda b: b.batch_no == "A2401")
    assert tab.model.index(old, 4).data() == "60"
    assert tab.model.index(old, 3).data(0x0009).name() == "#b3261e"  # ForegroundRole: urgent in red
    vb1 = tab.model.find(lambda b: b.batch_no == "V2312")
    assert tab.model.index(vb1, 9).data() == "无码" and tab.model.index(vb1, 5).data() == "2瓶"
    tab.set_filter_text("A24")
    assert [b.batch_no for b in tab.model.rows()] == ["A2401", "A2409"]
    tab.set_alert("urgent")
    assert [b.batch_no for b in tab.model.rows()] == ["A2401"]
    assert tab.summary.text() == "1 个批次 · 1 种药品 · 金额 ¥24.00"


def test_count_sheet_and_cancelling_a_count(qtbot, qtmodeltester, stock_site, open_stock, tmp_path) -> None:
    data, small = stock_site()
    window, page = open_stock(data)
    tab, dialog, shelves = stocktake_choices(page, "shelf")
    assert dialog.value.isEnabled() and shelves == ["A1", "B2"]
    dialog.value.setCurrentText("B2")
    dialog.start()
    settle()
    assert tab.info is not None and tab.info.scope_value == "B2"
    qtmodeltester.check(tab.model)
    assert [ln.batch_no for ln in tab.model.rows()] == ["N2405"]
    assert tab.model.index(0, 8).data() == "未盘"
    tab.model.setData(tab.model.index(0, 7), "1盒")  # what the delegate does with typed text
    assert tab.model.index(0, 7).data() == "1盒 …"  # pending until recorded
    settle()
    assert tab.model.index(0, 7).data() == "1盒" and tab.model.index(0, 8).data() == "相符"
    tab.model.setData(tab.model.index(0, 7), "abc")  # refused by the service: said plainly, value kept
    settle()
    assert tab.model.index(0, 7).data() == "1盒"
    assert any("实盘数量" in b.text() for b in errors.open_boxes())

    tab.print_sheet_to(tmp_path / "sheet.pdf")
    settle()
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "sheet.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "盘点表" in text and "N2405" in text and "按货位：B2" in text

    tab.ask_cancel()
    cancel = tab.cancel_dialog
    cancel.reason.setText("重新安排")
    cancel.confirm()
    settle()
    assert tab.info is None and tab.idle_text.text() == "盘点已取消。"
    assert [t.status for t in tab.history.rows()] == ["cancelled"]
    assert tab.history.index(0, 2).data() == "已取消"
