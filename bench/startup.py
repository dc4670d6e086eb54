"""Start-up benchmark: time to the main window on the demo database vs a bare ``QMainWindow``.

Both are measured in the same run as fresh subprocesses (offscreen), from process start until the
window has been shown and painted once, each ``--runs`` times (median). Prints ONE JSON line:
``{"cold_start_s": …, "bare_qt_s": …, "ratio": …}``. Target: ratio ≤ 4. Not a timed test.

Usage: ``python3 bench/startup.py [--runs N] [--data DIR]`` (default: a fresh small demo in a temp dir).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKER = "WINDOW-SHOWN"

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


def time_to_window(code: str, *args: str) -> float:
    """Seconds from spawning ``python -c code`` until it prints the marker."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == MARKER:
            elapsed = time.perf_counter() - started
            proc.kill()
            proc.wait()
            return elapsed
    _, err = proc.communicate()
    raise RuntimeError(f"子进程没有显示窗口（退出码 {proc.returncode}）：{err[-2000:]}")


def demo_data(folder: Path) -> tuple[Path, str, str]:
    """A small demo to start on (built once, not timed)."""
    from app.services.demo import PASSWORD, build_demo

    build_demo(folder, "small", progress=lambda _message: None)
    return folder, "doctor", PASSWORD


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each kind (median is reported)")
    parser.add_argument("--data", help="an existing demo data folder (user doctor / demo1234)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cunyi-bench-") as tmp:
        if args.data:
            root, user, password = Path(args.data), "doctor", "demo1234"
        else:
            root, user, password = demo_data(Path(tmp) / "demo")
        time_to_window(MAIN, str(root), user, password)  # warm the file cache for both kinds
        time_to_window(BARE)
        bare, cold = [], []
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            bare.append(time_to_window(BARE))
            cold.append(time_to_window(MAIN, str(root), user, password))
    bare_s, cold_s = statistics.median(bare), statistics.median(cold)
    print(json.dumps({"cold_start_s": round(cold_s, 3), "bare_qt_s": round(bare_s, 3),
                      "ratio": round(cold_s / bare_s, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
