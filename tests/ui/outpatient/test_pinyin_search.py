"""Pinyin search with multi-reading characters, typed as a doctor types: 王长林 is found by ``wcl`` (长
cháng) and by ``wzl`` (长 zhǎng) in 居民档案 and in the 门诊收费 resident box, 曾丽萍 by ``zlp`` (the
surname reading) and ``clp``, and the prescription's drug box finds 可乐定片 by ``kyd`` (乐 read yuè)."""

from __future__ import annotations

from datetime import date

import pytest
from op_keys import OFFSCREEN_POPUP_NOISE, UNTIL_MS, press, settle, type_text
from op_seed import PASSWORD, id_number
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.bootstrap import bootstrap
from app.domain import clock
from app.services.residents.types import ResidentForm

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


@pytest.fixture
def named(clinic):  # noqa: ANN001, ANN201
    """The clinic with 王长林, 王振林 and 曾丽萍 on file and 可乐定片 in stock."""
    data, _ = clinic
    sv = bootstrap(data)
    try:
        sv.identity.sign_in("admin", PASSWORD)
        for name, birth, seq in (("王长林", "19620304", "131"), ("王振林", "19650708", "153"),
                                 ("曾丽萍", "19700101", "142")):
            sv.residents.create(ResidentForm(id_number=id_number(birth, seq), name=name, address="示例村2组5号"))
        drug = sv.catalog.create(generic_name="可乐定片", strength="75μg×100片", pack_unit="瓶", base_unit="片",
                                 units_per_pack=100, coverage_class="A", price_fen=600)
        sv.stock.receive(drug.id, "K2501", date(clock.today().year + 2, 3, 31), 5)
    finally:
        sv.close()
    return clinic


def _listed(page) -> list[str]:  # noqa: ANN001
    return [page.model.resident(i).name for i in range(page.model.rowCount())]


def test_residents_page_finds_a_name_by_every_reading(qtbot, named, doctor_window) -> None:  # noqa: ANN001
    window, page = doctor_window("residents")
    assert QApplication.focusWidget() is page.search
    for typed, names in (("wcl", ["王长林"]), ("wzl", ["王振林", "王长林"]), ("zlp", ["曾丽萍"]), ("clp", ["曾丽萍"])):
        page.search.clear()
        type_text(typed)
        qtbot.waitUntil(lambda names=names: _listed(page) == names, timeout=UNTIL_MS)
    assert page.model.resident(0).pinyin_abbr == "zlp"


def test_outpatient_resident_box_and_drug_box_find_other_readings(qtbot, named, doctor_window) -> None:  # noqa: ANN001
    window, page = doctor_window("outpatient")
    box = page.header.resident_box
    assert QApplication.focusWidget() is box
    type_text("wcl")
    qtbot.waitUntil(lambda: box.popup_visible() and [r.name for r in box.results] == ["王长林"], timeout=UNTIL_MS)
    box.clear()
    type_text("wzl")  # 长 read zhǎng: both namesakes by initials, the 拼音码 match first
    qtbot.waitUntil(lambda: [r.name for r in box.results] == ["王振林", "王长林"], timeout=UNTIL_MS)
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.header.coverage is not None, timeout=UNTIL_MS)
    assert page.header.resident.name == "王长林"
    settle()

    page.rx.focus_drug_box()
    type_text("kyd")  # 可乐定 with 乐 read yuè
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.rx.model.rowCount() == 1, timeout=UNTIL_MS)
    assert page.rx.model.lines[0].drug.generic_name == "可乐定片"
