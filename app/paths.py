"""Where an installation keeps its files and finds its own.

- The data folder: ``--data DIR``; in portable mode (a file named ``portable`` beside the executable)
  the folder ``data`` beside it; otherwise the user's data folder (platformdirs).
- The bundled resources (fonts, policies, catalog, names, icons, style sheet): ``resources/`` of the
  source tree, ``app/resources`` of an installed wheel, or the same inside a PyInstaller bundle.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

#: the marker file that makes an installation portable: data and settings live beside the executable
PORTABLE_MARKER = "portable"


def _find_resources() -> Path:
    here = Path(__file__).resolve().parent  # app/ (in a bundle: <bundle>/_internal/app)
    # an installed wheel or a bundle keeps them in app/resources; the source tree in resources/
    for candidate in (here / "resources", here.parent / "resources"):
        if (candidate / "style.qss").is_file():
            return candidate
    return here.parent / "resources"


RESOURCES = _find_resources()


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "cunyi.db"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def attachments(self) -> Path:
        return self.root / "attachments"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    def ensure(self) -> DataDir:
        for folder in (self.root, self.backups, self.logs, self.attachments, self.exports):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def executable() -> Path:
    """The program the user started: the bundle's executable when frozen, else the ``cunyi`` script."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve()
    return Path(sys.argv[0] if sys.argv and sys.argv[0] else sys.executable).resolve()


def portable_root(program: Path | None = None) -> Path | None:
    """The folder of a portable installation (``portable`` beside the executable), or None."""
    folder = (program or executable()).parent
    return folder if (folder / PORTABLE_MARKER).is_file() else None


def default_data_dir(program: Path | None = None) -> Path:
    """The data folder when none is given: ``data`` beside a portable executable, else the user's."""
    portable = portable_root(program)
    if portable is not None:
        return portable / "data"
    import platformdirs  # only the desktop app without --data needs it

    return Path(platformdirs.user_data_dir("cunyi", appauthor=False))


def settings_dir(program: Path | None = None) -> Path | None:
    """Where a portable installation keeps the desktop settings (window layout…); None: the system's place."""
    portable = portable_root(program)
    return None if portable is None else portable / "settings"


def resource(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)
