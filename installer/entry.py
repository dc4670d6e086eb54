"""The frozen bundle's entry point: ``cunyi`` (desktop app and CLI) or ``cunyi-hub`` (sync server).

One program, two names: the executable (or link) called ``cunyi-hub`` runs the hub's command line,
every other name the ``cunyi`` launcher. ``cunyi hub …`` reaches the hub too.
"""

import os
import sys


def main() -> int:
    name = os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else sys.executable).lower()
    if name.startswith("cunyi-hub"):
        from app.sync.hub_cli import main as hub_main

        return hub_main(sys.argv[1:])
    from ui.launcher import main as cunyi_main

    return cunyi_main(sys.argv[1:])


def _console_for_commands() -> None:
    """The windowed Windows program started from a console (``cunyi check …``) writes to that console."""
    if sys.platform != "win32" or (sys.stdout is not None and sys.stderr is not None):
        return
    if len(sys.argv) < 2 or sys.argv[1] == "gui" or sys.argv[1].startswith("--data"):
        return  # the desktop app: no console
    try:
        import ctypes

        if ctypes.windll.kernel32.AttachConsole(-1):  # ATTACH_PARENT_PROCESS
            sys.stdout = open("CONOUT$", "w", encoding="utf-8", errors="replace", buffering=1)  # noqa: SIM115
            sys.stderr = open("CONOUT$", "w", encoding="utf-8", errors="replace", buffering=1)  # noqa: SIM115
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":
    _console_for_commands()
    import multiprocessing

    # the township-10y demo generates villages in worker processes ("spawn"): a worker started from the
    # bundle runs this program again, and freeze_support turns it into the worker instead of the app
    multiprocessing.freeze_support()
    if sys.stdout is None or sys.stderr is None:  # a windowed program on Windows has no console
        sys.stdout = sys.stdout or open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        sys.stderr = sys.stderr or open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    raise SystemExit(main())
