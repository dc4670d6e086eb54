"""Screenshots of every 药品库存 tab and dialog at 1366×768 with a lived-in shelf (tests/artifacts/stock_*.png).

Besides keeping the pictures, it checks what a picture would show wrong: the window keeps its size
(nothing forces it wider), and the main tables need no sideways scrolling.
"""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from stock_ui import activate, settle

from ui.dialogs.stock_drug import DrugDialog, ImportProblemsDialog
from ui.pages.stock.page import TABS

SIZE = (1366, 768)


def test_every_tab_and_dialog_renders_cleanly(qtbot, demo_site, open_stock, artifact, tmp_path) -> None:
    data, password = demo_site()
    window, page = open_stock(data, "admin", password)
    window.resize(*SIZE)
    settle()
    for key in TABS:
        tab = page.show_tab(key, focus=True)
        settle()
        if key == "card":
            tab.drugs.setCurrentRow(1)
            settle()
        assert (window.width(), window.height()) == SIZE, f"{key} makes the window larger"
        view = getattr(tab, "view", None)
        if view is not None:
            assert not view.horizontalScrollBar().isVisible(), f"{key}: the table scrolls sideways"
        image = artifact(window, f"stock_{key}")
        assert image.stat().st_size > 20_000

    # a count in progress, two lines counted
    tab = page.show_tab("stocktake")
    tab.ask_start()
    dialog = tab.start_dialog
    settle()
    artifact(dialog, "stock_dialog_start")
    dialog.start()
    settle()
    activate(qtbot, window)
    for row, text in ((0, "1"), (2, "3")):
        tab.model.setData(tab.model.index(row, 7), text)
    settle()
    tab.scan.setText("amx")
    tab.locate()
    settle()
    assert tab.stack.currentIndex() == 1 and tab.model.counted() == 2
    artifact(window, "stock_stocktake_counting")
    tab.ask_finalise()
    settle()
    artifact(tab.finalise_dialog, "stock_dialog_finalise")
    tab.finalise_dialog.reject()

    # the search list on the receiving form
    receive = page.show_tab("receive")
    activate(qtbot, window)
    receive.form.drug_box.setFocus()
    qtbot.keyClicks(receive.form.drug_box, "a")
    qtbot.waitUntil(receive.form.drug_box.popup_visible, timeout=10000)
    artifact(window, "stock_search_popup")
    receive.form.drug_box.hide_popup()

    # write-off confirmation, drug editor, import errors
    writeoff = page.show_tab("writeoff")
    batches = window.ctx.sv.stock.batches()
    writeoff.preset(batches[2].batch_id)
    settle()
    writeoff.quantity.setText("1")
    writeoff.submit()
    artifact(writeoff.confirm_dialog, "stock_dialog_write_off")
    writeoff.confirm_dialog.reject()
    catalog = page.show_tab("catalog")
    settle()
    catalog.ask_edit()
    assert isinstance(catalog.dialog, DrugDialog)
    artifact(catalog.dialog, "stock_dialog_drug")
    catalog.dialog.reject()
    bad = tmp_path / "bad.csv"
    bad.write_text("通用名,转换比,医保药品编码\n头孢氨苄胶囊,abc,\n蒙脱石散,10,X12\n,5,\n", encoding="utf-8")
    catalog.import_path(bad)
    settle()
    assert isinstance(catalog.problems_dialog, ImportProblemsDialog)
    artifact(catalog.problems_dialog, "stock_dialog_import_errors")
    catalog.problems_dialog.close()
    QApplication.processEvents()
