"""How failures reach the user.

Expected failures (``app.domain.errors.CunyiError``) carry a Chinese message that names the field and
says what to do: ``show_error`` shows it as it is. Anything else is a bug: ``report_crash`` writes the
traceback to ``DATA/logs/crash-*.log`` and shows a dialog with that path; the program keeps running.
Dialogs open window-modal without blocking (``QMessageBox.open``) so tests and ops never hang on them.
"""

from __future__ import annotations

import platform
import sys
import threading
import tempfile
import traceback
from datetime import datetime
from pathlib import Path
from types import TracebackType

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.domain.errors import CunyiError

_log_dir: Path | None = None
_open_boxes: list[QMessageBox] = []


def set_log_dir(path: Path) -> None:
    """Crash logs go to ``path`` (the data folder's ``logs/``) from now on."""
    global _log_dir
    _log_dir = Path(path)


def log_dir() -> Path:
    return _log_dir or Path(tempfile.gettempdir()) / "cunyi-logs"


def _parent(parent: QWidget | None) -> QWidget | None:
    if parent is not None:
        return parent.window()
    return QApplication.activeWindow()


def _show(box: QMessageBox) -> QMessageBox:
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _open_boxes.append(box)
    box.finished.connect(lambda _result, b=box: _open_boxes.remove(b) if b in _open_boxes else None)
    box.open()
    return box


def show_error(parent: QWidget | None, error: CunyiError | str, title: str = "无法完成操作") -> QMessageBox:
    """Show an expected failure's Chinese message plainly (not blocking)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, str(error), QMessageBox.StandardButton.Ok, _parent(parent))
    box.setObjectName("errorBox")
    return _show(box)


def show_info(parent: QWidget | None, text: str, title: str = "提示") -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, _parent(parent))
    box.setObjectName("infoBox")
    return _show(box)


def open_boxes() -> list[QMessageBox]:
    """Message boxes currently shown (tests read their text)."""
    _open_boxes[:] = [b for b in _open_boxes if shiboken6.isValid(b)]
    return list(_open_boxes)


def write_crash_log(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> Path:
    """Write one crash log file and return its path."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now()
    path = folder / f"crash-{stamp:%Y%m%d-%H%M%S}-{stamp.microsecond:06d}.log"
    from importlib.metadata import PackageNotFoundError, version

    try:
        app_version = version("cunyi")
    except PackageNotFoundError:
        app_version = "dev"
    header = [
        f"时间: {stamp:%Y-%m-%d %H:%M:%S}",
        f"村医通版本: {app_version}",
        f"Python: {sys.version.split()[0]}  系统: {platform.platform()}",
        "",
    ]
    body = "".join(traceback.format_exception(exc_type, exc, tb))
    path.write_text("\n".join(header) + body, encoding="utf-8")
    return path


def report_crash(exc: BaseException, parent: QWidget | None = None) -> Path | None:
    """Log an unexpected exception and tell the user where the log is. Returns the log path."""
    try:
        path = write_crash_log(type(exc), exc, exc.__traceback__)
    except OSError:
        traceback.print_exception(exc)
        return None
    traceback.print_exception(exc, file=sys.stderr)
    detail = "".join(traceback.format_exception(exc))
    if _gui_thread():
        _crash_box(path, detail, parent)
    elif QApplication.instance() is not None:
        _relay().crashed.emit(path, detail)  # widgets live in the GUI thread
    return path


class _Relay(QObject):
    """Carries a crash reported on another thread to the GUI thread."""

    crashed = Signal(object, str)


_relay_object: _Relay | None = None


def _relay() -> _Relay:
    global _relay_object
    if _relay_object is None or not shiboken6.isValid(_relay_object):
        _relay_object = _Relay(QApplication.instance())
        _relay_object.crashed.connect(lambda path, detail: _crash_box(path, detail, None),
                                      Qt.ConnectionType.QueuedConnection)
    return _relay_object


def _crash_box(path: Path, detail: str, parent: QWidget | None) -> None:
    text = (
        "程序遇到了意外错误，刚才的操作没有完成。\n\n"
        f"错误已记录到：\n{path}\n\n请把这个文件发给技术支持。已保存的数据不受影响。"
    )
    box = QMessageBox(QMessageBox.Icon.Critical, "意外错误", text, QMessageBox.StandardButton.Ok, _parent(parent))
    box.setObjectName("crashBox")
    box.setDetailedText(detail)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    _show(box)


def install_crash_handler(folder: Path) -> None:
    """Route uncaught exceptions (Qt slots, other threads too) to ``report_crash``."""
    set_log_dir(folder)
    if QApplication.instance() is not None:
        _relay()  # created in the GUI thread, so other threads can reach it

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        if isinstance(exc, CunyiError) and _gui_thread():
            show_error(None, exc)
            return
        exc.__traceback__ = tb
        report_crash(exc)

    sys.excepthook = hook
    threading.excepthook = lambda args: hook(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)


def _gui_thread() -> bool:
    app = QApplication.instance()
    return app is not None and QThread.currentThread() is app.thread()
