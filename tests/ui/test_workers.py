"""The Op helper: one database thread, results in the GUI thread, errors shown or logged."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QMessageBox, QWidget

from app.domain.errors import ValidationError
from ui import errors
from ui.workers import Op, hub, runner, wait_idle


def test_ops_run_on_one_worker_thread_and_answer_in_the_gui_thread(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    ran_on: list[int] = []
    answered_on: list[int] = []
    results: list[int] = []

    def work(n: int) -> int:
        ran_on.append(threading.get_ident())
        return n * n

    for n in range(5):
        Op(parent, lambda n=n: work(n)).success(lambda r: (results.append(r), answered_on.append(threading.get_ident()))).run()
    assert wait_idle()
    assert results == [0, 1, 4, 9, 16]  # one thread: submission order is kept
    assert len(set(ran_on)) == 1
    assert ran_on[0] != threading.get_ident()
    assert set(answered_on) == {threading.get_ident()}
    assert runner().idle()


def test_expected_failure_goes_to_the_failure_callback(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: list[ValidationError] = []

    def fail() -> None:
        raise ValidationError("数量必须大于 0，请重新输入数量", "数量")

    Op(parent, fail).success(lambda _r: seen.append(None)).failure(seen.append).run()
    assert wait_idle()
    assert len(seen) == 1 and seen[0].field == "数量"


def test_expected_failure_without_callback_is_shown_plainly(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()

    def fail() -> None:
        raise ValidationError("机构名称不能为空", "机构名称")

    Op(parent, fail).run()
    assert wait_idle()
    boxes = [b for b in errors.open_boxes() if b.objectName() == "errorBox"]
    assert [b.text() for b in boxes] == ["机构名称不能为空"]
    assert boxes[0].icon() == QMessageBox.Icon.Warning


def test_unexpected_failure_writes_a_crash_log_and_shows_its_path(qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(errors, "_log_dir", tmp_path)
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()

    def bug() -> None:
        raise ZeroDivisionError("division by zero")

    Op(parent, bug).failure(lambda _e: None).run()  # failure() handles expected errors only
    assert wait_idle()
    logs = list(tmp_path.glob("crash-*.log"))
    assert len(logs) == 1
    text = logs[0].read_text(encoding="utf-8")
    assert "ZeroDivisionError: division by zero" in text and ", in bug" in text and "村医通版本" in text
    boxes = [b for b in errors.open_boxes() if b.objectName() == "crashBox"]
    assert len(boxes) == 1 and str(logs[0]) in boxes[0].text()


def test_changes_emit_data_changed_and_busy_restores_the_cursor(qtbot) -> None:
    from PySide6.QtWidgets import QApplication

    parent = QWidget()
    qtbot.addWidget(parent)
    with qtbot.waitSignal(hub().data_changed, timeout=10000) as signal:
        Op(parent, lambda: 1).busy("请稍候").changes("settings").run()
        assert QApplication.overrideCursor() is not None
    assert signal.args == ["settings"]
    assert wait_idle()
    assert QApplication.overrideCursor() is None


def test_callbacks_are_skipped_when_the_parent_is_gone(qtbot) -> None:
    parent = QWidget()
    seen: list[int] = []
    gate = threading.Event()
    Op(parent, lambda: gate.wait(5) and 1).success(seen.append).run()
    parent.deleteLater()
    qtbot.wait(10)  # the widget is deleted while the op still runs
    gate.set()
    assert wait_idle()
    assert seen == []


def test_call_blocks_until_the_database_thread_answers() -> None:
    worker = runner().call(threading.get_ident)
    assert worker != threading.get_ident()
    try:
        runner().call(lambda: 1 / 0)
    except ZeroDivisionError:
        pass
    else:
        raise AssertionError("call() must re-raise")


def test_long_work_shows_how_far_it_got(qtbot) -> None:
    """``op.report`` from the database thread: the busy dialog shows the latest line, in the GUI thread."""
    from PySide6.QtWidgets import QProgressDialog

    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    step, go_on = threading.Event(), threading.Event()

    def work() -> str:
        op.report("正在导入：500 / 2000 种")
        step.wait(10)
        op.report("正在导入：1500 / 2000 种")
        go_on.wait(10)
        return "done"

    op = Op(parent, work).busy("正在检查并导入…")
    op.run()

    def label() -> str:
        dialogs = [w for w in parent.window().findChildren(QProgressDialog) if w.isVisible()]
        return dialogs[0].labelText() if dialogs else ""

    qtbot.waitUntil(lambda: label() == "正在导入：500 / 2000 种", timeout=10000)
    step.set()
    qtbot.waitUntil(lambda: label() == "正在导入：1500 / 2000 种", timeout=10000)
    go_on.set()
    assert wait_idle()
    assert label() == ""  # closed when the work is done


def test_the_keyboard_comes_back_to_the_field_once_the_busy_dialog_closes(qtbot) -> None:
    """A busy dialog takes the keyboard while it shows; when it closes the window and the field the user
    was in have it again, and a success callback can move it on (the outpatient page's next patient). A user
    who went to another window meanwhile keeps the keyboard there."""
    from PySide6.QtWidgets import QApplication, QLineEdit, QProgressDialog, QVBoxLayout

    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    first, second = QLineEdit(), QLineEdit()
    layout.addWidget(first)
    layout.addWidget(second)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=10000)
    first.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first, timeout=10000)

    def run_busy(then=None, meanwhile=None) -> None:  # noqa: ANN001
        gate = threading.Event()
        op = Op(first, lambda: gate.wait(10))
        if then is not None:
            op.success(lambda _: then())
        op.busy("正在结算…").run()
        qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(QProgressDialog)), timeout=10000)
        # the dialog has the keyboard meanwhile (activation is delivered as an event: it may come later)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not first, timeout=10000)
        if meanwhile is not None:
            meanwhile()
        gate.set()
        assert wait_idle()

    def has_keyboard(widget: QLineEdit) -> bool:
        return window.isActiveWindow() and QApplication.focusWidget() is widget

    run_busy()
    qtbot.waitUntil(lambda: has_keyboard(first), timeout=10000)
    run_busy(then=second.setFocus)
    qtbot.waitUntil(lambda: has_keyboard(second), timeout=10000)

    # the user goes to another window while waiting (one standing for another program): it keeps the keyboard
    elsewhere = QLineEdit()
    qtbot.addWidget(elsewhere)

    def go_elsewhere() -> None:
        elsewhere.show()
        elsewhere.activateWindow()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is elsewhere, timeout=10000)

    run_busy(meanwhile=go_elsewhere)
    qtbot.wait(300)  # time for an activation the op might have asked for
    assert elsewhere.isActiveWindow() and QApplication.focusWidget() is elsewhere and not window.isActiveWindow()
