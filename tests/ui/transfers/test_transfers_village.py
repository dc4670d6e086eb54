"""A village clinic's 报量 from the keyboard: the suggestion for N months, a quantity typed as 14片, a submit
with nothing asked for refused, 撤回 with a reason; and the 调拨入库 tab with nothing on its way."""

from __future__ import annotations

import pytest
import shiboken6
from op_keys import OFFSCREEN_POPUP_NOISE, press, settle
from PySide6.QtCore import Qt
from stock_seed import seed_small
from stock_ui import activate
from transfers_ui import cell_texts, type_cell

from app.bootstrap import bootstrap

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def test_a_requisition_is_asked_for_and_withdrawn(make_site, open_transfers, qtbot, artifact) -> None:
    data = make_site("village")
    sv = bootstrap(data)
    try:
        sv.identity.sign_in("admin", "secret123")
        small = seed_small(sv)
    finally:
        sv.close()
    window, page = open_transfers("village", "doctor", data)
    tab = page.tab["requisitions"]
    assert page.tabs.currentWidget() is tab and "还没有报量单" in tab.count.text()
    assert not tab.cancel_button.isEnabled()
    press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    settle()
    dialog = tab.dialog
    assert dialog.isVisible() and dialog.months.value() == 1
    suggested = {line.source.drug_id: line for line in dialog.model.lines()}
    assert small.nife.id in suggested  # it has a minimum stock, so it is suggested up to it
    assert suggested[small.nife.id].source.suggested_units > 0
    for n in range(dialog.model.rowCount()):  # every quantity cleared: nothing asked for
        dialog.table.start(n)
        type_cell(qtbot, dialog.table, "0")
    dialog.submit()
    assert dialog.isVisible() and "没有数量大于 0 的药品" in dialog.error.text()
    dialog.months.setValue(2)  # the suggestion for two months
    settle()
    row = dialog.model.find(lambda r: r.source.drug_id == small.nife.id)
    dialog.table.start(row)
    type_cell(qtbot, dialog.table, "14片")
    assert not dialog.error.isVisible()
    dialog.months.setValue(3)  # what was typed stays when the months change
    settle()
    row = dialog.model.find(lambda r: r.source.drug_id == small.nife.id)
    assert dialog.model.index(row, 5).data() == "14片"
    press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle()
    assert not shiboken6.isValid(dialog) or not dialog.isVisible(), dialog.error.text()
    activate(qtbot, window)
    assert cell_texts(tab.model, "状态") == ["待审核"] and cell_texts(tab.model, "目标") == ["3 个月"]
    assert [line.requested_units for line in tab.lines.rows()] == [14]
    assert cell_texts(tab.lines, "报量") == ["14片"]
    assert tab.cancel_button.isEnabled()
    # 撤回 (Del): a reason is required
    tab.view.setFocus()
    press(Qt.Key.Key_Delete)
    settle()
    confirm = tab.dialog
    assert confirm.isVisible() and "撤回报量单" in confirm.windowTitle()
    confirm.confirm()
    assert confirm.isVisible() and "撤回原因" in confirm.error.text()
    confirm.reason.setText("重新报量")
    confirm.confirm()
    settle()
    assert not shiboken6.isValid(confirm) or not confirm.isVisible()
    assert cell_texts(tab.model, "状态") == ["已撤回"] and not tab.cancel_button.isEnabled()
    artifact(window, "transfers-village-withdrawn")
    incoming = page.show_tab("incoming", focus=True)
    settle()
    assert incoming.incoming.rowCount() == 0 and "没有在途的调拨单" in incoming.waiting.text()
    assert not incoming.receive_button.isEnabled()
    artifact(window, "transfers-village-incoming-empty")
    window.close()
