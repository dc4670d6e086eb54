"""UI tests against a real hub: one ``cunyi-hub serve`` (SQLite) for the session, and sites that joined
it with the real ``cunyi init --code`` (the sync tests' own harness, tests/sync). A conftest takes the
fixtures with ``from ui_hub import join_site, sync_hub``."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from hub_harness import HubProcess
from site_harness import PASSWORD, SiteFolder, joined


@pytest.fixture(scope="session")
def sync_hub(tmp_path_factory: pytest.TempPathFactory):
    """A running ``cunyi-hub serve`` on SQLite, shared by the session."""
    process = HubProcess(tmp_path_factory.mktemp("ui-hub") / "home")
    yield process
    process.stop()


@pytest.fixture
def join_site(sync_hub: HubProcess, tmp_path: Path) -> Callable[..., SiteFolder]:
    """``join_site(kind, township=None)`` → a data folder that joined the hub with ``cunyi init --code``
    (a village without ``township`` gets a township registered at the hub that never joins)."""
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD, encoding="utf-8")

    def make(kind: str = "village", township: str | None = None) -> SiteFolder:
        tag = uuid.uuid4().hex[:6]
        if kind == "village" and township is None:  # a village belongs to a township the hub knows
            township = sync_hub.add_site("township", f"乡镇{tag}")[0]
        name = f"{'东村' if kind == 'village' else '乡镇'}{tag}"
        _site_id, code = sync_hub.add_site(kind, name, township)
        return joined(code, tmp_path / f"{kind}-{tag}", password_file)

    return make


def hub_window(qtbot, data: Path, username: str, area: str):
    """The main window of a site that joined the hub, ``username`` signed in, 1366×768, active, on ``area``:
    (window, the area's page)."""
    from op_keys import settle

    from ui.app import create_main_window
    from ui.workers import wait_idle

    window = create_main_window(data, username, PASSWORD)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    assert wait_idle()
    window.go(area)
    settle()
    return window, window.pages[area]


def sync_window(window, refresh: str | None = None) -> None:
    """One background sync of ``window``'s site, then the ``refresh`` area's page reloaded."""
    from op_keys import settle

    from ui.workers import wait_idle

    assert window.ctx.background_sync.start()
    assert window.ctx.background_sync.wait() and wait_idle()
    if refresh:
        window.pages[refresh].refresh()
    settle()
