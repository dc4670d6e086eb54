"""居民档案 without typing: the site's residents listed household by household (natural address order,
the head first), fetched page by page as the list scrolls; search narrows it and clearing the box
brings the list back with the same resident selected; the list model under qtmodeltester."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from op_keys import OFFSCREEN_POPUP_NOISE, UNTIL_MS, press, settle, type_text
from op_seed import PASSWORD, Clinic, id_number
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.domain import clock
from ui.models import residents as residents_models
from ui.models.residents import ResidentsModel

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)

#: the seeded 王五 (1组7号), 张三 (3组12号), 李四 (5组3号), plus 张三's wife and son and a 10组 household
LIST_ORDER = ["王五", "张三", "周八", "张小明", "李四", "赵九"]


def _add_households(data: Path, clinic: Clinic) -> None:
    """张三's wife (older than his son, listed before him) and son, and a household in 10组."""
    from app.bootstrap import bootstrap
    from app.services.residents.types import EnrollmentRecord, ResidentForm

    today = clock.today()
    sv = bootstrap(data)
    try:
        sv.identity.sign_in("doctor", PASSWORD)
        household = sv.residents.get(clinic.residents["zhangsan"]).household_id
        address = "示例县示例镇示例村3组12号"
        sv.residents.create(ResidentForm(id_number("19900808", "139"), "张小明", "13800138001", address, household, "子"))
        sv.residents.create(ResidentForm(id_number("19610420", "246"), "周八", "", address, household, "配偶"))
        sv.residents.create(ResidentForm(
            id_number("19800101", "171"), "赵九", "", "示例县示例镇示例村10组2号",
            enrollments=(EnrollmentRecord(today.year, date(today.year - 1, 11, 20)),)))
    finally:
        sv.close()


def _names(model: ResidentsModel) -> list[str]:
    return [model.resident(row).name for row in range(model.rowCount())]


def test_the_sites_residents_show_without_typing(qtbot, doctor_window, clinic, db, artifact) -> None:
    data, seeded = clinic
    _add_households(data, seeded)
    window, page = doctor_window("residents")
    assert QApplication.focusWidget() is page.search and page.search.text() == ""
    qtbot.waitUntil(lambda: page.model.rowCount() == 6, timeout=UNTIL_MS)
    assert db("SELECT count(*) FROM residents") == [(6,)]
    assert _names(page.model) == LIST_ORDER  # households together; 10组 after 5组
    assert page.count_label.text().startswith("共 6 人")

    model = page.model
    zhang = _names(model).index("张三")
    cells = [model.data(model.index(zhang, col)) for col in range(model.columnCount())]
    number = seeded.ids["zhangsan"]
    assert cells[:3] == ["张三", "男", str(clock.today().year - 1959 - int(clock.today() < date(clock.today().year, 3, 12)))]
    assert cells[3] == number[:3] + "*" * 11 + number[-4:] and cells[4] == "示例村3组12号"
    assert cells[5] == "已参保" and model.data(model.index(_names(model).index("李四"), 5)) == "未参保"
    assert model.data(model.index(_names(model).index("张小明"), 6)) == "13800138001"
    assert model.data(model.index(0, 7)) == "高血压"  # 王五's chronic qualification
    assert model.data(model.index(zhang, 0), Qt.ItemDataRole.ToolTipRole) == "户主"
    assert model.data(model.index(zhang + 1, 0), Qt.ItemDataRole.ToolTipRole) == "与户主关系：配偶"
    assert model.data(model.index(zhang, 0), Qt.ItemDataRole.FontRole).bold()  # each household starts in bold
    qtbot.waitUntil(lambda: page.card.resident is not None and page.card.resident.name == "王五", timeout=UNTIL_MS)
    artifact(window, "residents-default-list")

    type_text("zs")  # search works as before
    qtbot.waitUntil(lambda: _names(page.model) == ["张三"], timeout=UNTIL_MS)
    assert page.count_label.text() == "找到 1 人" and not page.model.is_listing()
    settle()
    page.search.selectAll()
    press(Qt.Key.Key_Backspace)  # an empty box lists everyone again, 张三 still selected
    qtbot.waitUntil(lambda: page.model.rowCount() == 6, timeout=UNTIL_MS)
    settle()
    assert page.table.currentIndex().row() == zhang and page.card.resident.name == "张三"

    press(Qt.Key.Key_Down)
    assert QApplication.focusWidget() is page.table
    press(Qt.Key.Key_Return)  # edit from the list: saved, the list stays with the resident selected
    dialog = page.dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=UNTIL_MS)
    dialog.phone_edit.setText("13900139000")
    dialog.save()
    settle()
    assert db("SELECT phone FROM residents WHERE name = '张三'") == [("13900139000",)]
    assert page.search.text() == "" and page.model.is_listing() and _names(page.model) == LIST_ORDER
    assert page.model.resident(page.table.currentIndex().row()).phone == "13900139000"


def test_the_list_is_fetched_page_by_page(qtbot, doctor_window, clinic, monkeypatch) -> None:
    data, seeded = clinic
    _add_households(data, seeded)
    monkeypatch.setattr(residents_models, "PAGE_SIZE", 2)
    window, page = doctor_window("residents")
    assert page.model.page_size == 2
    # the first page, then the view asks for more until it is full (6 rows fit easily)
    qtbot.waitUntil(lambda: page.model.rowCount() == 6 and not page.model.canFetchMore(), timeout=UNTIL_MS)
    assert page.model.total() == 6 and _names(page.model) == LIST_ORDER

    type_text("zj")
    qtbot.waitUntil(lambda: _names(page.model) == ["赵九"], timeout=UNTIL_MS)
    settle()
    page.search.selectAll()
    press(Qt.Key.Key_Backspace)
    qtbot.waitUntil(page.model.is_listing, timeout=UNTIL_MS)
    settle()
    # the list is read at least through the selected resident, the last one
    assert page.model.loaded() == 6
    assert page.model.resident(page.table.currentIndex().row()).name == "赵九"


def test_list_model_pages_and_passes_the_model_tester(qtmodeltester, clinic) -> None:
    from app.bootstrap import bootstrap

    data, seeded = clinic
    _add_households(data, seeded)
    sv = bootstrap(data)
    try:
        ids = sv.residents.site_roster()
        assert [r.name for r in sv.residents.many(ids)] == LIST_ORDER
        assert [r.name for r in sv.residents.many(ids[::-1][:2])] == ["赵九", "李四"]  # in the order asked
        asked: list[list[str]] = []

        def loader(chunk: list[str], done) -> None:  # noqa: ANN001
            asked.append(chunk)
            done(sv.residents.many(chunk))

        model = ResidentsModel(loader=loader, page_size=4)
        model.set_roster(ids, sv.residents.many(ids[:4]))
        assert model.rowCount() == 4 and model.total() == 6 and model.canFetchMore()
        qtmodeltester.check(model)  # fetches the rest on its way
        while model.canFetchMore():
            model.fetchMore()
        assert _names(model) == LIST_ORDER and asked == [list(ids[4:])]
        assert not model.canFetchMore() and model.row_of(ids[5]) == 5

        model.set_residents(sv.residents.search("zs"))
        assert _names(model) == ["张三"] and not model.canFetchMore() and not model.is_listing()
        qtmodeltester.check(model)
    finally:
        sv.close()
