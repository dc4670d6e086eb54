"""``cunyi report stock --json`` and ``cunyi check`` on a real data folder."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from stock_helpers import NOW, Clinic, days

from app.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_report_stock_json(clinic: Clinic, capsys: pytest.CaptureFixture[str]) -> None:
    st = clinic.sv.stock
    st.receive(clinic.vb1.id, "V2", days(300), 150)  # 1.5 bottles at 3.50 → 5.25
    st.receive(clinic.amox.id, "B-2", days(300), 24, pack_cost_fen=1199)
    st.receive(clinic.amox.id, "A-1", days(100), 13, accept_near_expiry=True)  # 13 × 12.00 / 24 = 6.50
    st.receive(clinic.nife.id, "EMPTY", days(100), 30, accept_near_expiry=True)
    st.dispense(clinic.nife.id, 30)  # no stock left: not listed
    st.receive(clinic.amox.id, "C-3", days(5), 1, pack_cost_fen=1, accept_near_expiry=True)  # 1/24 fen rounds to 0
    data = str(clinic.path.parent)
    code, out, _err = _run(capsys, "report", "stock", "--data", data, "--json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["generic_name"], r["batch_no"]) for r in rows] == [
        ("维生素B1片", "V2"), ("阿莫西林胶囊", "A-1"), ("阿莫西林胶囊", "B-2"), ("阿莫西林胶囊", "C-3")]
    assert sorted(rows, key=lambda r: (r["generic_name"], r["drug_id"], r["batch_no"])) == rows
    first = rows[1]
    assert set(first) == {"drug_id", "national_code", "generic_name", "batch_no", "expiry", "on_hand_units", "value_fen"}
    assert (first["drug_id"], first["national_code"], first["expiry"]) == (
        clinic.amox.id, "XJ01CAA040E001010100483", days(100).isoformat())
    assert [(r["on_hand_units"], r["value_fen"]) for r in rows] == [(150, 525), (13, 650), (24, 1199), (1, 0)]


def test_check_passes_then_finds_a_corrupted_on_hand(clinic: Clinic, capsys: pytest.CaptureFixture[str]) -> None:
    st = clinic.sv.stock
    batch = st.receive(clinic.amox.id, "A1", days(300), 48)
    st.dispense(clinic.amox.id, 10)
    data = str(clinic.path.parent)
    code, out, _ = _run(capsys, "check", "--data", data)
    assert code == 0 and json.loads(out.splitlines()[-1])["ok"] is True
    assert "库存台账 = 批次结存" in json.loads(out.splitlines()[-1])["checked"]
    conn = sqlite3.connect(clinic.path)
    with conn:
        conn.execute("UPDATE batches SET on_hand = 40 WHERE id = ?", (batch,))
    conn.close()
    code, out, err = _run(capsys, "check", "--data", data)
    assert code == 1
    assert "阿莫西林胶囊" in err and "A1" in err and "40" in err and "38" in err


def test_check_finds_negative_stock(clinic: Clinic, capsys: pytest.CaptureFixture[str]) -> None:
    batch = clinic.sv.stock.receive(clinic.vb1.id, "V1", days(300), 5, at=NOW - timedelta(days=1))
    conn = sqlite3.connect(clinic.path)
    with conn:
        # a ledger that itself went negative (as a buggy importer might write): on hand agrees, but < 0
        conn.execute("UPDATE batches SET on_hand = -5 WHERE id = ?", (batch,))
        conn.execute("DROP TRIGGER append_only_update_stock_movements")
        conn.execute("UPDATE stock_movements SET quantity = -5 WHERE batch_id = ?", (batch,))
    conn.close()
    code, _out, err = _run(capsys, "check", "--data", str(clinic.path.parent))
    assert code == 1 and "负数" in err and "维生素B1片" in err
