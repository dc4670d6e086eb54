"""The README run path on the demo data, and ``cunyi --smoke-test``, as a user would start them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ui.workers import wait_idle

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The small demo of ``cunyi demo`` (the README run command opens the app on it)."""
    from app.services.demo import PASSWORD, build_demo

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
    assert "冒烟测试通过" in result.stdout
