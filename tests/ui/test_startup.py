"""Start-up: the session opens on its own thread, the GC pause ends with the window, and the window's
own loads wait for its first paint (then run, so the figures arrive)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.domain.errors import AuthError
from ui.app import build_main_window, create_main_window, open_session
from ui.workers import wait_idle

REPO = Path(__file__).resolve().parents[2]


def test_session_signs_in_and_the_gc_runs_again_once_the_window_is_built(qtbot, make_site, password) -> None:
    session = open_session(make_site("village"), "doctor", password)
    window = build_main_window(session)
    qtbot.addWidget(window)
    assert gc.isenabled()
    sv, user, site = session.result()
    assert window.ctx.sv is sv and user.username == "doctor" and window.windowTitle() == f"村医通 — {site.name}"


def test_wrong_password_is_refused_by_build_main_window(make_site) -> None:
    session = open_session(make_site("village"), "doctor", "not-the-password")
    with pytest.raises(AuthError):
        build_main_window(session)
    assert gc.isenabled()


def test_window_loads_wait_for_the_first_paint_then_run(qtbot, make_site, password) -> None:
    window = create_main_window(make_site("village"), "doctor", password)
    qtbot.addWidget(window)
    before = window.sync_label.text()
    assert not wait_idle(300)  # the status-bar load is queued behind the first paint
    assert window.sync_label.text() == before == "单机运行"
    dashboard = window.pages["dashboard"]
    assert not dashboard.loading.isHidden() and dashboard.week_title.text() == "正在读取…"
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    assert wait_idle() and wait_idle()
    assert window.sync_label.text().startswith("单机运行 · 待同步 ")
    assert dashboard.tiles and dashboard.loading.isHidden()  # the 工作台 figures arrived
    assert dashboard.week_title.text().startswith("共 ")


FIRST_PAINT = """
import sys
from ui.app import build_main_window, make_application, open_session
from ui.workers import wait_idle
session = open_session(sys.argv[1], "doctor", sys.argv[2])
app = make_application()
window = build_main_window(session)
window.show()
app.processEvents()
window.grab()
print("first-paint", "sqlalchemy" in sys.modules, flush=True)
assert wait_idle(60000) and wait_idle(60000)  # generous: a busy machine loads slowly
print("loaded", "sqlalchemy" in sys.modules, window.sync_label.text(), len(window.pages["dashboard"].tiles), flush=True)
"""


def test_the_window_paints_before_the_database_layer_loads(make_site, password) -> None:
    """Schema check and sign-in run on sqlite3 alone; SQLAlchemy loads on the database thread after
    the first paint, and then the figures arrive (a fresh process: the test run has it loaded)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", FIRST_PAINT, str(make_site("village")), password], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    first, loaded = [line.split(" ", 2) for line in result.stdout.splitlines() if line.startswith(("first-paint", "loaded"))]
    assert first == ["first-paint", "False"]
    assert loaded[:2] == ["loaded", "True"]
    label, tiles = loaded[2].rsplit(" ", 1)
    assert label.startswith("单机运行 · 待同步 ") and int(tiles) > 0


SIGN_IN = """
import sys, time
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from ui.app import make_application, run_gui
from ui.dialogs.login import LoginDialog
import ui.pages.dashboard.page as dashboard

app = make_application()
data, password = sys.argv[1], sys.argv[2]
FIRST_WINDOW = ("sqlalchemy", "app.db.models", "app.services.core.status", "app.services.stock.service", "app.services.settlement.service",
                "ui.pages.stock.tiles", "ui.pages.outpatient.tiles", "ui.main_window", "ui.pages.dashboard.page")

def note(*what):
    print(*what, flush=True)

def loaded():
    return all(name in sys.modules for name in FIRST_WINDOW)

paint = LoginDialog.paintEvent
def first_paint(self, event):
    if not getattr(self, "painted", False):
        self.painted = True
        note("dialog-painted", loaded())
    paint(self, event)
LoginDialog.paintEvent = first_paint

signed_in = LoginDialog._signed_in
def signed(self, user):
    note("signed-in", user.username)
    signed_in(self, user)
LoginDialog._signed_in = signed

show_tiles = dashboard.DashboardPage._show_tiles
def figures(self, tiles):
    show_tiles(self, tiles)
    note("figures", len(self.tiles), self.loading.isHidden())
    QTimer.singleShot(0, self.window().close)
dashboard.DashboardPage._show_tiles = figures

started = time.monotonic()
def wait_for_the_layer():
    login = QApplication.activeModalWidget()
    ready = isinstance(login, LoginDialog) and getattr(login, "painted", False) and login.sv._db is not None and loaded()
    if not ready and time.monotonic() - started < 90:
        QTimer.singleShot(10, wait_for_the_layer)
        return
    note("loaded-while-typing", ready, login.isVisible(), login.user is None)
    QTest.keyClicks(login.username, "doctor")
    QTest.keyClick(login.username, Qt.Key.Key_Return)
    QTest.keyClicks(login.password, password)
    note("enter")
    QTest.keyClick(login.password, Qt.Key.Key_Return)

QTimer.singleShot(0, wait_for_the_layer)
sys.exit(run_gui(["--data", data]))
"""


def test_the_database_layer_loads_while_the_password_is_typed_and_the_figures_follow_sign_in(make_site,
                                                                                            password) -> None:
    """``cunyi gui``: the login dialog paints first; then, with no key pressed, the database layer and
    what the 工作台's figures need load behind it; Enter signs in, and only then do the figures arrive."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", SIGN_IN, str(make_site("village")), password], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[:4] == [
        ["dialog-painted", "False"],  # the dialog paints before the database layer loads
        ["loaded-while-typing", "True", "True", "True"],  # loaded, the dialog still open, nobody signed in
        ["enter"],
        ["signed-in", "doctor"],
    ]
    assert lines[4][0] == "figures" and int(lines[4][1]) > 0 and lines[4][2] == "True"
    assert len(lines) == 5


@pytest.mark.parametrize("signed_in_first", [False, True], ids=["typing", "signed-in-first"])
def test_the_warm_up_runs_behind_the_login_dialog_and_stops_once_someone_has_signed_in(
        qtbot, services, password, signed_in_first: bool) -> None:
    """One step per database job: a sign-in queued meanwhile goes first, and the rest is then left to
    the window's own loads (signed in before the first step: nothing is loaded)."""
    from ui.app import warm_up_behind
    from ui.dialogs.login import LoginDialog

    sv, _ = services("village")
    site = sv.identity.local_site()
    if signed_in_first:
        sv.identity.sign_in("doctor", password)
    login = LoginDialog(sv, site)
    qtbot.addWidget(login)
    done = warm_up_behind(login, sv, site)
    login.show()
    qtbot.waitExposed(login)
    qtbot.waitUntil(done.done, timeout=60000)
    assert done.result() is not signed_in_first
    assert (sv._db is None) is signed_in_first  # only the warm-up opens the database layer here
