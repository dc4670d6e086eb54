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
assert wait_idle() and wait_idle()
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
