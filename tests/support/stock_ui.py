"""Helpers of the 药品库存 UI tests: let queued work finish, activate a window, open 开始盘点, bulk-load a long stock card."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

from app.domain import clock


def settle(rounds: int = 4) -> None:
    """Let queued signals (delegate commits, op results) and their follow-up ops run."""
    from PySide6.QtWidgets import QApplication

    from ui.workers import wait_idle

    for _ in range(rounds):
        QApplication.processEvents()
        assert wait_idle(20000)
    QApplication.processEvents()


def stocktake_choices(page, scope: str) -> tuple:  # noqa: ANN001
    """Open 开始盘点 from the 盘点 tab and pick ``scope``: (tab, dialog, the values the dialog offers)."""
    tab = page.show_tab("stocktake")
    settle()
    tab.ask_start()
    dialog = tab.start_dialog
    settle()
    dialog.scope.setCurrentIndex(dialog.scope.findData(scope))
    return tab, dialog, [dialog.value.itemText(i) for i in range(dialog.value.count())]


def activate(qtbot, window) -> None:  # noqa: ANN001
    """Make ``window`` the active window (shortcuts need it; after a dialog closes the window manager
    gives the focus back, the offscreen platform does not)."""
    from PySide6.QtWidgets import QApplication

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10000)


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
        start = clock.now() - timedelta(days=400)
        text = start.strftime("%Y-%m-%d %H:%M:%S.%f")
        batch_id = str(uuid.uuid4())
        expiry = (clock.now() + timedelta(days=700)).date().isoformat()
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
