"""帮办代办 UI fixtures: (for the two-site test) a real hub on loopback
with sites that joined it through ``cunyi init --code`` (the sync tests' own harness, as tests/ui/sync)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sync"))

from hub_harness import HubProcess  # noqa: E402
from site_harness import PASSWORD, SiteFolder, joined  # noqa: E402

JOIN_PASSWORD = PASSWORD


@pytest.fixture(scope="session")
def sync_hub(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A running ``cunyi-hub serve`` on SQLite, shared by the session."""
    process = HubProcess(tmp_path_factory.mktemp("cases-hub") / "home")
    yield process
    process.stop()


@pytest.fixture
def join_site(sync_hub: HubProcess, tmp_path: Path) -> Callable[..., SiteFolder]:
    """``join_site(kind, township=None)`` → a data folder that joined the hub with ``cunyi init --code``."""
    password_file = tmp_path / "password.txt"
    password_file.write_text(JOIN_PASSWORD, encoding="utf-8")

    def make(kind: str = "village", township: str | None = None) -> SiteFolder:
        tag = uuid.uuid4().hex[:6]
        if kind == "village" and township is None:
            township = sync_hub.add_site("township", f"乡镇{tag}")[0]
        name = f"{'东村' if kind == 'village' else '乡镇'}{tag}"
        _site_id, code = sync_hub.add_site(kind, name, township)
        return joined(code, tmp_path / f"{kind}-{tag}", password_file)

    return make
