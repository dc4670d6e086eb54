"""Sync in the background: on its own thread, every N minutes and on demand (立即同步).

The network can take ~30 s to give up on a dead hub, so a sync never runs on the database worker of
``ui.workers`` (a doctor settling a visit must not wait for it): :class:`BackgroundSync` runs
``Services.sync.sync_now`` on a thread of its own, one sync at a time; asking again while one runs
just waits for that one. When a sync ends it emits ``data_changed`` for the areas of the tables it
applied (``app.sync.names.areas_of``), so the open pages of what changed refresh themselves, and
``data_changed("sync")`` for the 同步 page and the status bar.

Automatic syncs run only at a site that joined a hub, every ``sync_interval_minutes`` (0 = only on
demand), and not at all when ``CUNYI_AUTO_SYNC=0`` (the tests).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEventLoop, QObject, Qt, QTimer, Signal

from app.domain.errors import CunyiError
from app.sync.names import areas_of

from .workers import hub

if TYPE_CHECKING:
    from app.bootstrap import Services

_log = logging.getLogger(__name__)

#: the first automatic sync after the window opens
FIRST_SYNC_DELAY_MS = 20_000


def auto_sync_enabled() -> bool:
    """Automatic syncs are on unless ``CUNYI_AUTO_SYNC=0``."""
    return os.environ.get("CUNYI_AUTO_SYNC", "1") != "0"


def progress_text(event: dict[str, Any]) -> str:
    """One progress event of ``SyncClient.sync_once`` as a line for the 同步 page."""
    if event.get("phase") == "push":
        return f"正在上传：已上传 {event['rows']} 条"
    left = f"，乡镇同步服务上约剩 {event['remaining']} 条" if event.get("remaining") else ""
    return f"正在取回：已取回 {event['rows']} 条{left}"


class BackgroundSync(QObject):
    """One site's syncs, one at a time, off the GUI and database threads.

    Signals (in the GUI thread):
        started: a sync began.
        progress(str): how far it got, in Chinese.
        finished(object, object): the ``SyncResult`` and None, or None and the Chinese reason it failed.
    """

    started = Signal()
    progress = Signal(str)
    finished = Signal(object, object)
    _done = Signal(object, object)

    def __init__(self, sv: Services, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sv = sv
        self._thread: threading.Thread | None = None
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.start)
        self._first = QTimer(self)
        self._first.setSingleShot(True)
        self._first.timeout.connect(self.start)

    # -- control ----------------------------------------------------------------------------------
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> bool:
        """Begin a sync; False when one is running already (its end answers this request too)."""
        if self._thread is not None:
            return False
        self._thread = threading.Thread(target=self._work, name="cunyi-sync", daemon=True)
        self.started.emit()
        self._thread.start()
        return True

    def schedule(self, minutes: int) -> None:
        """Sync every ``minutes`` (0 = only on demand), the first time soon after start-up."""
        self.timer.stop()
        self._first.stop()
        if minutes <= 0 or not auto_sync_enabled():
            return
        self.timer.start(minutes * 60_000)
        self._first.start(min(FIRST_SYNC_DELAY_MS, minutes * 60_000))

    def stop(self) -> None:
        """No more automatic syncs (the window closes); a running one ends on its own thread."""
        self.timer.stop()
        self._first.stop()

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Process events until no sync runs (tests); True when none does."""
        clock = QElapsedTimer()
        clock.start()
        while self._thread is not None and clock.elapsed() < timeout_ms:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if self._thread is not None:
                self._thread.join(0.02)
        return self._thread is None

    # -- sync thread ------------------------------------------------------------------------------
    def _work(self) -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = self.sv.sync.sync_now(lambda event: self._emit(self.progress, progress_text(event)))
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread
            error = exc
        self._emit(self._done, result, error)

    def _emit(self, signal: Any, *args: Any) -> None:
        if shiboken6.isValid(self):  # the app may be shutting down
            signal.emit(*args)

    # -- GUI thread -------------------------------------------------------------------------------
    def _deliver(self, result: Any, error: BaseException | None) -> None:
        self._thread = None
        if error is None:
            for area in areas_of(result.tables):
                hub().data_changed.emit(area)
            hub().data_changed.emit("sync")
            self.finished.emit(result, None)
            return
        hub().data_changed.emit("sync")
        if isinstance(error, CunyiError):  # unreachable, refused, not joined: said on the page and the bar
            self.finished.emit(None, str(error))
            return
        from . import errors

        _log.error("sync failed", exc_info=error)
        self.finished.emit(None, "同步时发生意外错误，详情已写入错误日志")
        errors.report_crash(error, None)
