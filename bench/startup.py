"""Start-up benchmark: time to the main window on the demo database vs a bare ``QMainWindow``, and
from Enter in the login dialog to the 工作台's figures.

Every time is measured in fresh subprocesses (offscreen), ``--runs`` times each (median), interleaved
so all kinds see the same machine load. Prints ONE JSON line:

* ``cold_start_s``: process start until the main window (small demo) has been shown and painted once;
  ``bare_qt_s`` the same for a bare ``QMainWindow``; ``ratio`` = cold / bare (target ≤ 4).
* ``enter_to_figures_s`` (small demo) and ``enter_to_figures_big_s`` (a village of the township-10y
  demo): ``cunyi gui`` as a person starts it. The login dialog shows, the person types for
  ``--typing`` seconds, then presses Enter; the time runs from that key press until every figure of
  the 工作台 (tiles and 近 7 日门诊) is on screen. ``…_ratio`` = that time / ``bare_qt_s``;
  ``enter_to_figures_target_s`` = 0.5 (an idle machine).
* ``big_db``: the township-10y demo used, and whether it was built in this run.
* ``frozen`` (null when there is no bundle): the PyInstaller bundle (``dist/cunyi``, made by
  ``installer/build.py``; ``--bundle DIR`` for another) against the source install, both started as
  programs with ``cunyi --startup-probe`` (process start until the main window of the small demo has
  been painted once): ``cold_start_s`` and ``source_cold_start_s`` (the venv's ``cunyi`` script),
  ``ratio`` = frozen / source (target ≤ 1), ``bundle_mb`` (target < 150).

Usage: ``python3 bench/startup.py [--runs N] [--data DIR] [--big DIR] [--rebuild] [--typing S] [--bundle DIR]``.
``--data``: an existing small demo (default: a fresh one in a temp dir). ``--big``: the folder of the
township-10y demo, installed as its first village (default ``/tmp/cunyi-10y/village``); built there
once (minutes, ~8 GB, with ``CUNYI_TODAY`` fixed, see ``bench-startup.json``) and reused by later
runs unless ``--rebuild``. ``--no-big`` skips it. Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # this checkout, not an installed copy
MARKER = "WINDOW-SHOWN"
FIGURES = "FIGURES-SHOWN"
#: the township-10y demo is built for this day unless CUNYI_TODAY says otherwise (kept in its marker)
BIG_TODAY = "2026-12-02"
BIG_MARKER = "bench-startup.json"
#: a child that shows nothing for this long is stopped (its stderr is reported)
CHILD_TIMEOUT_S = 300

BARE = f"""
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1366, 768)
window.show()
app.processEvents()
window.grab()
print("{MARKER}", flush=True)
"""

MAIN = f"""
import sys
from ui.app import build_main_window, make_application, open_session
session = open_session(sys.argv[1], sys.argv[2], sys.argv[3])  # start-up thread: bootstrap + sign-in while Qt loads
app = make_application()
window = build_main_window(session)
window.resize(1366, 768)
window.show()
app.processEvents()
window.grab()
print("{MARKER}", flush=True)
"""


#: ``cunyi gui --data DIR`` as a person starts it: the login dialog paints, the person types the user
#: name and password for ``typing`` seconds, then presses Enter; printed: seconds from that key press
#: until the 工作台's tiles and its 近 7 日门诊 card have been drawn (the window grabbed after each).
ENTER = f"""
import sys, time
from ui.app import make_application, run_gui
data, username, password, typing = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
app = make_application(["-platform", "offscreen"])
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
import ui.pages.dashboard.page as dashboard
from ui.dialogs.login import LoginDialog
marks = {{}}

def shown(page, what):
    page.window().grab()
    marks[what] = time.perf_counter()
    if "tiles" in marks and ("days" in marks or page.bars is None):
        print("{FIGURES}", max(marks["tiles"], marks.get("days", 0)) - marks["enter"], flush=True)
        QTimer.singleShot(0, page.window().close)

def hook(name, what):
    original = getattr(dashboard.DashboardPage, name)
    def wrapper(self, value):
        original(self, value)
        shown(self, what)
    setattr(dashboard.DashboardPage, name, wrapper)

