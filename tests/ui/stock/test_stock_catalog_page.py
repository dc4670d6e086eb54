"""药品目录: add and edit through the dialog (errors name the field), CSV import with a row-error dialog, roles."""

from __future__ import annotations

from stock_ui import settle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ui import errors
from ui.dialogs.stock_drug import DrugDialog, ImportProblemsDialog

HEADER = "通用名,规格,包装单位,最小单位,转换比,生产企业,医保药品编码,医保类别,集采药品,进价(元),货位\n"


def test_add_and_edit_drugs_in_the_dialog(qtbot, qtmodeltester, stock_site, open_stock) -> None:
    data, small = stock_site()
    window, page = open_stock(data)
    tab = page.show_tab("catalog", focus=True)
    settle()
    qtmodeltester.check(tab.model)
    assert tab.model.rowCount() == 3 and not tab.add_button.isHidden()

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = tab.dialog
    assert isinstance(dialog, DrugDialog) and dialog.windowTitle() == "新增药品"
    dialog.edits["generic_name"].setText("布洛芬缓释胶囊")  # Chinese arrives from the input method
    for key, text in (("strength", "0.3g"), ("pack_unit", "box"), ("base_unit", "cap"), ("shelf", "C3")):
        qtbot.keyClicks(dialog.edits[key], text)
    dialog.units_per_pack.setValue(20)
    dialog.coverage.setCurrentIndex(dialog.coverage.findData("B"))
    qtbot.keyClicks(dialog.class_b, "10%")
    qtbot.keyClicks(dialog.price, "8.5")
    dialog.save()
    settle()
    assert not dialog.isVisible() and dialog.saved is not None
    assert dialog.saved.pinyin_abbr == "blfhsjn" and dialog.saved.class_b_self_bp == 1000
    assert (dialog.saved.price_fen, dialog.saved.retail_price_fen) == (850, 850)  # 零差价
    assert any("未填写医保药品编码" in b.text() for b in errors.open_boxes())  # the service's warning
    assert tab.model.rowCount() == 4
    for box in errors.open_boxes():
        box.close()

    row = tab.model.find(lambda d: d.id == small.amox.id)
    tab.view.setCurrentIndex(tab.model.index(row, 0))
    tab.ask_edit()
    dialog = tab.dialog
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=10000)
    assert dialog.windowTitle() == "编辑药品" and dialog.edits["generic_name"].text() == "阿莫西林胶囊"
    code = dialog.edits["national_code"]
    code.selectAll()
    qtbot.keyClicks(code, "X123")
    dialog.save()
    settle()
    assert dialog.isVisible() and "医保药品编码" in dialog.error.text() and dialog.focusWidget() is code
    code.setText(small.amox.national_code)
    dialog.edits["shelf"].selectAll()
    qtbot.keyClicks(dialog.edits["shelf"], "C9")
    qtbot.keyClick(dialog.edits["shelf"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    settle()
    assert not dialog.isVisible() and dialog.saved.shelf == "C9" and dialog.saved.pinyin_abbr == "amxljn"
    assert tab.model.row(tab.model.find(lambda d: d.id == small.amox.id)).shelf == "C9"


def test_import_shows_row_errors_then_imports_a_clean_file(qtbot, stock_site, open_stock, tmp_path) -> None:
    data, small = stock_site()
    window, page = open_stock(data)
    tab = page.show_tab("catalog")
    settle()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "头孢氨苄胶囊,0.25g,盒,粒,abc,某厂,,甲,否,3.20,A2\n"
                            "蒙脱石散,3g,盒,袋,10,某厂,X12,甲,是,9.00,A3\n", encoding="utf-8")
    tab.import_path(bad)
    settle()
    dialog = tab.problems_dialog
    assert isinstance(dialog, ImportProblemsDialog) and dialog.isVisible()
    found = [(dialog.table.item(r, 0).text(), dialog.table.item(r, 1).text()) for r in range(dialog.table.rowCount())]
    assert found == [("2", "转换比"), ("3", "医保药品编码")]
    assert tab.model.rowCount() == 3  # nothing imported
    dialog.close()

    good = tmp_path / "good.csv"
    good.write_text(HEADER + "头孢氨苄胶囊,0.25g,盒,粒,24,某厂,,甲,否,3.20,A2\n", encoding="utf-8")
    tab.import_path(good)
    settle()
    assert any(b.text().startswith("导入完成：新增 1 种，更新 0 种。") for b in errors.open_boxes())
    assert tab.model.rowCount() == 4


def test_a_village_doctor_reads_the_catalog_only(qtbot, stock_site, open_stock) -> None:
    data, small = stock_site()
    window, page = open_stock(data, "doctor")
    tab = page.show_tab("catalog")
    settle()
    assert tab.add_button.isHidden() and tab.import_button.isHidden() and tab.edit_button.isHidden()
    row = tab.model.find(lambda d: d.id == small.nife.id)
    tab.view.setCurrentIndex(tab.model.index(row, 0))
    tab.view.setFocus()
    qtbot.keyClick(tab.view, Qt.Key.Key_Return)  # Enter: its stock card instead of the editor
    settle()
    assert page.current_key() == "card" and page.tab["card"].drug_id == small.nife.id


def test_township_pharmacist_keeps_the_catalog_and_writes_off_without_return(qtbot, make_site, open_window) -> None:
    window = open_window("township", "pharmacist", data=make_site("township"))
    window.go("stock")
    settle()
    page = window.pages["stock"]
    assert page.tabs.tabText(5) == "报损" and page.tab["batches"].return_button.isHidden()
    writeoff = page.tab["writeoff"]
    assert [writeoff.kind.itemData(i) for i in range(writeoff.kind.count())] == ["write_off"]
    catalog = page.show_tab("catalog")
    settle()
    assert not catalog.add_button.isHidden() and catalog.model.rowCount() == 0
    assert page.tab["onhand"].summary.text().startswith("共 0 种")


def test_a_village_doctor_is_offered_only_the_stock_work_the_services_allow(qtbot, stock_site, open_stock) -> None:
    """报损, 冲正 and catalog upkeep are an administrator's: hidden here because the services refuse them."""
    data, small = stock_site()
    window, page = open_stock(data, "doctor")
    assert page.tabs.tabText(5) == "退回乡镇"
    writeoff = page.tab["writeoff"]
    assert [writeoff.kind.itemData(i) for i in range(writeoff.kind.count())] == ["return"]
    assert writeoff.submit_button.text() == "退回乡镇… (Ctrl+Enter)"
    batches = page.tab["batches"]
    assert batches.write_off_button.isHidden() and not batches.return_button.isHidden()
    assert page.tab["card"].reverse_button.isHidden()
    admin_window, admin_page = open_stock(data, "admin")
    assert admin_page.tabs.tabText(5) == "报损/退回" and not admin_page.tab["card"].reverse_button.isHidden()
    assert not admin_page.tab["batches"].write_off_button.isHidden()
