"""`cunyi calc --policy FILE [--jsonl]` against the bundled demo policy (DESIGN §5, §9)."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# -- hostile input: never a traceback (DESIGN §5: exit 1, the field named on stderr, nothing on stdout) --

def in_process_bytes(data: bytes, jsonl: bool = False) -> tuple[int, str, str]:
    """Like ``in_process`` but from raw bytes, as the CLI reads its standard input."""
    out, err = io.StringIO(), io.StringIO()
    code = run_calc(DEMO, io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"), out, err, jsonl=jsonl)
    return code, out.getvalue(), err.getvalue()


def refused(stdin: str, field: str, *words: str) -> str:
    code, out, err = in_process(stdin)
    assert (code, out) == (1, ""), err
    assert field in err and all(w in err for w in words), err
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err) and "Traceback" not in err and "无法计算" not in err
    return err


def without(path: str) -> str:
    case = json.loads(DESIGN_INPUT)
    *parents, last = path.split(".")
    target = case
    for part in parents:
        target = target[part]
    del target[last]
    return json.dumps(case)


def test_deep_nesting() -> None:
    refused("[" * 100_000 + "]" * 100_000, "输入", "嵌套")
    refused("[" * 100_000, "输入")
    refused('{"a":' * 50_000 + "1" + "}" * 50_000, "输入")
    refused(with_change("lines", [[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]), "lines[0]")
    err = refused(with_change("kind", json.loads("[" * 500 + "]" * 500)), "kind")
    assert len(err) < 300  # the value is shortened, not printed 500 levels deep


def test_huge_integers_and_the_amount_bound() -> None:
    huge = "1" + "0" * 5000
    refused(with_change("lines[0].amount_fen", 0).replace('"amount_fen": 0', f'"amount_fen": {huge}'),
            "lines[0].amount_fen", "超过上限")
    refused(with_change("year_to_date.fund_fen", 0).replace('"fund_fen": 0', f'"fund_fen": -{huge}'),
            "year_to_date.fund_fen", "非负整数")
    refused(with_change("resident.covered_years", [0]).replace("[0]", f"[{huge}]"), "resident.covered_years[0]")
    refused(with_change("lines[1].class_b_self_bp", 10**30), "lines[1].class_b_self_bp")
    refused(with_change("resident.repaid_years", 101), "resident.repaid_years", "超过上限")
    refused(with_change("lines[0].amount_fen", 1_000_000_001), "lines[0].amount_fen", "¥10,000,000")
    refused(with_change("year_to_date.deductible_fen", 1_000_000_001), "year_to_date.deductible_fen", "超过上限")
    two = json.loads(DESIGN_INPUT)
    two["lines"] = [{"amount_fen": 600_000_000, "class": "A"}, {"amount_fen": 600_000_000, "class": "C"}]
    refused(json.dumps(two), "lines", "合计")
    two["lines"] = [{"amount_fen": 999_999_000, "class": "A"}, {"amount_fen": 1000, "class": "C"}]
    code, out, err = in_process(json.dumps(two))  # the bound itself is fine
    assert code == 0, err
    assert json.loads(out)["total_fen"] == 1_000_000_000 + 1000  # and the general fee


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "12.0", "1.5", "true", "false", "null",
                                   '"12"', "[12]", "{}"])
def test_floats_nan_booleans_and_other_types_where_an_amount_is_expected(value: str) -> None:
    text = with_change("lines[0].amount_fen", "@").replace('"@"', value)
    refused(text, "lines[0].amount_fen", "金额（分）应为非负整数")


WRONG = (None, "x", [], {}, 1.5, True, -1, 10**30)
VALID = {"chronic_code": (None,), "general_fee": (True,), "resident.covered_years": ([],),
         "resident.enrolled_on": (None,), "resident.central_period": (True,), "resident.newborn": (True,),
         "resident.assistance": (None,), "year_to_date": ({},), "lines": ([],), "lines[1].class_b_self_bp": (None,)}
FIELDS = ("visit_date", "kind", "chronic_code", "general_fee", "resident", "resident.covered_years",
          "resident.enrolled_on", "resident.central_period", "resident.newborn", "resident.repaid_years",
          "resident.assistance", "year_to_date", "year_to_date.fund_fen", "lines", "lines[0]", "lines[0].amount_fen",
          "lines[0].class", "lines[1].class_b_self_bp")


@pytest.mark.parametrize("path", FIELDS)
def test_wrong_type_for_every_field(path: str) -> None:
    for value in WRONG:
        if any(value == ok and type(value) is type(ok) for ok in VALID.get(path, ())):
            continue
        refused(with_change("lines", [value]) if path == "lines[0]" else with_change(path, value), path)


@pytest.mark.parametrize("path", ["visit_date", "kind", "general_fee", "resident", "lines", "resident.covered_years"])
def test_missing_fields(path: str) -> None:
    refused(without(path), path, "缺少")


@pytest.mark.parametrize(("path", "value"), [
    ("resident.enrolled_on", "9999-12-31"), ("resident.enrolled_on", "0001-01-01"), ("resident.enrolled_on", "1899-12-31"),
    ("resident.enrolled_on", "2200-01-01"), ("resident.enrolled_on", "2026-02-30"), ("resident.enrolled_on", "2026-٠٢-10"),
    ("visit_date", "9999-12-31"), ("visit_date", "0001-01-01"), ("visit_date", "2026-13-01"),
])
def test_dates_out_of_range(path: str, value: str) -> None:
    refused(with_change(path, value), path)


def test_empty_input_binary_garbage_and_a_bom() -> None:
    for empty in (b"", b"   \n\n", b"\xef\xbb\xbf"):
        code, out, err = in_process_bytes(empty)
        assert (code, out) == (1, "") and "输入为空" in err
    assert in_process_bytes(b"", jsonl=True) == (0, "", "")
    for garbage in (bytes(range(256)), b"\xff\xfe{\x00", b"\x00" * 50, DESIGN_INPUT.encode("utf-16")):
        code, out, err = in_process_bytes(garbage)
        assert (code, out) == (1, "") and "输入" in err, err
    expected = in_process(DESIGN_INPUT)
    assert expected[0] == 0
    assert in_process_bytes(b"\xef\xbb\xbf" + DESIGN_INPUT.encode()) == expected
    assert in_process("\ufeff" + DESIGN_INPUT) == expected


def test_jsonl_hostile_lines_do_not_stop_the_batch() -> None:
    good = [DESIGN_INPUT.replace("\n", " "), with_change("visit_date", "2026-07-01"),
            with_change("lines[0].amount_fen", 999_999_000)]
    expected = [json.loads(in_process(g)[1]) for g in good]
    lines = [
        b"\xef\xbb\xbf" + good[0].encode(),  # a BOM on the first line
        b"[" * 100_000,
        good[1].encode(),
        with_change("lines[0].amount_fen", 0).replace('"amount_fen": 0', '"amount_fen": 1' + "0" * 5000).encode(),
        b"\xff\xfe\x00garbage",
        b"",
        with_change("resident.enrolled_on", "9999-12-31").encode(),
        with_change("lines[0].amount_fen", "@").replace('"@"', "NaN").encode(),
        good[2].encode(),
    ]
    code, out, err = in_process_bytes(b"\r\n".join(lines) + b"\n", jsonl=True)
    assert code == 1 and "共 8 个病例，其中 5 个无效" in err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r for r in rows if "error" not in r] == expected
    errors = [r["error"] for r in rows if "error" in r]
    assert [list(r) for r in rows].count(["error"]) == 5
    assert [e.split("：")[0] for e in errors] == ["第2行", "第4行", "第5行", "第7行", "第8行"]
    assert "嵌套" in errors[0] and "lines[0].amount_fen" in errors[1] and "UTF-8" in errors[2]
    assert "resident.enrolled_on" in errors[3] and "lines[0].amount_fen" in errors[4]
    assert [("error" in r) for r in rows] == [False, True, False, True, True, True, True, False]


def test_hostile_input_through_the_cli() -> None:
    for data in (b"[" * 100_000, bytes(range(256)), b""):
        done = subprocess.run([sys.executable, "-m", "ui.launcher", "calc", "--policy", str(DEMO)], input=data,
                              capture_output=True, cwd=ROOT, timeout=60, check=False)
        assert (done.returncode, done.stdout) == (1, b""), done.stderr
        assert b"Traceback" not in done.stderr and "输入".encode() in done.stderr
    done = subprocess.run([sys.executable, "-m", "ui.launcher", "calc", "--policy", str(DEMO), "--jsonl"],
                          input=b"\xef\xbb\xbf" + DESIGN_INPUT.replace("\n", " ").encode() + b"\n\xff\n[[[\n",
                          capture_output=True, cwd=ROOT, timeout=60, check=False)
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert rows[0]["total_fen"] == 3050 and [list(r) for r in rows[1:]] == [["error"], ["error"]]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-10**40, max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30)
    | st.sampled_from(["2026-03-05", "9999-12-31", "0001-01-01", "A", "B", "C", "chronic", "outpatient", "I10", "tekun"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def _never_crashes(text: str) -> None:
    code, out, err = in_process(text)
    if code == 0:
        assert len(out.splitlines()) == 1 and "total_fen" in json.loads(out)
    else:
        assert (code, out) == (1, "") and any("\u4e00" <= ch <= "\u9fff" for ch in err), err
        assert "无法计算" not in err, err  # every bad input is caught by a check that names it


@settings(max_examples=300, deadline=None, database=None)
@given(JSON_VALUES)
def test_random_json_never_crashes(value: object) -> None:
    _never_crashes(json.dumps(value))


@settings(max_examples=300, deadline=None, database=None)
@given(st.sampled_from(FIELDS + ("lines[1].amount_fen", "year_to_date.deductible_fen", "year_to_date.chronic_fund_fen")), JSON_VALUES)
def test_random_json_in_any_field_never_crashes(path: str, value: object) -> None:
    _never_crashes(with_change("lines", [value]) if path == "lines[0]" else with_change(path, value))


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(st.binary(max_size=40) | JSON_VALUES.map(lambda v: json.dumps(v).encode()), max_size=6))
def test_random_jsonl_batches_keep_every_line(lines: list[bytes]) -> None:
    batch = [line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines] + [DESIGN_INPUT.replace("\n", " ").encode()]
    code, out, err = in_process_bytes(b"\n".join(batch) + b"\n", jsonl=True)
    rows = [json.loads(line) for line in out.splitlines()]
    # a line holding nothing but blanks (or a byte-order mark) is skipped; every other line answers
    assert code in (0, 1) and len(rows) == sum(1 for b in batch if b.decode("utf-8", "replace").removeprefix("\ufeff").strip())
    assert rows[-1]["total_fen"] == 3050