def wait_for_login():
    login = QApplication.activeModalWidget()
    if not isinstance(login, LoginDialog):
        QTimer.singleShot(5, wait_for_login)
        return
    QTimer.singleShot(int(typing * 1000), lambda: press_enter(login))

def press_enter(login):
    login.username.setText(username)
    login.password.setText(password)
    login.password.setFocus()
    hook("_show_tiles", "tiles")
    hook("_show_days", "days")
    marks["enter"] = time.perf_counter()
    QTest.keyClick(login.password, Qt.Key.Key_Return)

QTimer.singleShot(0, wait_for_login)
run_gui(["--data", data, "-platform", "offscreen"])
"""


def _run_child(code: str, marker: str, args: tuple[str, ...], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Spawn ``python -c code``; seconds until it prints a line starting with ``marker``, and that line."""
    env = dict(os.environ if env is None else env, QT_QPA_PLATFORM="offscreen")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    watchdog = threading.Timer(CHILD_TIMEOUT_S, proc.kill)  # e.g. a crash dialog waiting offscreen
    watchdog.start()
    for line in proc.stdout:
        if line.startswith(marker):
            elapsed = time.perf_counter() - started
            watchdog.cancel()
            proc.kill()
            proc.wait()
            return elapsed, line.strip()
    watchdog.cancel()
    _, err = proc.communicate()
    raise RuntimeError(f"子进程没有显示窗口（退出码 {proc.returncode}）：{err[-2000:]}")


def time_program(command: list[str], stdin: str) -> float:
    """Seconds from spawning ``command`` (``stdin`` written to it) until it prints the marker."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory(prefix="cunyi-bench-cwd-") as cwd:  # outside the source tree
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, text=True, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(stdin + "\n")
        proc.stdin.close()
        watchdog = threading.Timer(CHILD_TIMEOUT_S, proc.kill)
        watchdog.start()
        for line in proc.stdout:
            if line.startswith(MARKER):
                elapsed = time.perf_counter() - started
                watchdog.cancel()
                proc.kill()
                proc.wait()
                return elapsed
        watchdog.cancel()
        _, err = proc.communicate()
    raise RuntimeError(f"{command[0]} 没有显示窗口（退出码 {proc.returncode}）：{err[-2000:]}")


def source_program() -> list[str]:
    """The source install's ``cunyi``: the console script beside this Python, else ``python -m ui.launcher``."""
    script = Path(sys.executable).with_name("cunyi.exe" if sys.platform == "win32" else "cunyi")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "ui.launcher"]


def bundle_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20, 1)


def time_to_window(code: str, *args: str) -> float:
    """Seconds from spawning ``python -c code`` until it prints the marker."""
    return _run_child(code, MARKER, args)[0]


def enter_to_figures(root: Path, typing: float, today: str | None = None) -> float:
    """Seconds from Enter in the login dialog of ``cunyi gui --data root`` to the 工作台's figures."""
    env = dict(os.environ, CUNYI_TODAY=today) if today else None
    _, line = _run_child(ENTER, FIGURES, (str(root), "doctor", "demo1234", str(typing)), env)
    return float(line.split()[1])


def demo_data(folder: Path) -> tuple[Path, str, str]:
    """A small demo to start on (built once, not timed)."""
    from app.services.demo.builder import PASSWORD, build_demo

    build_demo(folder, "small", progress=lambda _message: None)
    return folder, "doctor", PASSWORD


def _has_site(database: Path) -> bool:
    if not database.is_file():
        return False
    con = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return bool(con.execute("SELECT count(*) FROM local_site").fetchone()[0])
    except sqlite3.DatabaseError:
        return False
    finally:
        con.close()


