"""库存台账: the paged stock card model (keyset pages through fetchMore), filters, export and 冲正."""

from __future__ import annotations

import sqlite3

from openpyxl import load_workbook
from PySide6.QtCore import Qt
from stock_ui import bulk_card, settle

from app.services.stock.queries import CardPage
from ui.dialogs.stock_confirm import ConfirmDialog
from ui.models.stock_card import PAGE_SIZE, StockCardModel

ROWS = 3000


def test_model_fetches_keyset_pages_on_demand(qtbot, qtmodeltester, stock_site) -> None:
    data, small = stock_site()
    bulk_card(_db(data), small.vb1.id, ROWS)
    from app.bootstrap import bootstrap

    sv = bootstrap(data)
    calls: list[int | None] = []
    try:
        def page_fn(after: int | None, limit: int) -> CardPage:
            calls.append(after)
            return sv.stock.stock_card_page(None, small.vb1.id, after, limit, newest_first=True)

        model = StockCardModel()
        model.reset_with(page_fn, page_fn(None, PAGE_SIZE), ("瓶", "片", 100))
        assert model.rowCount() == PAGE_SIZE and model.canFetchMore() and model.pages == 1
        newest = model.movement(0)
        assert newest.balance_units == 200 + 1  # the seeded 2 bottles + what the bulk load left
        model.fetchMore()
        assert model.rowCount() == 2 * PAGE_SIZE and calls[-1] == model.movement(PAGE_SIZE - 1).seq
        while model.canFetchMore():
            model.fetchMore()
        assert model.rowCount() == ROWS + 1 and model.exhausted()
        seqs = [model.movement(r).seq for r in range(model.rowCount())]
        assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
        oldest = model.movement(model.rowCount() - 1)
        assert (oldest.kind, oldest.quantity, oldest.balance_units) == ("receipt", 200, 200)
        index = model.index(1, 5)
        assert model.data(index) == "" and model.data(model.index(1, 6)) == "1"  # 入库 empty, 出库 1
        assert model.data(model.index(0, 8)) == "2瓶1片"
        assert model.pages == len(calls) == ROWS // PAGE_SIZE + 1

        checked = StockCardModel(page_size=100)  # Qt's model tester, watching a few fetches
        checked.reset_with(page_fn, page_fn(None, 100), ("瓶", "片", 100))
        qtmodeltester.check(checked)  # fetches a page itself
        checked.fetchMore()
        assert checked.rowCount() >= 300 and checked.rowCount() % 100 == 0  # the tester fetches too
    finally:
        sv.close()


def _db(data):  # noqa: ANN001, ANN202
    from app.paths import DataDir

    return DataDir(data).database


def test_card_tab_opens_a_long_card_at_once_and_filters(qtbot, stock_site, open_stock, tmp_path) -> None:
    data, small = stock_site()
    bulk_card(_db(data), small.vb1.id, ROWS)
    window, page = open_stock(data)
    page.show_card(small.vb1.id)
    settle()
    tab = page.tab["card"]
    assert tab.model.rowCount() == PAGE_SIZE and tab.model.pages == 1  # only the first page was read
    assert tab.title.text() == "维生素B1片 10mg×100片"
    assert "当前库存 2瓶1片（201片）" in tab.balance.text()
    assert tab.status.text() == f"台账共 {ROWS + 1:,} 条，已显示 {PAGE_SIZE} 条，向下滚动加载更多"  # 3,001
    tab.view.scrollToBottom()  # the view asks the model for more
    settle()
    assert tab.model.rowCount() >= 2 * PAGE_SIZE

    tab.newest_first.setChecked(False)  # oldest first: the receipt of the seeded batch
    settle()
    assert tab.model.movement(0).kind == "receipt" and tab.model.movement(0).batch_no == "V2312"
    tab.kind.setCurrentIndex(tab.kind.findData("receipt"))
    settle()
    assert [tab.model.movement(r).batch_no for r in range(tab.model.rowCount())] == ["V2312", "BULK01"]
    assert tab.status.text() == "已显示 2 条"

    tab.export_to(tmp_path / "card.xlsx")
    settle()
    sheet = load_workbook(tmp_path / "card.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "库存台账：维生素B1片 10mg×100片" and len(rows) == 3 + 2
    tab.export_to(tmp_path / "card.pdf")
    settle()
    assert (tmp_path / "card.pdf").read_bytes().startswith(b"%PDF")


def test_reversal_from_the_card_needs_a_reason_and_confirmation(qtbot, stock_site, open_stock) -> None:
    data, small = stock_site()
    window, page = open_stock(data)
    page.show_card(small.amox.id)
    settle()
    tab = page.tab["card"]
    assert [tab.model.movement(r).batch_no for r in range(tab.model.rowCount())] == ["A2409", "A2401"]
    tab.view.setCurrentIndex(tab.model.index(0, 0))  # the newest receipt: A2409, 3 boxes
    tab.view.setFocus()
    qtbot.keyClick(tab.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = tab.reverse_dialog
    assert isinstance(dialog, ConfirmDialog) and dialog.isVisible()
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # no reason yet: refused inline
    settle()
    assert dialog.isVisible() and "冲正原因不能为空" in dialog.error.text()
    qtbot.keyClicks(dialog.reason, "duplicate")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    settle()
    assert not dialog.isVisible()
    kinds = [(tab.model.movement(r).kind, tab.model.movement(r).quantity) for r in range(tab.model.rowCount())]
    assert kinds == [("reversal", -72), ("receipt", 72), ("receipt", 48)]
    assert tab.model.is_reversed(tab.model.movement(1))
    con = sqlite3.connect(f"file:{_db(data)}?mode=ro", uri=True)
    try:
        reason, on_hand = con.execute(
            "SELECT m.reason, b.on_hand FROM stock_movements m JOIN batches b ON b.id = m.batch_id "
            "WHERE m.kind = 'reversal'").fetchone()
        audit = con.execute("SELECT count(*) FROM audit_log WHERE action = 'stock.reverse'").fetchone()[0]
    finally:
        con.close()
    assert (reason, on_hand, audit) == ("duplicate", 0, 1)
    # a reversal cannot be reversed: said plainly, nothing written
    tab.view.setCurrentIndex(tab.model.index(0, 0))
    tab.ask_reverse()
    from ui import errors

    assert any("冲正记录不能再冲正" in b.text() or "不能再冲正" in b.text() for b in errors.open_boxes())


def test_opening_a_card_at_once_keeps_every_drug_in_the_list(qtbot, stock_site, open_stock) -> None:
    """The drug list and the card load side by side: the card's answer never throws the list's away."""
    data, small = stock_site()
    window, page = open_stock(data)
    page.show_card(small.vb1.id)  # straight away, while the list is still loading
    settle()
    tab = page.tab["card"]
    listed = {tab.drugs.item(i).data(Qt.ItemDataRole.UserRole) for i in range(tab.drugs.count())}
    assert {small.vb1.id, small.amox.id} <= listed and tab.drugs.count() >= 3
    assert tab.drugs.currentItem().data(Qt.ItemDataRole.UserRole) == small.vb1.id
