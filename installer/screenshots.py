"""Screenshots for the README: every page at 1366×768 on the small demo, offscreen.

Usage: ``python3 installer/screenshots.py [--out resources/screenshots]``. Builds the demo in a temp
folder (``app.services.demo.builder.build_demo``), signs in as the village doctor for the pages a doctor has
and as the administrator for the rest, and saves ``<out>/<area>.png`` plus ``login.png``; then builds the
demo as the township's installation and saves the township pharmacist's pages as ``township-<area>.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIZE = (1366, 768)
#: who is photographed first; later users fill in the areas the earlier ones do not have
USERS = ("doctor", "admin")
#: the township pharmacist's pages, photographed on the township's own demo
TOWNSHIP_AREAS = ("dashboard", "transfers", "village_stock", "statements")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="为 README 生成各页面截图（1366×768）")
    parser.add_argument("--out", default=str(REPO / "resources" / "screenshots"), help="输出文件夹")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(REPO))

    from app.services.demo.builder import PASSWORD, build_demo
    from ui.app import make_application
    from ui.smoke import _quiet_offscreen, render_pages

    _quiet_offscreen()
    app = make_application()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cunyi-shots-") as tmp:
        root = Path(tmp) / "demo"
        build_demo(root, "small", progress=lambda _message: None)
        done: set[str] = set()
        for user in USERS:
            shots = Path(tmp) / user
            shots.mkdir()
            for path in render_pages(root, shots, user, PASSWORD, SIZE):
                if path.stem not in done:
                    path.replace(out / path.name)
                    done.add(path.stem)
                    print(f"{out / path.name}")
        _login_shot(root, out / "login.png")
        town = Path(tmp) / "township"
        build_demo(town, "small", site="township", progress=lambda _message: None)
        shots = Path(tmp) / "pharmacist"
        shots.mkdir()
        for path in render_pages(town, shots, "pharmacist", PASSWORD, SIZE):
            if path.stem in TOWNSHIP_AREAS:
                path.replace(out / f"township-{path.name}")
                print(f"{out / f'township-{path.name}'}")
    app.processEvents()
    return 0


def _login_shot(root: Path, path: Path) -> None:
    from app.bootstrap import bootstrap
    from ui.dialogs.login import LoginDialog

    sv = bootstrap(root)
    try:
        dialog = LoginDialog(sv, sv.identity.local_site(), username="doctor")
        dialog.resize(460, dialog.sizeHint().height())
        dialog.show()
        dialog.grab().save(str(path))
        dialog.close()
        print(path)
    finally:
        sv.close()


if __name__ == "__main__":
    raise SystemExit(main())
