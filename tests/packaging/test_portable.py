"""Portable mode: a file named ``portable`` beside the executable keeps data and settings beside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.paths import default_data_dir, portable_root, settings_dir

REPO = Path(__file__).resolve().parents[2]

#: a program standing in for the executable: where the app would put its data, and one desktop setting
PROGRAM = """
from PySide6.QtCore import QSettings
from app.paths import default_data_dir
from ui.app import make_application

app = make_application()
settings = QSettings()
settings.setValue("layout/test", "保存在程序旁边")
settings.sync()
print(default_data_dir())
print(settings.fileName())
"""


def test_without_the_marker_the_data_folder_is_the_users(tmp_path: Path) -> None:
    program = tmp_path / "cunyi"
    assert portable_root(program) is None and settings_dir(program) is None
    assert default_data_dir(program) != tmp_path / "data"
    (tmp_path / "portable").mkdir()  # a folder of that name is not the marker
    assert portable_root(program) is None


def test_with_the_marker_data_and_settings_live_beside_the_executable(tmp_path: Path) -> None:
    folder = tmp_path / "U盘" / "村医通"
    folder.mkdir(parents=True)
    (folder / "portable").write_text("", encoding="utf-8")
    program = folder / "cunyi"
    assert portable_root(program) == folder
    assert default_data_dir(program) == folder / "data"
    assert settings_dir(program) == folder / "settings"


def test_the_started_program_uses_its_own_folder(tmp_path: Path) -> None:
    """The app started from a portable folder: its data folder and its QSettings file are there."""
    folder = tmp_path / "村医通"
    folder.mkdir()
    (folder / "portable").write_text("", encoding="utf-8")
    script = folder / "cunyi.py"
    script.write_text(PROGRAM, encoding="utf-8")
    home = tmp_path / "home"  # the user's own folders, which must stay untouched
    env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local" / "share"), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    data, settings_file = done.stdout.strip().splitlines()[-2:]
    assert Path(data) == folder / "data"
    assert Path(settings_file).is_relative_to(folder / "settings")
    assert "保存在程序旁边" in Path(settings_file).read_text(encoding="utf-8")
    assert not home.exists() or not any(home.rglob("*.ini")) and not any(home.rglob("*.conf"))
