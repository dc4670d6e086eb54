"""Fixtures for the 药品库存 UI tests: seeded village sites (built once, copied per test) and helpers.

``stock_site()`` → (data dir, ``seed.Small``) of a village with three drugs in stock;
``demo_site()`` → data dir of a village with the bundled catalog and a lived-in shelf (screenshots).
``open_stock(data, username)`` → (main window, stock page) with the page shown and loaded.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from seed import Small, seed_demo, seed_small  # noqa: E402


def settle(rounds: int = 4) -> None:
    """Let queued signals (delegate commits, op results) and their follow-up ops run."""
    from PySide6.QtWidgets import QApplication

    from ui.workers import wait_idle

    for _ in range(rounds):
        QApplication.processEvents()
        assert wait_idle(20000)
    QApplication.processEvents()


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
    """The project's demo village (``app.services.demo.build_demo``), else our own lived-in shelf."""
    root = tmp_path_factory.mktemp("stock-demo")
    try:
        from app.services.demo import PASSWORD, build_demo
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


def activate(qtbot, window) -> None:  # noqa: ANN001
    """Make ``window`` the active window (shortcuts need it; after a dialog closes the window manager
    gives the focus back, the offscreen platform does not)."""
    from PySide6.QtWidgets import QApplication

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


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


def bulk_card(path: Path, drug_id: str, rows: int) -> None:
    """Append ``rows`` movements of one drug (a receipt, then one unit out per row) straight into SQLite.

    The stock card is read-only here, so a raw insert with consistent balances stands in for years of use.
    """
    con = sqlite3.connect(path, isolation_level=None)
    try:
        owner, store = con.execute("SELECT owner_site_id, id FROM stores LIMIT 1").fetchone()
        seq = (con.execute("SELECT max(seq) FROM stock_movements WHERE store_id=?", (store,)).fetchone()[0] or 0) + 1
        base = con.execute("SELECT coalesce(sum(on_hand), 0) FROM batches WHERE store_id=? AND drug_id=?",
                           (store, drug_id)).fetchone()[0]
        start = datetime.now() - timedelta(days=400)
        text = start.strftime("%Y-%m-%d %H:%M:%S.%f")
        batch_id = str(uuid.uuid4())
        expiry = (datetime.now() + timedelta(days=700)).date().isoformat()
        con.execute("BEGIN")
        con.execute(
            "INSERT INTO batches (id, owner_site_id, created_at, updated_at, version, store_id, drug_id, batch_no, "
            "expiry, pack_cost_fen, on_hand, received_on, no_trace_codes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (batch_id, owner, text, text, 1, store, drug_id, "BULK01", expiry, 100, 1, start.date().isoformat(), 1))
        # the batch ends with 1 unit: +rows, then rows − 1 times −1
        moves, on_hand = [], 0
        for i in range(rows):
            qty = rows if i == 0 else -1
            on_hand += qty
            at = (start + timedelta(minutes=10 * i)).strftime("%Y-%m-%d %H:%M:%S.%f")
            moves.append((str(uuid.uuid4()), owner, at, at, 1, seq + i, store, drug_id, batch_id,
                          "receipt" if i == 0 else "dispense", qty, at, "receipt" if i == 0 else "manual", None, "",
                          None, None, on_hand, base + on_hand))
        con.executemany(
            "INSERT INTO stock_movements (id, owner_site_id, created_at, updated_at, version, seq, store_id, drug_id, "
            "batch_id, kind, quantity, occurred_at, doc_type, doc_id, reason, reverses_id, user_id, "
            "batch_balance_after, drug_balance_after) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", moves)
        con.execute("COMMIT")
    finally:
        con.close()
