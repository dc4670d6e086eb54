"""``cunyi --startup-probe --data DIR --user NAME`` (the password on stdin): start-up, measured.

Opens the data folder and signs the user in exactly as the desktop app does (``open_session`` before Qt
loads, then the main window), shows and paints the main window once offscreen-able, prints
``WINDOW-SHOWN`` and exits. ``bench/startup.py`` times it from process start in the source install and
in the frozen bundle, where no other code can be run.
"""

from __future__ import annotations

import argparse
import os
import sys

MARKER = "WINDOW-SHOWN"


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cunyi --startup-probe", description="启动计时（基准测试用）")
    parser.add_argument("--data", required=True, help="数据文件夹")
    parser.add_argument("--user", required=True, help="用户名（密码从标准输入读一行）")
    args, _ = parser.parse_known_args(argv)
    password = sys.stdin.readline().rstrip("\r\n")

    from app.domain.errors import CunyiError
    from ui.app import build_main_window, make_application, open_session

    session = open_session(args.data, args.user, password)  # start-up thread: bootstrap + sign-in while Qt loads
    app = make_application()
    try:
        window = build_main_window(session)
    except CunyiError as error:  # e.g. a wrong password: said, not a traceback
        print(f"错误：{error}", file=sys.stderr)
        return 1
    window.resize(1366, 768)
    window.show()
    app.processEvents()
    window.grab()
    print(MARKER, flush=True)
    os._exit(0)  # measured: what follows (closing the session and its threads) is not start-up
