"""The 处方 table at 1366×768: a 5-line prescription of long-named drugs, typed with the keyboard, shows
every number whole (数量 单价 金额 sized to their content) and the drug's name and 规格 whole; the text
columns (批次/效期, 用法用量) give up width first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem, QTableView

from op_keys import OFFSCREEN_POPUP_NOISE, UNTIL_MS, press, settle, type_text
from op_seed import PASSWORD

from app.domain import clock

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)

SHOT = "/tmp/cunyi-outpatient-rx-1366.png"
#: (generic name, 剂型, 规格, pack, base unit, units per pack, price per pack in fen, quantity typed)
LONG_DRUGS = (
    ("门冬胰岛素30注射液(笔芯)", "注射液", "3ml:300单位×1支", "支", "支", 1, 6893, "12"),
    ("缬沙坦氨氯地平片(Ⅰ)", "片剂", "80mg/5mg×7片", "盒", "片", 7, 2316, "14"),
    ("琥珀酸美托洛尔缓释片", "缓释片", "47.5mg×7片", "盒", "片", 7, 1937, "10片"),
    ("厄贝沙坦氢氯噻嗪片", "片剂", "150mg/12.5mg×7片", "盒", "片", 7, 12345, "120"),
    ("硫酸沙丁胺醇吸入气雾剂", "气雾剂", "100μg×200揿", "支", "支", 1, 2250, "3"),
)


def _seed_long_drugs(data) -> list[str]:  # noqa: ANN001
    """The five drugs in the catalog with plenty of stock; returns their pinyin codes."""
    from app.bootstrap import bootstrap

    sv = bootstrap(data)
    try:
        sv.identity.sign_in("admin", PASSWORD)
        codes = []
        expiry = clock.today().replace(year=clock.today().year + 2)
        for name, form, strength, pack, base, per_pack, price, _qty in LONG_DRUGS:
            drug = sv.catalog.create(generic_name=name, form=form, strength=strength, pack_unit=pack, base_unit=base,
                                     units_per_pack=per_pack, coverage_class="B", class_b_self_bp=1000, price_fen=price)
            sv.stock.receive(drug.id, f"L{len(codes)}", expiry, 5000 * per_pack,
                             at=clock.now() - timedelta(days=3))
            codes.append(drug.pinyin_abbr)
        return codes
    finally:
        sv.close()


def _cell_fits(view: QTableView, row: int, col: int) -> tuple[bool, str]:
    """Does the cell's text, in the font it is painted in, fit its column's displayed width minus the padding?"""
    index = view.model().index(row, col)
    text = str(index.data() or "")
    font = index.data(Qt.ItemDataRole.FontRole)
    metrics = QFontMetrics(font.resolve(view.font())) if isinstance(font, QFont) else view.fontMetrics()
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    advance = metrics.horizontalAdvance(text)
    padding = view.itemDelegate().sizeHint(option, index).width() - advance
    assert padding >= 8  # the delegate's text margins, at least
    return advance <= view.columnWidth(col) - padding, f"{text!r}: {advance}+{padding} > {view.columnWidth(col)}"


def test_five_long_lines_show_numbers_names_and_spec_whole(qtbot, doctor_window, clinic) -> None:
    data, _ = clinic
    codes = _seed_long_drugs(data)
    window, page = doctor_window("outpatient")
    assert (window.width(), window.height()) == (1366, 768)
    page.rx.focus_drug_box()
    for i, (code, drug) in enumerate(zip(codes, LONG_DRUGS, strict=True)):
        type_text(code)
        qtbot.waitUntil(lambda: page.rx.drug_box.popup_visible(), timeout=UNTIL_MS)
        press(Qt.Key.Key_Return)
        qtbot.waitUntil(lambda n=i: page.rx.model.rowCount() == n + 1, timeout=UNTIL_MS)
        settle()
        press(Qt.Key.Key_Tab)  # 数量
        type_text(drug[-1])
        press(Qt.Key.Key_Return)  # on to 用法用量, prefilled
        settle()
        press(Qt.Key.Key_Return)  # back in the drug box
        settle()
        assert QApplication.focusWidget() is page.rx.drug_box
    qtbot.waitUntil(lambda: all(line.batches is not None for line in page.rx.model.lines), timeout=UNTIL_MS)
    settle()
    model, view = page.rx.model, page.rx.table
    assert [line.drug.generic_name for line in model.lines] == [d[0] for d in LONG_DRUGS]
    assert model.data(model.index(3, model.AMOUNT)) == "14814.00"  # 120 boxes of 123.45
    window.grab().save(SHOT)

    for row in range(model.rowCount()):
        for col in (model.QTY, model.UNIT, model.PRICE, model.AMOUNT, model.CLASS, model.NAME, model.SPEC):
            fits, why = _cell_fits(view, row, col)
            assert fits, f"第{row + 1}行 {model.COLUMNS[col]} {why}"
    # the narrowing went to the text columns that carry their whole text elsewhere (tooltip, editor)
    assert view.columnWidth(model.BATCH) < page.rx.columns.content_width(model.BATCH)
    assert sum(view.columnWidth(c) for c in range(model.columnCount())) <= view.viewport().width()
