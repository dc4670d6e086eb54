"""Suite-wide set-up: Qt runs offscreen, before anything imports it."""

from __future__ import annotations

import atexit
import faulthandler
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

#: helpers and fixtures shared by the test packages (``tests/support``): importable from every test
sys.path.insert(0, str(Path(__file__).parent / "support"))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# each test process has a temporary folder of its own: what the app keeps there (copies of opened
# attachments, removed at start and quit) is never another parallel test's
_temp = Path(tempfile.gettempdir()) / f"cunyi-tests-{os.getpid()}"
_temp.mkdir(exist_ok=True)
atexit.register(shutil.rmtree, _temp, True)
os.environ["TMPDIR"] = str(_temp)
tempfile.tempdir = None
# Qt warns (and qt_log_level_fail=WARNING fails the test) when XDG_RUNTIME_DIR is missing
if not os.environ.get("XDG_RUNTIME_DIR"):
    _runtime = os.path.join(tempfile.gettempdir(), f"cunyi-xdg-{os.getuid()}")
    os.makedirs(_runtime, mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = _runtime

#: the suite's "today": every test, and every command a test starts, sees this date (app.domain.clock),
#: so the suite gives the same answer on any day it runs. Tests that walk through dates use ``today_is``.
TODAY = "2026-06-15"
os.environ["CUNYI_TODAY"] = TODAY
#: ... and its clock starts at 10:00 when the run starts, whatever the real time of day (a test that
#: settles "ten minutes ago" must not land on yesterday when the suite runs just after midnight)
os.environ["CUNYI_TIME"] = "10:00"
os.environ.setdefault("CUNYI_TIME_EPOCH", repr(time.time()))
#: the app syncs a joined site in the background every few minutes; a test syncs when it says so
os.environ["CUNYI_AUTO_SYNC"] = "0"

import pytest  # noqa: E402

from hypothesis import settings  # noqa: E402

from app.domain import clock  # noqa: E402

# In CI the property tests draw the same examples every run (a landing never hangs on a lucky draw);
# on a developer's machine they explore new ones each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

#: the offscreen platform plugin warns on every top-level window with size hints; it is not a bug of ours
OFFSCREEN_NOISE = r"^This plugin does not support propagateSizeHints\(\)$"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Ignore the offscreen plugin's size-hint warning in every test (qt_log_level_fail=WARNING)."""
    for item in items:
        patterns = [OFFSCREEN_NOISE]
        for marker in item.iter_markers("qt_log_ignore"):
            patterns.extend(marker.args)
        item.add_marker(pytest.mark.qt_log_ignore(*patterns), append=False)


#: pytest-timeout (pyproject: 10 minutes a test, its thread prints every thread's stack) cannot act when a
#: thread is stuck in native code holding the GIL (a Qt call waiting for a lock, say). A minute later the
#: interpreter's own watchdog, a C thread that needs no GIL, prints the stacks and ends this test process;
#: pytest-xdist reports the test as crashed and goes on with a new worker, so the run still finishes.
BACKSTOP_S = 60
_stderr_fd: int | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _stderr_fd
    _stderr_fd = os.dup(sys.stderr.fileno())  # the real stderr: during a test, output is captured


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):  # noqa: ANN201
    marker = item.get_closest_marker("timeout")
    given = item.config.getoption("timeout", None)  # --timeout N; 0 turns both off (a debugger session)
    if marker and marker.args:
        limit = float(marker.args[0])
    elif given is not None:
        limit = float(given)
    else:
        limit = float(item.config.getini("timeout") or 0)
    if limit > 0 and _stderr_fd is not None:
        faulthandler.dump_traceback_later(limit + BACKSTOP_S, exit=True, file=_stderr_fd)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def today_is():
    """Fix the date for this test (``today_is(date(2027, 1, 31))``); the suite's date comes back after."""
    yield clock.set_today
    clock.reset()
