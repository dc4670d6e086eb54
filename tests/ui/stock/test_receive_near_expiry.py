"""入库 by keyboard: mistakes come back in the order of the form, and a near-expiry batch is received only
after a confirmation that names the days left (Esc: nothing written; Enter: received)."""

from __future__ import annotations

from datetime import timedelta

from stock_ui import activate, settle
from PySide6.QtCore import Qt
from test_receive_writeoff import enter, focus, pick, query

from app.domain import clock
from ui.dialogs.stock_confirm import ConfirmDialog


def _open_receive(qtbot, stock_site, open_stock):  # noqa: ANN001, ANN202
    data, small = stock_site()
    window, page = open_stock(data, "doctor")
    qtbot.keyClick(focus(), Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)  # 入库
    settle()
    return data, small, page.tab["receive"].form, window


def _type(qtbot, form, batch: str, expiry: str, quantity: str) -> None:  # noqa: ANN001
    """Drug already picked: batch, expiry, quantity by keyboard, then Enter on through 进价 to the codes box."""
    for text in (batch, expiry, quantity):
        qtbot.keyClick(focus(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(focus(), text)
        enter(qtbot)
    enter(qtbot)  # keep the price
    enter(qtbot)  # past 无追溯码
    assert focus() is form.codes


def _submit(qtbot, form) -> None:  # noqa: ANN001
    qtbot.keyClick(focus(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle()


def test_errors_come_in_the_order_of_the_form(qtbot, stock_site, open_stock) -> None:
    data, small, form, window = _open_receive(qtbot, stock_site, open_stock)
    pick(qtbot, form.drug_box, "amxl")
    _type(qtbot, form, "A2501", "2020-01-31", "1.5")  # expired, a fraction, and no trace code scanned
    _submit(qtbot, form)
    assert "效期" in form.error.text() and "过期" in form.error.text() and focus() is form.expiry
    form.expiry.setText((clock.today() + timedelta(days=400)).isoformat())
    form.codes.setFocus()
    _submit(qtbot, form)
    assert "数量" in form.error.text() and "1.5" in form.error.text() and focus() is form.quantity
    form.quantity.setText("2")
    form.codes.setFocus()
    _submit(qtbot, form)
    assert "药品追溯码" in form.error.text() and focus() is form.codes
    assert query(data, "SELECT count(*) FROM batches WHERE batch_no='A2501'") == [(0,)]


def test_a_near_expiry_batch_is_received_after_confirming_the_days_left(qtbot, stock_site, open_stock) -> None:
    data, small, form, window = _open_receive(qtbot, stock_site, open_stock)
    expiry = clock.today() + timedelta(days=45)
    pick(qtbot, form.drug_box, "amxl")
    _type(qtbot, form, "A2502", expiry.isoformat(), "2")
    form.no_codes.setChecked(True)
    _submit(qtbot, form)
    dialog = form.near_dialog
    assert isinstance(dialog, ConfirmDialog) and dialog.isVisible() and focus() is dialog.ok_button
    texts = " ".join(label.text() for label in dialog.findChildren(type(form.codes_count)))
    assert "只剩 45 天" in texts and expiry.isoformat() in texts and "近效期为 180 天内" in texts
    assert query(data, "SELECT count(*) FROM batches WHERE batch_no='A2502'") == [(0,)]  # asked first

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # not now: nothing written, the form kept
    settle()
    assert not dialog.isVisible() and "只剩 45 天" in form.error.text()
    assert query(data, "SELECT count(*) FROM batches WHERE batch_no='A2502'") == [(0,)]
    assert form.batch_no.text() == "A2502"

    activate(qtbot, window)  # the window manager gives the focus back after a dialog; offscreen does not
    form.quantity.setFocus()
    _submit(qtbot, form)
    dialog = form.near_dialog
    assert dialog.isVisible()
    qtbot.keyClick(dialog.ok_button, Qt.Key.Key_Return)  # Enter confirms
    settle()
    assert not dialog.isVisible() and form.message.text().startswith("已入库：阿莫西林胶囊")
    assert query(data, "SELECT on_hand, expiry FROM batches WHERE batch_no='A2502'") == [(48, expiry.isoformat())]
