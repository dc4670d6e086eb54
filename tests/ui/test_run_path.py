"""The README run path on the demo data, and ``cunyi --smoke-test``, as a user would start them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.domain import clock
from ui.workers import wait_idle

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The small demo of ``cunyi demo`` (the README run command opens the app on it)."""
    from app.services.demo.builder import PASSWORD, build_demo

    root = tmp_path_factory.mktemp("demo") / "data"
    build_demo(root, "small", progress=lambda _message: None)
    return root, "doctor", PASSWORD


def test_readme_run_path_shows_the_main_window_on_the_demo(qtbot, demo_dir, artifact) -> None:
    """``python3 -m ui.launcher gui --data DIR`` builds its window with ``create_main_window``."""
    from ui.app import create_main_window

    root, username, password = demo_dir
    window = create_main_window(root, username, password)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    assert wait_idle() and wait_idle()
    assert window.isVisible() and window.current_area() == "dashboard"
    tiles = {w.tile.key: w for w in window.pages["dashboard"].grid.tiles}
    assert "sync.pending" in tiles
    path = artifact(window, "readme_run_demo")
    assert path.stat().st_size > 20_000
    for area in window.areas[1:]:  # every page of the demo doctor opens on real data
        window.open_area(area)
        assert wait_idle() and wait_idle()
        artifact(window, f"readme_run_demo_{area}")


def test_smoke_test_command_exits_zero(tmp_path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "ui.launcher", "--smoke-test"], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "冒烟测试通过" in result.stdout and "热敏小票" in result.stdout and "USB、串口可用" in result.stdout


def test_run_gui_on_an_empty_folder_walks_wizard_login_and_main_window(tmp_path, monkeypatch) -> None:
    """``cunyi gui --data EMPTY``: 建站向导 → 登录 → main window; closing it ends the app with 0."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui import errors
    from ui.app import run_gui
    from ui.dialogs.login import LoginDialog
    from ui.dialogs.wizard import SiteWizard
    from ui.main_window import MainWindow

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs the crash hook
    monkeypatch.setattr(errors, "_log_dir", None)
    seen: list[str] = []

    def drive() -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, SiteWizard) and "wizard" not in seen:
            seen.append("wizard")
            modal.next()
            modal.site_page.name.setText("新建村卫生室")
            modal.next()
            modal.admin_page.password.setText("first-admin")
            modal.admin_page.confirm.setText("first-admin")
            modal.accept()
        elif isinstance(modal, LoginDialog) and "login" not in seen:
            seen.append("login")
            assert modal.username.text() == "admin"  # the wizard's admin is filled in
            modal.password.setText("first-admin")
            modal.sign_in()
        else:
            windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
            if windows:
                seen.append(f"main:{windows[0].ctx.user.username}:{','.join(windows[0].areas)}")
                windows[0].close()
                return
        QTimer.singleShot(30, drive)

    QTimer.singleShot(30, drive)
    assert run_gui(["--data", str(tmp_path / "fresh")]) == 0
    assert seen[:2] == ["wizard", "login"]
    assert seen[2].startswith("main:admin:dashboard")
    assert (tmp_path / "fresh" / "cunyi.db").is_file() and (tmp_path / "fresh" / "logs").is_dir()


def test_run_gui_on_a_site_opens_the_login_dialog_then_the_main_window(make_site, password, monkeypatch) -> None:
    """``cunyi gui --data DIR`` on a set-up site: 登录 (a wrong password first) → the doctor's window."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui import errors
    from ui.app import run_gui
    from ui.dialogs.login import LoginDialog
    from ui.main_window import MainWindow
    from ui.workers import wait_idle

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs the crash hook
    monkeypatch.setattr(errors, "_log_dir", None)
    seen: list[str] = []

    def drive() -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, LoginDialog) and len(seen) < 2:
            modal.username.setText("doctor")
            modal.password.setText("wrong-pass" if not seen else password)
            modal.sign_in()
            assert wait_idle()
            seen.append(modal.error.text() if not seen else "signed in")
        else:
            windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
            if windows:
                assert wait_idle() and wait_idle()
                seen.append(f"main:{windows[0].ctx.user.username}:{windows[0].sync_label.text()}")
                windows[0].close()
                return
        QTimer.singleShot(30, drive)

    QTimer.singleShot(30, drive)
    assert run_gui(["--data", str(make_site("village"))]) == 0
    assert "再错 4 次" in seen[0] and seen[1] == "signed in"
    assert seen[2].startswith("main:doctor:单机运行 · 待同步 ")


def test_run_gui_on_a_damaged_data_file_says_what_to_do(tmp_path, monkeypatch) -> None:
    """No crash dialog for a damaged data file: a plain message naming the file and ``cunyi restore``."""
    from PySide6.QtWidgets import QMessageBox

    from ui import errors
    from ui.app import run_gui

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs the crash hook
    monkeypatch.setattr(errors, "_log_dir", None)
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "cunyi.db").write_bytes(b"not a database " * 500)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, _title, text: shown.append(text))
    assert run_gui(["--data", str(folder)]) == 1
    assert len(shown) == 1 and str(folder / "cunyi.db") in shown[0] and "cunyi restore" in shown[0]
    assert not list((folder / "logs").glob("crash-*.log"))  # an expected error, not a crash


def test_status_figures_agree_with_the_demo_database(demo_dir) -> None:
    """The 工作台 figures (StatusService) recomputed straight from the SQLite file."""
    import sqlite3
    from datetime import timedelta

    from app.bootstrap import bootstrap

    root, _, _ = demo_dir
    sv = bootstrap(root)
    try:
        site_id = sv.db.local_site_id
        con = sqlite3.connect(root / "cunyi.db")
        days = sv.status.recent_days(7)
        assert [d.day for d in days] == [clock.today() - timedelta(days=6 - i) for i in range(7)]
        for figures in days:
            visits = con.execute("SELECT count(*) FROM visits WHERE site_id = ? AND visit_date = ?",
                                 (site_id, figures.day.isoformat())).fetchone()[0]
            total, count = con.execute(
                "SELECT coalesce(sum(total_fen), 0), count(*) FROM settlements s WHERE site_id = ? "
                "AND date(settled_at) = ? AND NOT EXISTS (SELECT 1 FROM reversals r WHERE r.settlement_id = s.id)",
                (site_id, figures.day.isoformat())).fetchone()
            assert (figures.visits, figures.total_fen, figures.settlements) == (visits, total, count)
        assert sum(d.visits for d in days) > 0
        pending = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
        assert sv.status.sync_state().pending == pending > 0
        con.close()
    finally:
        sv.close()
