"""Running the ``cunyi`` command in a subprocess, for integration tests (importable as ``demo_cli``), and
a second process holding a data folder's lock as the desktop app does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_cunyi(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python3 -m ui.launcher ARGS`` (what the ``cunyi`` console script runs) from the repository root."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "ui.launcher", *args], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )


def demo_data(folder: Path, site: str = "township") -> Path:
    """``cunyi demo --site SITE`` into ``folder``/data (asserting it succeeded); returns that data folder."""
    data = folder / "data"
    result = run_cunyi("demo", "--data", str(data), "--site", site)
    assert result.returncode == 0, result.stderr
    return data


def last_json(stdout: str) -> dict:
    """The JSON object a command prints as its last stdout line."""
    return json.loads(stdout.strip().splitlines()[-1])


#: a second program holding a data folder's lock as the desktop app does, until its stdin closes
_HOLD = """
import sys
from app.folder_lock import FolderLock
lock = FolderLock(sys.argv[1], "村医通桌面程序", "再打开一个村医通").acquire()
print("held", flush=True)
sys.stdin.read()
"""


@contextmanager
def holding_folder(data: Path) -> Iterator[subprocess.Popen]:
    """A process holding ``data``'s lock the way ``cunyi gui`` does, from when it holds it.

    On leaving, it is killed (as in a crash: the operating system lets go of the lock).
    """
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(data)], cwd=REPO, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "held", f"the holder did not take the lock: {line}"
        yield proc
    finally:
        proc.kill()
        proc.communicate()
