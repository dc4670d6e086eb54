"""The ``cunyi`` console script: the desktop app, or the headless CLI for every other command."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "hub":  # ``cunyi hub serve …`` = ``cunyi-hub serve …`` (one program in the bundle)
        from app.sync.hub_cli import main as hub_main

        return hub_main(argv[1:])
    if argv and argv[0] == "--startup-probe":  # bench/startup.py: time to the main window
        from ui.startup_probe import run

        return run(argv[1:])
    if "--smoke-test" in argv:
        from ui.smoke import run_smoke_test

        return run_smoke_test()
    if not argv or argv[0] == "gui" or argv[0].startswith("--data"):
        from ui.app import run_gui

        if argv and argv[0] == "gui":
            argv = argv[1:]
        return run_gui(argv)
    from app.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
