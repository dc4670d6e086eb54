"""Fixtures for the 药品库存 UI tests: seeded village sites (built once, copied per test) and helpers.

``stock_site()`` → (data dir, ``stock_seed.Small``) of a village with three drugs in stock;
``demo_site()`` → data dir of a village with the bundled catalog and a lived-in shelf (screenshots).
``open_stock(data, username)`` → (main window, stock page) with the page shown and loaded.
Helpers (``settle``, ``activate``, ``bulk_card``) live in ``stock_ui``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from stock_seed import Small, seed_demo, seed_small
from stock_ui import activate, settle


def _seeded(root: Path, template: Path, name: str, fn: Callable) -> tuple[Path, object]:
    from app.bootstrap import bootstrap

    target = root / name
    shutil.copytree(template, target)
    sv = bootstrap(target)
    try:
        result = fn(sv)
    finally:
        sv.close()
    return target, result


@pytest.fixture(scope="session")
def _stock_templates(_site_templates, tmp_path_factory):  # noqa: ANN001, ANN202
    root = tmp_path_factory.mktemp("stock-templates")
    return {"small": _seeded(root, _site_templates["village"], "small", seed_small)}


@pytest.fixture(scope="session")
def _demo_template(_site_templates, tmp_path_factory):  # noqa: ANN001, ANN202
    """The project's demo village (``app.services.demo.builder.build_demo``), else our own lived-in shelf."""
    root = tmp_path_factory.mktemp("stock-demo")
    try:
        from app.services.demo.builder import PASSWORD, build_demo
    except ImportError:
        return _seeded(root, _site_templates["village"], "demo", seed_demo)[0], "secret123"  # the templates' password
    build_demo(root / "demo", "small", progress=lambda _message: None)
    return root / "demo", PASSWORD


@pytest.fixture
def stock_site(_stock_templates, tmp_path: Path) -> Callable[[], tuple[Path, Small]]:
    def make() -> tuple[Path, Small]:
        template, small = _stock_templates["small"]
        target = tmp_path / "stock-small"
        shutil.copytree(template, target)
        return target, small

    return make


@pytest.fixture
def demo_site(_demo_template, tmp_path: Path) -> Callable[[], tuple[Path, str]]:
    """``demo_site()`` → (data dir, password of its ``admin``)."""

    def make() -> tuple[Path, str]:
        template, password = _demo_template
        target = tmp_path / "stock-demo"
        shutil.copytree(template, target)
        return target, password

    return make


@pytest.fixture
def open_stock(qtbot, open_window):  # noqa: ANN001, ANN201
    """``open_stock(data, username="admin")`` → (window, StockPage), the page shown with its data loaded."""

    def open_(data: Path, username: str = "admin", password: str | None = None):  # noqa: ANN202
        if password is None:
            window = open_window("village", username, data=data)
        else:
            from ui.app import create_main_window

            window = create_main_window(data, username, password)
            qtbot.addWidget(window)
            window.resize(1366, 768)
            window.show()
            qtbot.waitExposed(window)
            settle()
        activate(qtbot, window)
        window.go("stock")
        settle()
        return window, window.pages["stock"]

    return open_
