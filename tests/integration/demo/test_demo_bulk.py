"""The large demo's machinery on a small scale: worker processes, the township as the local site,
secondary indexes dropped for the load and rebuilt, more than one policy year."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import demo_checks as checks
import pytest

from app.bootstrap import bootstrap
from app.cli import main as cli_main
from app.domain import clock
from app.services.demo import builder as demo


def _indexes(path: Path) -> set[tuple[str, str]]:
    con = sqlite3.connect(path)
    try:
        return set(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
    finally:
        con.close()


def test_bulk_build_with_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    start = date(clock.today().year - 1, 10, 1)
    scale = replace(demo.SCALES["township-10y"], villages=2, people=(50, 60), visits_per_workday=(5.0, 6.0),
                    start=start, workers=2)
    monkeypatch.setitem(demo.SCALES, "bulk-test", scale)
    lines: list[str] = []
    summary = demo.build_demo(tmp_path / "data", "bulk-test", progress=lines.append)
    assert {"site_id", "sites", "residents", "visits", "movements", "seconds", "users"} <= set(summary)
    assert summary["sites"] == 3 and summary["site_name"] == "示例镇卫生院" and summary["visits"] > 1000
    assert any("重建索引" in line for line in lines) and any("村卫生室 2/2" in line for line in lines)
    assert {n for n, u in summary["users"].items() if u["can_sign_in_here"]} == {"pharmacist", "caseworker", "tadmin"}

    fresh = tmp_path / "fresh"
    bootstrap(fresh, backup_before_migrate=False).close()
    db = tmp_path / "data" / "cunyi.db"
    assert _indexes(db) == _indexes(fresh / "cunyi.db")  # every dropped index is back

    capsys.readouterr()
    assert cli_main(["check", "--data", str(tmp_path / "data")]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["ok"] is True

    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        local = con.execute("SELECT site_id FROM local_site").fetchone()[0]
        assert local == summary["site_id"] == con.execute("SELECT id FROM sites WHERE kind = 'township'").fetchone()[0]
        queued = dict(con.execute("SELECT table_name, count(*) FROM outbox GROUP BY table_name"))
        # the township's own rows: its sites, store (and that store's drug settings), users, catalog,
        # policy files and stock, and its case worker's steps in the villages' 帮办代办 cases
        assert set(queued) <= {"sites", "stores", "store_drug_settings", "users", "drugs", "policies", "batches",
                               "stock_movements", "case_events", "distributors", "drug_reference_prices",
                               "purchase_receipts", "purchase_lines", "shipments", "shipment_lines",
                               "essential_drug_subsidies", "statements"}
        assert {"purchase_receipts", "shipments", "shipment_lines", "statements"} <= set(queued)
        assert queued["case_events"] == con.execute(
            "SELECT count(*) FROM case_events WHERE owner_site_id = ? AND to_site_id IS NOT NULL", (local,)).fetchone()[0] > 0
        assert queued["drugs"] == 90 and queued["sites"] == 3
        years = [y for (y,) in con.execute("SELECT DISTINCT policy_year FROM settlements ORDER BY 1")]
        assert years == [start.year, start.year + 1]
        year_end = con.execute("SELECT count(*) FROM stocktakes WHERE note = '年终盘点'").fetchone()[0]
        assert year_end == 2  # one per village on the last working day of the first year
        checks.shipments_close(con)  # |OUT| = IN + loss for every received shipment; the newest in transit
        today_stock = con.execute(
            "SELECT sum(b.on_hand) FROM batches b JOIN stores s ON s.id = b.store_id WHERE s.site_id = ?", (local,)
        ).fetchone()[0]
        assert today_stock > 0  # the transfer warehouse holds next month's purchases
        assert con.execute("SELECT min(visit_date) FROM visits").fetchone()[0] <= (start + timedelta(days=3)).isoformat()
    finally:
        con.close()
