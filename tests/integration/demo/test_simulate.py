"""``cunyi simulate``: a village's and a township's days through the real services, as the command runs them.

The suite's today is 2026-06-15 (``CUNYI_TODAY``, inherited by the subprocesses). Each test simulates
a few days only; the folders are made by ``cunyi init`` and copied where a test needs a fresh one.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from demo_cli import last_json, run_cunyi
from stock_helpers import db_fingerprint

VILLAGE, TOWNSHIP = "东坡村卫生室", "城关镇卫生院"
SEED = "2"  # with these site names: every kind of operation happens within 4 days


@pytest.fixture(scope="module")
def blank_sites(tmp_path_factory) -> dict[str, Path]:  # noqa: ANN001
    """A freshly initialised village and township folder (copy them, never change them)."""
    root = tmp_path_factory.mktemp("sites")
    password = root / "password.txt"
    password.write_text("secret123", encoding="utf-8")
    out = {}
    for kind, name in (("village", VILLAGE), ("township", TOWNSHIP)):
        result = run_cunyi("init", "--data", str(root / kind), "--kind", kind, "--name", name, "--admin", "admin",
                           "--password-file", str(password))
        assert result.returncode == 0, result.stderr
        out[kind] = root / kind
    return out


@pytest.fixture
def fresh(blank_sites: dict[str, Path], tmp_path: Path):  # noqa: ANN201
    """``fresh("village")``: a new copy of the blank site folder."""
    made: list[int] = []

    def copy(kind: str) -> Path:
        made.append(1)
        target = tmp_path / f"{kind}{len(made)}"
        shutil.copytree(blank_sites[kind], target)
        return target

    return copy


def simulate(data: Path, *args: str) -> dict:
    result = run_cunyi("simulate", "--data", str(data), *args)
    assert result.returncode == 0, result.stderr
    return last_json(result.stdout)


def check_ok(data: Path) -> None:
    result = run_cunyi("check", "--data", str(data))
    assert result.returncode == 0, result.stdout + result.stderr


def query(data: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(f"file:{data / 'cunyi.db'}?mode=ro", uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def totals(data: Path) -> dict[str, tuple]:
    """Row counts and the sums of numeric columns per table: equal for the same operations in any folder."""
    return {table: (rows, sums) for table, (rows, sums, _digest) in db_fingerprint(data / "cunyi.db").items()}


def test_a_village_day_receives_settles_reverses_and_counts(fresh) -> None:  # noqa: ANN001
    data = fresh("village")
    result = run_cunyi("simulate", "--data", str(data), "--days", "4", "--seed", SEED)
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)
    # N days before today, the last one yesterday; what a blank site lacked is set up and said
    assert (summary["kind"], summary["from"], summary["to"], summary["days"]) == ("village", "2026-06-11", "2026-06-14", 4)
    assert "已导入内置药品目录" in result.stderr and "已登记" in result.stderr and "待遇政策" in result.stderr
    counts = summary["counts"]
    for kind in ("stock_receipts", "stock_receipt_lines", "residents", "enrollments", "visits", "settlements",
                 "reversals", "stocktakes", "stocktake_adjustments"):
        assert counts.get(kind, 0) > 0, (kind, counts)
    check_ok(data)
    # what the counts say is in the database, on the simulated days, each row queued in the outbox
    assert query(data, "SELECT count(*), min(date(settled_at)), max(date(settled_at)) FROM settlements")[0] == (
        counts["settlements"], "2026-06-11", "2026-06-14")
    assert query(data, "SELECT count(*) FROM reversals")[0][0] == counts["reversals"]
    assert query(data, "SELECT count(*) FROM stocktakes WHERE status = 'finalised'")[0][0] == counts["stocktakes"]
    assert query(data, "SELECT count(*) FROM trace_code_events WHERE kind = 'received'")[0][0] > 0
    assert query(data, "SELECT count(DISTINCT record_id) FROM outbox WHERE table_name = 'settlements'")[0][0] == counts["settlements"]
    assert query(data, "SELECT DISTINCT actor FROM audit_log WHERE action = 'settlement.create'") == [("命令行(CLI)",)]


def test_a_township_day_edits_the_catalog_changes_prices_and_buys(fresh) -> None:  # noqa: ANN001
    data = fresh("township")
    summary = simulate(data, "--days", "4", "--seed", SEED)
    assert (summary["kind"], summary["from"], summary["to"]) == ("township", "2026-06-11", "2026-06-14")
    counts = summary["counts"]
    for kind in ("catalog_edits", "price_changes", "drugs_added", "purchases", "purchase_lines"):
        assert counts.get(kind, 0) > 0, (kind, counts)
    check_ok(data)
    assert query(data, "SELECT count(*) FROM batches")[0][0] == counts["purchase_lines"]
    assert query(data, "SELECT count(*) FROM drugs")[0][0] == counts["catalog_imported"] + counts["drugs_added"]
    assert query(data, "SELECT count(*) FROM settlements")[0][0] == 0
    # the township holds the policy file its villages settle with (they receive it by sync)
    assert query(data, "SELECT count(*) FROM policies WHERE owner_site_id = (SELECT site_id FROM local_site)")[0][0] == 1
    audit = dict(query(data, "SELECT action, count(*) FROM audit_log GROUP BY action"))
    assert audit["catalog.update"] == counts["catalog_edits"] + counts["price_changes"]
    assert audit["catalog.create"] == counts["drugs_added"]


def test_the_same_seed_does_the_same_and_another_seed_does_not(fresh) -> None:  # noqa: ANN001
    first, second, other = fresh("village"), fresh("village"), fresh("village")
    a = simulate(first, "--days", "3", "--seed", "11")
    b = simulate(second, "--days", "3", "--seed", "11")
    c = simulate(other, "--days", "3", "--seed", "12")
    assert a["counts"] == b["counts"] and a["counts"] != c["counts"]
    money = "SELECT sum(total_fen), sum(fund_fen), sum(self_paid_fen) FROM settlements"
    assert query(first, money) == query(second, money) != query(other, money)
    stock = "SELECT sum(quantity), count(*) FROM stock_movements"
    assert query(first, stock) == query(second, stock) != query(other, stock)
    assert totals(first) == totals(second)


def test_runs_continue_from_the_next_day_and_never_pass_today(fresh) -> None:  # noqa: ANN001
    data = fresh("village")
    one = simulate(data, "--days", "3", "--seed", SEED, "--from", "2026-06-08")
    per_day = "SELECT date(settled_at), count(*) FROM settlements GROUP BY 1 ORDER BY 1"
    before = query(data, per_day)
    two = simulate(data, "--days", "3", "--seed", SEED)
    assert (one["from"], one["to"], two["from"], two["to"]) == ("2026-06-08", "2026-06-10", "2026-06-11", "2026-06-13")
    after = query(data, per_day)
    assert after[:len(before)] == before  # days 1–3 untouched: the second run never repeats a day
    assert {d for d, _ in after[len(before):]} <= {"2026-06-11", "2026-06-12", "2026-06-13"}
    three = simulate(data, "--days", "30", "--seed", SEED)  # only two days are left before tomorrow
    assert (three["from"], three["to"], three["days"]) == ("2026-06-14", "2026-06-15", 2)
    assert query(data, "SELECT max(date(settled_at)) FROM settlements") == [("2026-06-15",)]
    check_ok(data)
    untouched = db_fingerprint(data / "cunyi.db")
    result = run_cunyi("simulate", "--data", str(data), "--days", "2")
    assert result.returncode == 0 and "已模拟到今天" in result.stderr
    assert last_json(result.stdout)["days"] == 0 and last_json(result.stdout)["counts"] == {}
    assert db_fingerprint(data / "cunyi.db") == untouched


@pytest.mark.parametrize(("args", "field"), [
    (("--days", "-1"), "模拟天数（--days）"),
    (("--days", "2", "--from", "2026-02-30"), "开始日期（--from）"),
    (("--days", "2", "--from", "2026-06-16"), "开始日期（--from）"),
])
def test_bad_input_exits_1_naming_the_field_and_writes_nothing(fresh, args: tuple[str, ...], field: str) -> None:  # noqa: ANN001
    data = fresh("village")
    before = db_fingerprint(data / "cunyi.db")
    result = run_cunyi("simulate", "--data", str(data), *args)
    assert result.returncode == 1, result.stderr
    assert field in result.stderr
    assert db_fingerprint(data / "cunyi.db") == before


def test_a_folder_without_a_site_is_refused_and_left_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cunyi("simulate", "--data", str(empty), "--days", "2")
    assert result.returncode == 1
    assert "数据文件夹（--data）" in result.stderr and "cunyi init" in result.stderr
    assert list(empty.iterdir()) == []


def test_days_zero_does_nothing_and_bad_usage_exits_2(fresh) -> None:  # noqa: ANN001
    data = fresh("village")
    before = db_fingerprint(data / "cunyi.db")
    summary = simulate(data, "--days", "0", "--seed", SEED)
    assert (summary["days"], summary["from"], summary["counts"]) == (0, None, {})
    assert db_fingerprint(data / "cunyi.db") == before
    for args in (("--seed", "1"), ("--days", "drei"), ("--days", "1", "--seed", "x")):
        result = run_cunyi("simulate", "--data", str(data), *args)
        assert result.returncode == 2, (args, result.stderr)
    assert db_fingerprint(data / "cunyi.db") == before
