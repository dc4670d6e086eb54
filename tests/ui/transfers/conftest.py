"""调拨与报量 UI fixtures: a seeded township (built once, copied per test), the real hub on loopback and sites
that joined it (tests/support/ui_hub.py), and the page opened in a main window."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from op_keys import settle
from transfers_ui import Township, seed_township
from ui_hub import join_site, sync_hub  # noqa: F401 - fixtures


@pytest.fixture(scope="session")
def _township_template(_site_templates, tmp_path_factory):
    from app.bootstrap import bootstrap

    target = tmp_path_factory.mktemp("transfers-township") / "township"
    shutil.copytree(_site_templates["township"], target)
    sv = bootstrap(target)
    try:
        sv.identity.sign_in("admin", "secret123")
        seeded = seed_township(sv)
    finally:
        sv.close()
    return target, seeded


@pytest.fixture
def township_site(_township_template, tmp_path: Path) -> Callable[[], tuple[Path, Township]]:
    """``township_site()`` → (data dir, ``Township``) of a standalone township with stock bought."""

    def make() -> tuple[Path, Township]:
        template, seeded = _township_template
        target = tmp_path / "township"
        shutil.copytree(template, target)
        return target, seeded

    return make


@pytest.fixture
def open_transfers(open_window):
    """``open_transfers(kind, username, data)`` → (window, 调拨与报量 page), shown and loaded."""

    def open_(kind: str, username: str, data: Path | None = None):
        window = open_window(kind, username, data)
        window.activateWindow()
        window.go("transfers")
        settle()
        return window, window.pages["transfers"]

    return open_
