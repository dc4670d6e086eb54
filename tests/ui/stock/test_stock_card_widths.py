"""库存台账 and 最近入库 at 1366×768 on a drug with a six-digit balance: numbers whole, text elided first,
each document shown by its own number."""

from __future__ import annotations

import re

from stock_seed import codes
from stock_ui import settle
from PySide6.QtWidgets import QStyleOptionViewItem, QTableView

from app.domain import clock

SHOTS = "/tmp/cunyi-stock-card-1366.png"
LONG_REASON = "药房搬迁时纸箱受潮，外包装破损严重，按院内规定整批报损并拍照留存，待乡镇药管员核对后再补录说明"


def _grow(data, small) -> None:  # noqa: ANN001
    """维生素B1: 311,955 tablets on the shelf after a large receipt, a manual issue, a write-off, a reversal."""
    from app.bootstrap import bootstrap

    sv = bootstrap(data)
    try:
        big = sv.stock.receive(small.vb1.id, "B240312", clock.today().replace(year=clock.today().year + 2),
                               "3217瓶55片")
        sv.stock.dispense(small.vb1.id, "9900片")
        sv.stock.write_off(big, "100片", "other", LONG_REASON)
        wrong = sv.stock.receive(small.vb1.id, "V2602", clock.today().replace(year=clock.today().year + 2), "1")
        receipt = next(m for m in sv.stock.recent_movements(["receipt"], 5) if m.batch_id == wrong)
        sv.stock.reverse_movement(receipt.movement_id, "重复入库")
        sv.stock.receive(small.amox.id, "A2610", clock.today().replace(year=clock.today().year + 2), "4",
                         trace_codes=codes("2000001", 4))
    finally:
        sv.close()


def _padding(view: QTableView, row: int, col: int) -> tuple[int, int]:
    """(text width by QFontMetrics, what Qt's delegate needs to paint the cell unelided)."""
    index = view.model().index(row, col)
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    text = str(index.data() or "")
    return view.fontMetrics().horizontalAdvance(text), view.itemDelegate().sizeHint(option, index).width()


def _assert_whole(view: QTableView, columns: tuple[int, ...]) -> int:
    """Every cell of ``columns`` fits its column's displayed width minus the cell padding; returns cells checked."""
    checked = 0
    for row in range(view.model().rowCount()):
        for col in columns:
            text = view.model().index(row, col).data()
            if not text:
                continue
            advance, needed = _padding(view, row, col)
            padding = needed - advance
            assert padding >= 12  # the style sheet's 6 px each side, at least
            header = view.model().headerData(col, view.horizontalHeader().orientation())
            assert advance <= view.columnWidth(col) - padding, (header, text, view.columnWidth(col))
            checked += 1
    return checked


def test_card_numbers_are_never_cut_and_documents_show_their_numbers(qtbot, stock_site, open_stock) -> None:
    data, small = stock_site()
    _grow(data, small)
    window, page = open_stock(data)
    assert (window.width(), window.height()) == (1366, 768)
    page.show_card(small.vb1.id)
    settle()
    tab = page.tab["card"]
    view, model = tab.view, tab.model
    window.grab().save(SHOTS)
    balances = [model.data(model.index(r, 7)) for r in range(model.rowCount())]
    assert balances[0] == "311,955"  # the newest row: the six-digit balance, with a thousands separator
    assert "（311,955片）" in tab.balance.text()
    assert _assert_whole(view, (0, 4, 5, 6, 7, 8)) >= 4 * model.rowCount()

    # the long 原因 gave up its width first (down to a few characters), then 单据; 类型 and 批号 show whole
    reason_col = 9
    reasons = [model.data(model.index(r, reason_col)) for r in range(model.rowCount())]
    assert LONG_REASON in "".join(reasons)
    assert view.columnWidth(reason_col) == 60
    assert _assert_whole(view, (1, 3)) == 2 * model.rowCount()
    write_off = next(r for r in range(model.rowCount()) if model.movement(r).kind == "write_off")
    doc = model.index(write_off, 2)
    assert model.data(doc, 3) == f"单据：{model.data(doc)}"  # Qt.ToolTipRole: the whole text on hover
    total = sum(view.columnWidth(c) for c in range(model.columnCount()))
    assert total <= view.viewport().width()  # no sideways scrolling at 1366×768

    # documents by their own numbers: the day and the ledger number of the document's first row
    docs = [model.data(model.index(r, 2)) for r in range(model.rowCount())]
    day = f"{clock.today():%Y%m%d}"
    assert all(re.fullmatch(rf"(入库单|手工发药|报损单) {day}-\d{{4,}}", d) for d in docs), docs
    for r in range(model.rowCount()):
        m = model.movement(r)
        assert m.doc_id[-6:] not in docs[r]
        assert docs[r].endswith(f"-{min(x.seq for x in map(model.movement, range(model.rowCount())) if x.doc_id == m.doc_id):04d}")
    reversal = next(r for r in range(model.rowCount()) if model.movement(r).kind == "reversal")
    original = next(r for r in range(model.rowCount()) if model.movement(r).movement_id == model.movement(reversal).reverses_id)
    assert docs[reversal] == docs[original]  # a reversal names the document it undoes


def test_card_gives_an_empty_reason_column_only_its_header(qtbot, stock_site, open_stock) -> None:
    data, small = stock_site()
    _grow(data, small)
    window, page = open_stock(data)
    page.show_card(small.amox.id)  # receipts only: 原因 is empty on every row
    settle()
    tab = page.tab["card"]
    view, model = tab.view, tab.model
    assert not any(model.data(model.index(r, 9)) for r in range(model.rowCount()))
    fitter = next(c for c in view.children() if type(c).__name__ == "FitColumns")
    for col in range(model.columnCount() - 1):  # every other column at its content width, none cut
        assert view.columnWidth(col) >= max(fitter.content_width(col), view.horizontalHeader().sectionSizeHint(col))
    # narrow the window: text gives way, numbers stay whole
    window.resize(1024, 768)
    settle()
    assert _assert_whole(view, (0, 4, 5, 6, 7, 8)) > 0


def test_recent_receipts_show_quantities_whole(qtbot, stock_site, open_stock) -> None:
    data, small = stock_site()
    _grow(data, small)
    window, page = open_stock(data)
    tab = page.show_tab("receive")
    settle()
    view, model = tab.view, tab.model
    quantities = [model.data(model.index(r, 4)) for r in range(model.rowCount())]
    assert "3,217瓶55片" in quantities
    assert _assert_whole(view, (0, 4)) == 2 * model.rowCount()
    tip = model.data(model.index(0, 2), 3)  # Qt.ToolTipRole
    assert re.search(rf"入库单 {clock.today():%Y%m%d}-\d{{4}}", tip), tip
