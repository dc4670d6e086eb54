"""门诊收费 with a thermal printer chosen in 设置: 补打 (F6) and the reversal slip (F8) go to the ESC/POS
printer — a network printer on a loopback port here, which gets the slip's GB18030 text and native QR
code — and the 80 mm PDF is kept beside it; a printer that does not answer (a closed loopback port)
leaves the PDF and a message saying what to check."""

from __future__ import annotations

import pytest
from op_keys import OFFSCREEN_POPUP_NOISE, UNTIL_MS, pdf_text, press, reverse_by_keys, settle
from op_seed import PASSWORD, settle_visit
from PySide6.QtCore import Qt
from thermal_listener import LoopbackPrinter, closed_port

from app.printing.thermal_connection import THERMAL_SETTING

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def _choose_thermal(data, value: str) -> None:  # noqa: ANN001
    """The admin picks the thermal printer in 设置 (through the service, before the window opens)."""
    from app.bootstrap import bootstrap

    sv = bootstrap(data)
    try:
        sv.identity.sign_in("admin", PASSWORD)
        sv.settings.set(THERMAL_SETTING, value)
    finally:
        sv.close()


def test_a_printer_that_does_not_answer_keeps_the_pdf_and_says_what_to_check(qtbot, doctor_window, clinic, db, artifact):
    data, seeded = clinic
    port = closed_port()
    _choose_thermal(data, f"network:127.0.0.1:{port}")
    first = settle_visit(data, seeded)
    window, page = doctor_window()
    press(Qt.Key.Key_F3)
    assert page.today.current().id == first.id
    press(Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: page.prints.last is not None, timeout=UNTIL_MS)
    settle()
    outcome = page.prints.last
    assert outcome.fallback and not outcome.printed and outcome.path.exists()
    assert outcome.path.name.startswith(f"收据-{first.receipt_no}")
    text = pdf_text(outcome.path)  # the 80 mm receipt, whole
    assert first.receipt_no in text and "现金支付" in text
    banner = page.banner.text()
    assert f"热敏打印机（网络 127.0.0.1:{port}）没有响应" in banner and "电源" in banner
    assert "主机地址和端口" in banner and str(outcome.path) in banner
    assert page.banner.property("kind") == "warn"
    artifact(window, "outpatient-thermal-printer-not-answering")
    assert window.last_action.text().endswith(" · 已存为 PDF")
    assert db("SELECT paper FROM receipt_prints") == [("80mm",)]


def test_reprint_and_reversal_slip_go_to_the_thermal_printer_and_the_pdf_is_kept(qtbot, doctor_window, clinic):
    data, seeded = clinic
    printer = LoopbackPrinter()
    try:
        _choose_thermal(data, f"network:127.0.0.1:{printer.port}")
        first = settle_visit(data, seeded)
        window, page = doctor_window()
        press(Qt.Key.Key_F3)
        press(Qt.Key.Key_F6)
        qtbot.waitUntil(lambda: page.prints.last is not None, timeout=UNTIL_MS)
        receipt = page.prints.last
        assert receipt.printed and not receipt.fallback and receipt.path.exists()
        assert f"收据已送热敏打印机（网络 127.0.0.1:{printer.port}）" in page.banner.text()
        assert first.receipt_no in pdf_text(receipt.path)

        reverse_by_keys(qtbot, page, "charged twice")
        qtbot.waitUntil(lambda: page.prints.last is not receipt, timeout=UNTIL_MS)
        slip = page.prints.last
        assert slip.printed and slip.path.name.startswith("冲正-") and "冲正/退费凭证" in pdf_text(slip.path)
        assert "冲正凭证已送热敏打印机" in page.banner.text()
    finally:
        printer.close()
    assert len(printer.jobs) == 2
    receipt_job, slip_job = printer.jobs
    for job in printer.jobs:
        assert job.startswith(b"\x1b@\x1c&") and b"\x1d(k" in job and first.id.encode() in job
        assert "示例村卫生室".encode("gb18030") in job and "示例村卫生室".encode("utf-8") not in job
    assert "门诊收费票据".encode("gb18030") in receipt_job and first.receipt_no.encode() in receipt_job
    reversal_no = slip.path.stem.removeprefix("冲正-")
    assert "冲正/退费凭证".encode("gb18030") in slip_job and reversal_no.encode() in slip_job
    assert "冲正原因：charged twice".encode("gb18030") in slip_job and "退还现金".encode("gb18030") in slip_job
