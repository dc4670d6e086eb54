"""Start-up: the session opens on its own thread, the GC pause ends with the window, and the window's
own loads wait for its first paint (then run, so the figures arrive)."""

from __future__ import annotations

import gc

import pytest

from app.domain.errors import AuthError
from ui.app import build_main_window, create_main_window, open_session
from ui.workers import wait_idle


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
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    assert wait_idle() and wait_idle()
    assert window.sync_label.text().startswith("单机运行 · 待同步 ")
    assert window.pages["dashboard"].tiles  # the 工作台 figures arrived
