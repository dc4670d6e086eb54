"""``cunyi simulate``: a village's and a township's days through the real services, as the command runs them.

The suite's today is 2026-06-15 (``CUNYI_TODAY``, inherited by the subprocesses). Each test simulates
a few days only; the folders are made by ``cunyi init`` and copied where a test needs a fresh one.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
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


# -- 帮办代办: cases at the village, reviews at the township ------------------------------------------
LATER = ("--from", "2026-06-16", "--days", "10")  # the ten days after the demo's today (2026-06-15)


def _user(data: Path, username: str) -> tuple[str, str]:
    return query(data, f"SELECT id, display_name FROM users WHERE username = '{username}'")[0]


def test_a_village_opens_cases_ticks_material_and_resubmits_returned_ones(demo_copy: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("CUNYI_TODAY", "2026-06-26")
    local = query(demo_copy, "SELECT site_id FROM local_site")[0][0]
    returned = {r[0] for r in query(demo_copy, "SELECT case_id FROM case_events e WHERE status = 'returned' AND step = "
                                               "(SELECT max(step) FROM case_events x WHERE x.case_id = e.case_id)")}
    summary = simulate(demo_copy, *LATER, "--seed", "5")
    counts = summary["counts"]
    assert counts.get("cases_opened", 0) >= 1 and counts.get("cases_resubmitted", 0) >= 1, counts
    check_ok(demo_copy)
    doctor_id, doctor = _user(demo_copy, "doctor")
    # new cases of the simulated days, the village's own, accepted by its doctor and queued for the hub
    opened = query(demo_copy, "SELECT c.id, c.responsible_user_id, e.user_id FROM cases c JOIN case_events e "
                              "ON e.case_id = c.id AND e.step = 1 WHERE c.accepted_on >= '2026-06-16'")
    assert len(opened) == counts["cases_opened"]
    assert {(r[1], r[2]) for r in opened} == {(doctor_id, doctor_id)}
    assert query(demo_copy, "SELECT count(*) FROM outbox WHERE table_name = 'cases' AND record_id IN "
                            "(SELECT id FROM cases WHERE accepted_on >= '2026-06-16')")[0][0] == len(opened)
    assert query(demo_copy, "SELECT min(owner_site_id = ?), max(site_id = ?) FROM cases WHERE accepted_on >= "
                            "'2026-06-16'".replace("?", f"'{local}'"))[0] == (1, 1)
    # a returned case of this village is sent again by the village, with what was missing now collected
    again = query(demo_copy, "SELECT e.case_id, e.owner_site_id, e.to_site_id, e.user_name, e.note, c.collected, "
                             "r.missing FROM case_events e JOIN cases c ON c.id = e.case_id JOIN case_events r "
                             "ON r.case_id = e.case_id AND r.step = e.step - 1 WHERE e.status = 'submitted' "
                             "AND r.status = 'returned' AND date(e.occurred_at) >= '2026-06-16'")
    assert len(again) == counts["cases_resubmitted"] and {r[0] for r in again} <= returned
    for _case, owner, to_site, user, note, collected, missing in again:
        assert (owner, to_site, user) == (local, None, doctor) and note.startswith("已补交：")
        assert set(json.loads(missing)) <= set(json.loads(collected))
    actors = query(demo_copy, "SELECT DISTINCT actor FROM audit_log WHERE action LIKE 'case.%' AND at >= '2026-06-16'")
    assert actors == [(doctor,)]


def test_a_township_reviews_its_villages_cases_and_the_same_seed_does_the_same(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    built = tmp_path / "built"
    assert run_cunyi("demo", "--data", str(built), "--site", "township").returncode == 0
    monkeypatch.setenv("CUNYI_TODAY", "2026-06-26")
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(built, first)
    shutil.copytree(built, second)
    a = simulate(first, *LATER, "--seed", "7")
    b = simulate(second, *LATER, "--seed", "7")
    counts = a["counts"]
    assert a["counts"] == b["counts"]
    for kind in ("cases_forwarded", "cases_approved"):
        assert counts.get(kind, 0) >= 1, (kind, counts)
    check_ok(first)
    township, worker = query(first, "SELECT site_id FROM local_site")[0][0], _user(first, "caseworker")
    steps = ("SELECT c.case_no, c.site_id, e.step, e.status, e.owner_site_id, e.to_site_id, e.user_id, e.user_name, "
             "e.note, e.missing FROM case_events e JOIN cases c ON c.id = e.case_id "
             "WHERE date(e.occurred_at) >= '2026-06-16' ORDER BY c.site_id, c.case_no, e.step")
    done = query(first, steps)
    assert done == query(second, steps)
    by_status = Counter(r[3] for r in done)
    assert by_status["approved"] == counts["cases_approved"] and by_status["submitted"] == counts["cases_forwarded"]
    assert by_status["returned"] == counts.get("cases_returned", 0)
    assert by_status["rejected"] == counts.get("cases_rejected", 0)
    for _no, village, _step, status, owner, to_site, user_id, user_name, note, missing in done:
        # the township's own steps, addressed to the case's village, as its case worker
        assert (owner, to_site, (user_id, user_name)) == (township, village, worker)
        assert bool(json.loads(missing)) == (status == "returned") and (note or status != "rejected")
    # the villages' case rows are theirs and untouched; the township queues only its own steps
    assert query(first, "SELECT count(*) FROM cases WHERE version != 1 OR owner_site_id != site_id")[0][0] == 0
    assert query(first, "SELECT count(*) FROM outbox WHERE table_name = 'cases'")[0][0] == 0
    assert query(first, "SELECT count(*) FROM outbox WHERE table_name = 'case_events' AND record_id IN "
                        "(SELECT id FROM case_events WHERE date(occurred_at) >= '2026-06-16')")[0][0] == len(done)
    assert query(first, "SELECT count(*) FROM audit_log WHERE action = 'case.step' AND actor = ? AND at >= "
                        "'2026-06-16'".replace("?", f"'{worker[1]}'"))[0][0] == len(done)
