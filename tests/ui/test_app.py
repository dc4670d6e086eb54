"""Application set-up: the bundled font, Qt's Chinese translations, the style sheet, the crash hook."""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QMessageBox

from ui import errors
from ui.app import _parse, setup_application


def test_bundled_font_is_the_app_font(styled_app) -> None:
    assert styled_app.font().family() == "WenQuanYi Micro Hei"
    assert "WenQuanYi Micro Hei" in QFontDatabase.families()
    assert styled_app.font().pixelSize() == 14


def test_qt_speaks_chinese(styled_app) -> None:
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    assert QLocale().language() == QLocale.Language.Chinese
    box = QMessageBox(QMessageBox.Icon.Question, "t", "x", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    assert {b.text() for b in box.buttons()} == {"是(&Y)", "否(&N)"}
    box.deleteLater()


def test_style_sheet_is_loaded_with_icon_paths(styled_app) -> None:
    sheet = styled_app.styleSheet()
    assert "#tile[severity=\"danger\"]" in sheet
    assert "@ICONS@" not in sheet and "chevron-down.svg" in sheet
    assert setup_application(styled_app) is styled_app  # idempotent


def test_crash_hook_writes_a_log_and_shows_its_path(styled_app, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    monkeypatch.setattr(errors, "_log_dir", None)
    errors.install_crash_handler(tmp_path / "logs")
    try:
        raise KeyError("未知字段")
    except KeyError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    logs = list((tmp_path / "logs").glob("crash-*.log"))
    assert len(logs) == 1 and "KeyError" in logs[0].read_text(encoding="utf-8")
    crash = [b for b in errors.open_boxes() if b.objectName() == "crashBox"]
    assert crash and str(logs[0]) in crash[-1].text()


def test_expected_errors_reaching_the_hook_are_shown_plainly(styled_app, tmp_path, monkeypatch) -> None:
    from app.domain.errors import RuleViolation

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(errors, "_log_dir", None)
    errors.install_crash_handler(tmp_path / "logs")
    exc = RuleViolation("库存不足：阿莫西林胶囊只剩 12 粒", "数量")
    sys.excepthook(type(exc), exc, None)
    assert not (tmp_path / "logs").exists() or not list((tmp_path / "logs").glob("*.log"))
    assert [b.text() for b in errors.open_boxes() if b.objectName() == "errorBox"][-1] == "库存不足：阿莫西林胶囊只剩 12 粒"


def test_gui_arguments() -> None:
    assert _parse(["--data", "/tmp/x"]).data == "/tmp/x"
    assert _parse([]).data is None
    args = _parse(["--data", "d", "-style", "fusion"])
    assert args.data == "d" and args.qt_args == ["-style", "fusion"]  # Qt's own options pass through


def test_a_crash_on_another_thread_is_logged_and_shown_in_the_gui_thread(styled_app, tmp_path, monkeypatch, qtbot) -> None:
    import threading

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(errors, "_log_dir", None)
    errors.install_crash_handler(tmp_path / "logs")

    def boom() -> None:
        raise RuntimeError("后台线程出错")

    thread = threading.Thread(target=boom)
    thread.start()
    thread.join()
    logs = list((tmp_path / "logs").glob("crash-*.log"))
    assert len(logs) == 1 and "后台线程出错" in logs[0].read_text(encoding="utf-8")
    qtbot.waitUntil(lambda: any(str(logs[0]) in b.text() for b in errors.open_boxes()), timeout=10000)
