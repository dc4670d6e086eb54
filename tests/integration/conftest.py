"""Integration fixtures shared by all areas: the small demo, built once per test session.

``demo_build`` runs ``cunyi demo --data DIR`` (the real command, in a subprocess) once and keeps the
folder read-only for the session; ``demo_copy`` gives a test its own copy to change.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from demo_cli import last_json, run_cunyi


@dataclass(frozen=True)
class DemoBuild:
    """A built small demo: its folder, the JSON summary the command printed, and its stderr progress."""

    data: Path
    summary: dict
    progress: str

    @property
    def database(self) -> Path:
        return self.data / "cunyi.db"


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    data = tmp_path_factory.mktemp("demo-small") / "data"
    result = run_cunyi("demo", "--data", str(data))
    assert result.returncode == 0, result.stderr
    return DemoBuild(data, last_json(result.stdout), result.stderr)


@pytest.fixture
def demo_copy(demo_build: DemoBuild, tmp_path: Path) -> Path:
    """A private copy of the small demo's data folder (safe to change)."""
    target = tmp_path / "demo"
    shutil.copytree(demo_build.data, target)
    return target
