"""DrugSearchBox: pinyin initials → list → Enter picks; arrows move; a scanner's barcode + Enter picks at once."""

from __future__ import annotations

from stock_ui import settle
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from app.bootstrap import bootstrap
from ui.widgets.search_box import DrugSearchBox


def ime_commit(widget, text: str) -> None:  # noqa: ANN001
    """Chinese text arrives from the input method as a commit (QTest types ASCII only)."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def _box(qtbot, data):  # noqa: ANN001, ANN202
    sv = bootstrap(data)
    host = QWidget()
    host.resize(700, 420)
    layout = QVBoxLayout(host)
    box = DrugSearchBox(host, sv.catalog.search)
    layout.addWidget(box)
    layout.addStretch(1)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    box.setFocus()
    picked: list = []
    box.picked.connect(picked.append)
    return sv, host, box, picked


def test_pinyin_initials_show_a_list_and_enter_picks(qtbot, stock_site) -> None:
    data, small = stock_site()
    sv, host, box, picked = _box(qtbot, data)
    try:
        qtbot.keyClicks(box, "amxl")
        qtbot.waitUntil(box.popup_visible, timeout=10000)
        popup = box.popup()
        assert popup.count() == 1 and popup.item(0).text().startswith("阿莫西林胶囊")
        assert "amxl" in popup.item(0).text()
        qtbot.keyClick(box, Qt.Key.Key_Return)
        assert [d.generic_name for d in picked] == ["阿莫西林胶囊"]
        assert not box.popup_visible() and box.text() == "阿莫西林胶囊 0.25g×24粒"

        # a broader prefix: arrows move in the list, Esc closes it without picking
        box.clear()
        qtbot.keyClicks(box, "x")  # 硝苯地平 (xbdp) only … and nothing else starts with x
        qtbot.waitUntil(box.popup_visible, timeout=10000)
        box.clear()
        ime_commit(box, "片")  # a name substring: 硝苯地平缓释片, 维生素B1片
        qtbot.waitUntil(lambda: box.popup_visible() and box.popup().count() == 2, timeout=10000)
        qtbot.keyClick(box, Qt.Key.Key_Down)
        assert box.popup().currentRow() == 1
        qtbot.keyClick(box, Qt.Key.Key_Escape)
        assert not box.popup_visible() and len(picked) == 1
        qtbot.keyClick(box, Qt.Key.Key_Down)  # ↓ on a closed list searches again
        settle()
        assert box.popup_visible()
        qtbot.keyClick(box, Qt.Key.Key_Down)
        qtbot.keyClick(box, Qt.Key.Key_Return)
        assert picked[-1].generic_name == box.results()[1].generic_name

        # nothing found: the list says so and Enter picks nothing
        box.clear()
        qtbot.keyClicks(box, "zzzz")
        qtbot.waitUntil(box.popup_visible, timeout=10000)
        assert box.popup().item(0).text().startswith("没有找到“zzzz”")
        qtbot.keyClick(box, Qt.Key.Key_Return)
        assert len(picked) == 2
    finally:
        sv.close()


def test_scanner_barcode_with_enter_picks_without_waiting(qtbot, stock_site) -> None:
    data, small = stock_site()
    sv, host, box, picked = _box(qtbot, data)
    try:
        qtbot.keyClicks(box, "6901234567890")  # the scanner types the code and Enter at once
        qtbot.keyClick(box, Qt.Key.Key_Return)
        settle()
        assert [d.id for d in picked] == [small.amox.id]
        assert not box.popup_visible()
        # a national code works the same way, case-insensitively
        box.clear()
        qtbot.keyClicks(box, small.nife.national_code.lower())
        qtbot.keyClick(box, Qt.Key.Key_Return)
        settle()
        assert picked[-1].id == small.nife.id
    finally:
        sv.close()


def test_clear_on_pick_empties_the_box_and_a_second_enter_adds_nothing(qtbot, stock_site) -> None:
    data, small = stock_site()
    sv = bootstrap(data)
    try:
        host = QWidget()
        layout = QVBoxLayout(host)
        box = DrugSearchBox(host, sv.catalog.search, clear_on_pick=True)  # how a prescription adds lines
        layout.addWidget(box)
        qtbot.addWidget(host)
        host.show()
        picked: list = []
        box.picked.connect(picked.append)
        qtbot.keyClicks(box, "wss")
        qtbot.keyClick(box, Qt.Key.Key_Return)  # before the list arrives: the top match
        settle()
        assert [d.id for d in picked] == [small.vb1.id] and box.text() == "" and box.current is None
        qtbot.keyClick(box, Qt.Key.Key_Return)
        settle()
        assert len(picked) == 1
    finally:
        sv.close()
