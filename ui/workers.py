"""Screens never touch the database: they run services through ``Op`` on one worker thread.

Usage (Anki's ``aqt.operations`` style)::

    Op(self, lambda: sv.settings.set("idle_lock_minutes", 5)) \\
        .success(lambda _: self.saved()) \\
        .failure(self.show_inline)      # optional: CunyiError only
        .busy("正在保存…")               # optional: busy cursor, progress dialog after 0.4 s
        .changes("settings")            # optional: emit data_changed("settings") on success
        .run()

Long work says how far it got: ``op.report(text)`` may be called from ``fn`` (on the database thread),
and the busy dialog shows the latest line::

    op = Op(self, lambda: sv.catalog.import_file(path, progress=op.report)).busy("正在导入…")
    op.run()

``fn`` runs on the app's single database thread (a ``QThreadPool`` with one thread that never
expires), so writes are serial and the GUI never blocks. The result comes back to the GUI thread by
a queued Signal. A ``CunyiError`` goes to the ``failure`` callback, or to ``ui.errors.show_error``;
any other exception is a bug and goes to the crash dialog and log. Callbacks are skipped when the
``parent`` widget was deleted meanwhile. Tests wait with ``wait_idle()``.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import Future
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QElapsedTimer,
    QEvent,
    QEventLoop,
    QObject,
    QRunnable,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from app.domain.errors import CunyiError

T = TypeVar("T")

#: after this long a busy op shows its progress dialog
PROGRESS_DELAY_MS = 400
#: the database thread waits at most this long for a window's first paint (e.g. a hidden window)
FIRST_PAINT_WAIT_S = 2.0


class DataHub(QObject):
    """``data_changed(area)`` tells open pages that an area's data changed (``"*"`` = everything)."""

    data_changed = Signal(str)


