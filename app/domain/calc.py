"""``cunyi calc --policy FILE [--jsonl]``: settlement trial calculation (DESIGN §5, §9).

Single mode reads one JSON case from stdin and prints one JSON line with exactly the DESIGN keys;
an invalid case prints a Chinese message naming the field on stderr, nothing on stdout, and exits 1.
``--jsonl`` (政策测算) reads one case per line and prints one result per line in the same order; an
invalid line prints ``{"error": "<message>"}`` in its place and the exit code is 1. Blank lines are
skipped. A policy file that cannot be read or checked exits 1 before any case is read.

No input makes it crash: the input is read as UTF-8 bytes (a leading BOM, as Windows editors write it,
is skipped; bytes that are not UTF-8 are an invalid case), deep nesting and huge numbers are invalid
cases naming the field, and in ``--jsonl`` a bad line never stops the lines after it.

The module does no I/O of its own beyond the streams it is given and the policy file it is told to read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from .errors import PolicyError
from .policy import Policy, case_from_json, load_policy, settle
from .visit_case import json_int

EXIT_OK, EXIT_INVALID = 0, 1


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False)


def calc_text(policy: Policy, text: str) -> dict:
    """Settle the JSON text of one case and return the DESIGN §5 output object.

    Raises:
        PolicyError: when the text is not JSON or the case is invalid (field named).
    """
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise PolicyError("输入为空：请提供一个 JSON 格式的病例", field="输入")
    try:
        obj = json.loads(text, parse_int=json_int)
    except json.JSONDecodeError as exc:
        raise PolicyError(
            f"输入不是有效的 JSON（第{exc.lineno}行第{exc.colno}列：{exc.msg}），请检查病例格式", field="输入"
        ) from None
    except RecursionError:
        raise PolicyError("输入的 JSON 嵌套层数太多，不是病例格式，请检查", field="输入") from None
    return settle(policy, case_from_json(obj)).to_json()


def _safe_calc(policy: Policy, text: str | None) -> dict:
    """``calc_text`` for one case; ``text`` None means the bytes were not UTF-8.

    Raises:
        PolicyError: for every invalid case, also one that trips an unexpected error in the calculation.
    """
    if text is None:
        raise PolicyError("输入不是 UTF-8 编码的文字（可能是二进制文件），请用 UTF-8 保存病例", field="输入")
    try:
        return calc_text(policy, text)
    except PolicyError:
        raise
    except (ArithmeticError, RecursionError, ValueError, TypeError, KeyError) as exc:
        raise PolicyError(f"病例无法计算（{type(exc).__name__}），请检查各项数值", field="输入") from None


def _decoded(data: bytes | str) -> str | None:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _lines(stdin: TextIO) -> Iterator[str | None]:
    """The input's lines as text (None for a line that is not UTF-8), from its bytes when it has them."""
    source = getattr(stdin, "buffer", stdin)
    for line in source:
        yield _decoded(line)


def run_calc(policy_path: Path | str, stdin: TextIO, stdout: TextIO, stderr: TextIO, jsonl: bool = False) -> int:
    """Run ``cunyi calc``; returns the exit code (0 ok, 1 invalid policy or case)."""
    try:
        policy = load_policy(policy_path)
    except PolicyError as exc:
        print(str(exc), file=stderr)
        return EXIT_INVALID
    if not jsonl:
        try:
            result = _safe_calc(policy, _decoded(getattr(stdin, "buffer", stdin).read()))
        except PolicyError as exc:
            print(str(exc), file=stderr)
            return EXIT_INVALID
        print(_dumps(result), file=stdout)
        return EXIT_OK

    invalid = count = 0
    for number, line in enumerate(_lines(stdin), start=1):
        if line is not None and not line.removeprefix("\ufeff").strip():
            continue
        count += 1
        try:
            result = _safe_calc(policy, line)
        except PolicyError as exc:
            invalid += 1
            result = {"error": f"第{number}行：{exc}"}
        print(_dumps(result), file=stdout)
    if invalid:
        print(f"共 {count} 个病例，其中 {invalid} 个无效（见输出中的 error）", file=stderr)
        return EXIT_INVALID
    return EXIT_OK