def big_demo(folder: Path, rebuild: bool) -> dict:
    """The township-10y demo in ``folder`` as its first village: built when missing, else reused.

    A folder that already holds a site is reused as it is (its day from ``bench-startup.json``, else
    ``CUNYI_TODAY``); a due migration runs once here, not inside a timed start.
    """
    from app.bootstrap import bootstrap

    marker = folder / BIG_MARKER
    built_s = None
    if rebuild:
        shutil.rmtree(folder, ignore_errors=True)
    if not _has_site(folder / "cunyi.db"):
        today = os.environ.get("CUNYI_TODAY") or BIG_TODAY
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ui.launcher", "demo", "--data", str(folder), "--scale", "township-10y",
                        "--site", "village"], cwd=REPO, env=dict(os.environ, CUNYI_TODAY=today), check=True,
                       stdout=subprocess.DEVNULL)
        built_s = round(time.perf_counter() - started, 1)
        marker.write_text(json.dumps({"today": today, "built_s": built_s}))
    meta = json.loads(marker.read_text()) if marker.is_file() else {"today": os.environ.get("CUNYI_TODAY")}
    bootstrap(folder, backup_before_migrate=False).close()
    size_gb = round((folder / "cunyi.db").stat().st_size / 1e9, 2)
    return {"folder": str(folder), "today": meta.get("today"), "size_gb": size_gb, "built_s": built_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each kind (median is reported)")
    parser.add_argument("--data", help="an existing demo data folder (user doctor / demo1234)")
    parser.add_argument("--big", default="/tmp/cunyi-10y/village",
                        help="folder of the township-10y demo (village site): built there if missing, else reused")
    parser.add_argument("--no-big", action="store_true", help="skip Enter → figures on the township-10y demo")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the township-10y demo even if present")
    parser.add_argument("--typing", type=float, default=2.0, help="seconds the person types in the login dialog")
    parser.add_argument("--bundle", default=str(REPO / "dist" / "cunyi"),
                        help="the PyInstaller bundle's folder (installer/build.py); measured when it exists")
    args = parser.parse_args(argv)
    frozen_program = Path(args.bundle).resolve() / ("cunyi.exe" if sys.platform == "win32" else "cunyi")
    frozen = frozen_program.is_file()
    big = None if args.no_big else big_demo(Path(args.big), args.rebuild)
    with tempfile.TemporaryDirectory(prefix="cunyi-bench-") as tmp:
        if args.data:
            root, user, password = Path(args.data), "doctor", "demo1234"
        else:
            root, user, password = demo_data(Path(tmp) / "demo")
        time_to_window(MAIN, str(root), user, password)  # warm the file cache for every kind
        time_to_window(BARE)
        enter_to_figures(root, args.typing)
        if big:
            enter_to_figures(Path(big["folder"]), args.typing, big["today"])
        probe = ["--startup-probe", "--data", str(root), "--user", user]
        if frozen:
            time_program([str(frozen_program), *probe], password)
            time_program([*source_program(), *probe], password)
        bare, cold, enter, enter_big, cold_frozen, cold_source = [], [], [], [], [], []
        for _ in range(args.runs):  # interleaved, so all see the same machine load
            bare.append(time_to_window(BARE))
            cold.append(time_to_window(MAIN, str(root), user, password))
            enter.append(enter_to_figures(root, args.typing))
            if big:
                enter_big.append(enter_to_figures(Path(big["folder"]), args.typing, big["today"]))
            if frozen:
                cold_frozen.append(time_program([str(frozen_program), *probe], password))
                cold_source.append(time_program([*source_program(), *probe], password))
    bare_s, cold_s, enter_s = statistics.median(bare), statistics.median(cold), statistics.median(enter)
    result = {"cold_start_s": round(cold_s, 3), "bare_qt_s": round(bare_s, 3), "ratio": round(cold_s / bare_s, 2),
              "enter_to_figures_s": round(enter_s, 3), "enter_to_figures_ratio": round(enter_s / bare_s, 2)}
    if big:
        big_s = statistics.median(enter_big)
        result |= {"enter_to_figures_big_s": round(big_s, 3), "enter_to_figures_big_ratio": round(big_s / bare_s, 2)}
    result |= {"enter_to_figures_target_s": 0.5, "typing_s": args.typing, "big_db": big}
    result["frozen"] = None
    if frozen:
        frozen_s, source_s = statistics.median(cold_frozen), statistics.median(cold_source)
        result["frozen"] = {"cold_start_s": round(frozen_s, 3), "source_cold_start_s": round(source_s, 3),
                            "ratio": round(frozen_s / source_s, 2), "ratio_target": 1.0,
                            "bundle_mb": bundle_mb(Path(args.bundle)), "bundle_mb_target": 150}
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