class _Job(QRunnable):
    def __init__(self, runner: DbRunner, ticket: int, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._runner = runner
        self._ticket = ticket
        self._fn = fn

    def run(self) -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - everything is handed to the GUI thread
            error = exc
        if shiboken6.isValid(self._runner):  # the app may be shutting down
            self._runner._finished.emit(self._ticket, result, error)


class DbRunner(QObject):
    """The single database worker thread, living as long as the app."""

    _finished = Signal(int, object, object)
    #: emitted in the GUI thread whenever the number of pending ops changes
    pending_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(-1)
        self._ops: dict[int, Op[Any]] = {}
        self._tickets = itertools.count(1)
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def submit(self, op: Op[Any]) -> int:
        ticket = next(self._tickets)
        self._ops[ticket] = op
        self.pending_changed.emit(len(self._ops))
        self._pool.start(_Job(self, ticket, op._fn))
        return ticket

    def start_call(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` on the database thread; the caller waits on the returned future (no event loop).

        For start-up only, before any window exists: e.g. load what the first window shows while the
        main thread builds it.
        """
        future: Future[T] = Future()

        def job() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - re-raised by future.result()
                future.set_exception(exc)

        self._pool.start(job)
        return future

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the database thread and block until it returns; raises what ``fn`` raised."""
        return self.start_call(fn).result()

    def pending(self) -> int:
        return len(self._ops)

    def idle(self) -> bool:
        return not self._ops

    def wait_idle(self, timeout_ms: int = 10000) -> bool:
        """Process events until every submitted op has delivered its result (tests, shutdown)."""
        timer = QElapsedTimer()
        timer.start()
        while self._ops and timer.elapsed() < timeout_ms:
            self._pool.waitForDone(20)
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        return not self._ops

    def _deliver(self, ticket: int, result: Any, error: BaseException | None) -> None:
        op = self._ops.pop(ticket, None)
        self.pending_changed.emit(len(self._ops))
        if op is not None:
            op._complete(result, error)


_runner: DbRunner | None = None
_hub: DataHub | None = None


def runner() -> DbRunner:
    """The app's database runner (created on first use, parented to the QApplication)."""
    global _runner
    if _runner is None or not shiboken6.isValid(_runner):
        _runner = DbRunner(QCoreApplication.instance())
    return _runner


def hub() -> DataHub:
    """The app's ``data_changed`` signal hub."""
    global _hub
    if _hub is None or not shiboken6.isValid(_hub):
        _hub = DataHub(QCoreApplication.instance())
    return _hub


def wait_idle(timeout_ms: int = 10000) -> bool:
    """Wait until no op is pending; True when idle."""
    return runner().wait_idle(timeout_ms)


class FirstPaint(QObject):
    """Holds the database thread until ``window`` has painted once.

    A window's own loads (status bar, settings, the first page's figures) are ops submitted while it is
    built and shown. Were they to run at once, the database thread would hold the GIL while the window
    lays out and paints (Python takes it back only every few milliseconds), and the window would appear
    later. So a wait on ``painted`` goes first on the database thread: the ops queue behind it and run as
    soon as the first paint is over (or after ``FIRST_PAINT_WAIT_S``, or on ``release``).
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.painted = threading.Event()
        runner().start_call(lambda: self.painted.wait(FIRST_PAINT_WAIT_S))
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint and not self.painted.is_set():
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self.release)  # after this paint pass: the children paint next
        return False

    def release(self) -> None:
        self.painted.set()


class _Relay(QObject):
    """Carries progress lines from the database thread to the GUI thread (a queued signal)."""

    line = Signal(str)


class Op(Generic[T]):
    """One call of a service on the database thread, with callbacks in the GUI thread."""

    def __init__(self, parent: QWidget | None, fn: Callable[[], T]) -> None:
        self._relay = _Relay()
        self._relay.line.connect(self._show_line, Qt.ConnectionType.QueuedConnection)
        self._parent = parent
        self._fn = fn
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[CunyiError], None] | None = None
        self._busy_label: str | None = None
        self._areas: tuple[str, ...] = ()
        self._progress: QProgressDialog | None = None
        self._focus_before: QWidget | None = None
        self._cursor = False

    def success(self, callback: Callable[[T], None]) -> Op[T]:
        """Called with ``fn``'s result in the GUI thread."""
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[CunyiError], None]) -> Op[T]:
        """Called with an expected failure (``CunyiError``) instead of the default message box."""
        self._on_failure = callback
        return self

    def busy(self, label: str | None = None) -> Op[T]:
        """Show a busy cursor while running, and ``label`` in a progress dialog if it takes a while."""
        self._busy_label = label or ""
        return self

    def changes(self, *areas: str) -> Op[T]:
        """Areas whose data this op changes: ``data_changed(area)`` is emitted on success."""
        self._areas = areas
        return self

    def run(self) -> None:
        if self._busy_label is not None:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            self._cursor = True
            if self._busy_label:
                QTimer.singleShot(PROGRESS_DELAY_MS, self._show_progress)
        runner().submit(self)

    def report(self, text: str) -> None:
        """How far the work got, from any thread; the busy dialog shows it (the latest line wins)."""
        self._relay.line.emit(text)

    # -- GUI thread ---------------------------------------------------------------------------
    def _show_line(self, text: str) -> None:
        if self._cursor:  # still running; a dialog not shown yet opens with this line
            self._busy_label = text
            if self._progress is not None and shiboken6.isValid(self._progress):
                self._progress.setLabelText(text)

    def _alive(self) -> bool:
        return self._parent is None or shiboken6.isValid(self._parent)

    def _show_progress(self) -> None:
        if self._cursor and self._progress is None:  # still running
            parent = self._parent.window() if self._parent is not None and self._alive() else None
            self._focus_before = QApplication.focusWidget()
            dialog = QProgressDialog(self._busy_label, "", 0, 0, parent)
            dialog.setCancelButton(None)
            dialog.setWindowTitle("请稍候")
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(0)
            dialog.show()
            self._progress = dialog

    def _end_busy(self) -> None:
        if self._cursor:
            QApplication.restoreOverrideCursor()
            self._cursor = False
        if self._progress is not None:
            # the user is still here (not gone to another program while waiting): then the keyboard comes back
            waited_here = False
            if shiboken6.isValid(self._progress):
                waited_here = QApplication.activeWindow() in (self._progress, self._progress.parentWidget())
                self._progress.close()
                self._progress.deleteLater()
            self._progress = None
            self._give_focus_back(waited_here)

    def _give_focus_back(self, waited_here: bool) -> None:
        """The window and the field the user was in get the keyboard again once the busy dialog closes.

        Closing a dialog does not always hand activation back to the window it covered (a window manager
        may leave none active), and the keyboard would then reach nothing until a click. A user who went
        to another window meanwhile keeps it: the app does not take the keyboard from there.
        """
        before, self._focus_before = self._focus_before, None
        window = self._parent.window() if self._parent is not None and self._alive() else None
        if not waited_here or window is None or not window.isVisible():
            return
        window.activateWindow()
        if before is not None and shiboken6.isValid(before) and before.isVisible() and before.isEnabled() \
                and before.window() is window:
            before.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def _complete(self, result: T, error: BaseException | None) -> None:
        from . import errors

        self._end_busy()
        alive = self._alive()
        if error is None:
            for area in self._areas:
                hub().data_changed.emit(area)
            if alive and self._on_success is not None:
                self._on_success(result)
        elif isinstance(error, CunyiError):
            if not alive:
                return
            if self._on_failure is not None:
                self._on_failure(error)
            else:
                errors.show_error(self._parent, error)
        else:
            errors.report_crash(error, self._parent if alive else None)
