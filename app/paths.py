"""Where an installation keeps its files: the data folder (platformdirs, or ``--data DIR``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


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


def default_data_dir() -> Path:
    import platformdirs  # only the desktop app without --data needs it

    return Path(platformdirs.user_data_dir("cunyi", appauthor=False))


def resource(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)
