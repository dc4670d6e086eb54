"""`cunyi calc --policy FILE [--jsonl]` against the bundled demo policy (DESIGN §5, §9)."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.domain.calc import run_calc
from app.domain.policy import load_policy
from app.paths import resource

ROOT = Path(__file__).resolve().parents[2]
DEMO = resource("policies", "demo-2026.toml")

DESIGN_INPUT = """{"visit_date": "2026-03-05", "kind": "outpatient", "chronic_code": null, "general_fee": true,
 "resident": {"covered_years": [2024, 2026], "enrolled_on": "2026-02-10", "central_period": false,
              "newborn": false, "repaid_years": 0, "assistance": "tekun"},
 "year_to_date": {"deductible_fen": 0, "fund_fen": 0, "chronic_fund_fen": 0, "assistance_fen": 0},
 "lines": [{"amount_fen": 1250, "class": "A"}, {"amount_fen": 800, "class": "B", "class_b_self_bp": 1500}]}
"""
DESIGN_OUTPUT = """{"total_fen": 3050, "fund_fen": 0, "general_fee_fund_fen": 0, "assistance_fen": 0, "self_paid_fen": 3050,
 "self_funded_fen": 0, "b_pre_self_fen": 120, "deductible_fen": 0, "eligible": false,
 "waiting_until": "2026-06-10", "reason": "待遇等待期内（至2026-06-10）"}"""


def cli(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.launcher", "calc", *args],
        input=stdin, capture_output=True, text=True, encoding="utf-8", cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


def in_process(stdin: str, jsonl: bool = False, policy: Path = DEMO) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_calc(policy, io.StringIO(stdin), out, err, jsonl=jsonl)
    return code, out.getvalue(), err.getvalue()


def with_change(path: str, value: object) -> str:
    case = json.loads(DESIGN_INPUT)
    *parents, last = path.replace("[", ".").replace("]", "").split(".")
    target = case
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = value
    return json.dumps(case, ensure_ascii=False)


def test_demo_policy_is_marked_as_example_values() -> None:
    policy = load_policy(DEMO)
    assert policy.region == "示例县（示例数值）"
    assert "示例数值" in policy.note
    assert "示例数值" in DEMO.read_text(encoding="utf-8").splitlines()[0]
    assert policy.chronic["I10"].name == "高血压"
    assert (policy.chronic["I10"].ratio_bp, policy.chronic["I10"].annual_cap_fen) == (6500, 200000)
    assert "E11" in policy.chronic
    assert sorted(policy.assistance) == ["dibao", "monitor", "tekun"]


def test_design_example_through_the_cli() -> None:
    done = cli("--policy", "resources/policies/demo-2026.toml", stdin=DESIGN_INPUT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    got, expected = json.loads(lines[0]), json.loads(DESIGN_OUTPUT)
    assert list(got) == list(expected)
    assert "2026-06-10" in got.pop("reason")
    expected.pop("reason")
    assert got == expected
    assert "待遇等待期" in lines[0]  # ensure_ascii=False: Chinese is printed as is


def test_invalid_case_through_the_cli() -> None:
    done = cli("--policy", str(DEMO), stdin=with_change("lines[1].class", "D"))
    assert done.returncode == 1
    assert done.stdout == ""
    assert "lines[1].class" in done.stderr and "医保类别" in done.stderr


def test_jsonl_through_the_cli_with_a_bad_line() -> None:
    good_later = with_change("visit_date", "2026-07-01")
    stdin = "\n".join([DESIGN_INPUT.replace("\n", " "), with_change("lines[0].amount_fen", -5), good_later]) + "\n"
    done = cli("--policy", str(DEMO), "--jsonl", stdin=stdin)
    assert done.returncode == 1
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 3
    assert rows[0]["total_fen"] == 3050 and rows[0]["eligible"] is False
    assert list(rows[1]) == ["error"] and "lines[0].amount_fen" in rows[1]["error"]
    assert rows[2]["eligible"] is True and rows[2]["fund_fen"] == 1158 and rows[2]["assistance_fen"] == 680
    assert rows[2]["total_fen"] == 3050


def test_jsonl_all_valid_exits_0() -> None:
    stdin = "\n".join([with_change("visit_date", f"2026-0{m}-01") for m in (3, 7, 9)]) + "\n\n"
    code, out, err = in_process(stdin, jsonl=True)
    assert code == 0, err
    assert [json.loads(line)["eligible"] for line in out.splitlines()] == [False, True, True]


INVALID = [
    ("lines[1].class", "D", "lines[1].class"),
    ("resident.assistance", "wubao", "resident.assistance"),
    ("lines[0].amount_fen", -1, "lines[0].amount_fen"),
    ("lines[0].amount_fen", 12.5, "lines[0].amount_fen"),
    ("lines[0].amount_fen", "1250", "lines[0].amount_fen"),
    ("kind", "chronic", "chronic_code"),
    ("visit_date", "2026/03/05", "visit_date"),
    ("resident.enrolled_on", "2026-02-31", "resident.enrolled_on"),
    ("visit_date", "2027-01-04", "visit_date"),
    ("visit_date", "2025-12-31", "visit_date"),
]


@pytest.mark.parametrize(("path", "value", "field"), INVALID, ids=[f"{p}={v!r}" for p, v, _ in INVALID])
def test_each_kind_of_invalid_input(path: str, value: object, field: str) -> None:
    code, out, err = in_process(with_change(path, value))
    assert (code, out) == (1, "")
    assert field in err
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err)  # a Chinese message


def test_unknown_chronic_code_and_not_json() -> None:
    case = json.loads(with_change("kind", "chronic"))
    case["chronic_code"] = "Z99"
    code, out, err = in_process(json.dumps(case))
    assert (code, out) == (1, "") and "chronic_code" in err and "Z99" in err
    code, out, err = in_process("not json")
    assert (code, out) == (1, "") and "JSON" in err


def test_a_bad_policy_file_exits_1_with_the_key(tmp_path: Path) -> None:
    text = DEMO.read_text(encoding="utf-8").replace("ratio_bp = 6000", "ratio = 6000")
    bad = tmp_path / "bad-2026.toml"
    bad.write_text(text, encoding="utf-8")
    code, out, err = in_process(DESIGN_INPUT, policy=bad)
    assert (code, out) == (1, "")
    assert "[outpatient]" in err and "ratio" in err and "bad-2026.toml" in err
    done = cli("--policy", str(tmp_path / "missing.toml"), stdin=DESIGN_INPUT)
    assert done.returncode == 1 and done.stdout == "" and "找不到政策文件" in done.stderr


def test_chronic_visit_under_the_demo_policy() -> None:
    case = copy.deepcopy(json.loads(DESIGN_INPUT))
    case.update(kind="chronic", chronic_code="I10", general_fee=False, visit_date="2026-08-01")
    case["lines"] = [{"amount_fen": 10000, "class": "A"}]
    code, out, err = in_process(json.dumps(case))
    assert code == 0, err
    result = json.loads(out)
    assert result["fund_fen"] == 6500 and result["deductible_fen"] == 0
    assert result["assistance_fen"] == 2450  # 70% of 3500
    assert result["self_paid_fen"] == 1050
