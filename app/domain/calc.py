"""``cunyi calc --policy FILE [--jsonl]``: settlement trial calculation (DESIGN §5, §9).

Single mode reads one JSON case from stdin and prints one JSON line with exactly the DESIGN keys;
an invalid case prints a Chinese message naming the field on stderr, nothing on stdout, and exits 1.
``--jsonl`` (政策测算) reads one case per line and prints one result per line in the same order; an
invalid line prints ``{"error": "<message>"}`` in its place and the exit code is 1. Blank lines are
skipped. A policy file that cannot be read or checked exits 1 before any case is read.

The module does no I/O of its own beyond the streams it is given and the policy file it is told to read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from .errors import PolicyError
from .policy import Policy, case_from_json, load_policy, settle

EXIT_OK, EXIT_INVALID = 0, 1


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False)


def calc_text(policy: Policy, text: str) -> dict:
    """Settle the JSON text of one case and return the DESIGN §5 output object.

    Raises:
        PolicyError: when the text is not JSON or the case is invalid (field named).
    """
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(
            f"输入不是有效的 JSON（第{exc.lineno}行第{exc.colno}列：{exc.msg}），请检查病例格式", field="输入"
        ) from None
    return settle(policy, case_from_json(obj)).to_json()


def run_calc(policy_path: Path | str, stdin: TextIO, stdout: TextIO, stderr: TextIO, jsonl: bool = False) -> int:
    """Run ``cunyi calc``; returns the exit code (0 ok, 1 invalid policy or case)."""
    try:
        policy = load_policy(policy_path)
    except PolicyError as exc:
        print(str(exc), file=stderr)
        return EXIT_INVALID
    if not jsonl:
        try:
            result = calc_text(policy, stdin.read())
        except PolicyError as exc:
            print(str(exc), file=stderr)
            return EXIT_INVALID
        print(_dumps(result), file=stdout)
        return EXIT_OK

    invalid = count = 0
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        count += 1
        try:
            result = calc_text(policy, line)
        except PolicyError as exc:
            invalid += 1
            result = {"error": f"第{number}行：{exc}"}
        print(_dumps(result), file=stdout)
    if invalid:
        print(f"共 {count} 个病例，其中 {invalid} 个无效（见输出中的 error）", file=stderr)
        return EXIT_INVALID
    return EXIT_OK
