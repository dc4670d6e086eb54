"""The visit to settle (``Case`` and its parts) and the ``cunyi calc`` JSON reader (DESIGN §5).

``case_from_json`` checks the structure and types of one JSON case and names the offending field
by its JSON path (``visit_date``, ``resident.enrolled_on``, ``lines[1].class`` — list indexes count
from 0, the message also says "第2条明细"). Required keys: ``visit_date``, ``kind``, ``general_fee``,
``resident`` (with ``covered_years``) and ``lines`` (each with ``amount_fen`` and ``class``).
Optional keys and their defaults: ``chronic_code`` null, ``year_to_date`` all 0,
``resident.enrolled_on`` null, ``resident.central_period`` / ``resident.newborn`` false,
``resident.repaid_years`` 0, ``resident.assistance`` null, ``lines[i].class_b_self_bp`` null (the
policy default). Unknown keys are refused, so that a typo never silently changes a split. What
depends on the policy (known chronic codes and assistance categories, the policy's validity
dates) is checked by ``app.domain.policy.settle``.

Bounds, so that no input can make the calculation fail: every amount and year-to-date figure is at
most ``MAX_FEN`` (¥10,000,000), so is the sum of the lines; dates lie in 1900–2199; ``repaid_years``
is at most 100; texts are at most 64 characters. Values quoted in messages are shortened.
"""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from .enums import CoverageClass
from .errors import PolicyError
from .waiting import ResidentCover

KINDS = ("outpatient", "chronic")
CLASSES = tuple(c.value for c in CoverageClass)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_EARLIEST, _LATEST = date(1900, 1, 1), date(2199, 12, 31)
#: the largest amount accepted anywhere in a case, in fen (¥10,000,000)
MAX_FEN = 1_000_000_000
_MAX_TEXT = 64
_MAX_REPAID_YEARS = 100
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 2, 40, 40, 40
_SHORT.maxlist = _SHORT.maxdict = 4


class HugeNumber(int):
    """A JSON integer of more digits than any field takes: compares as 10**30, shows its first digits.

    ``json.loads(text, parse_int=json_int)`` gives one instead of converting thousands of digits (which
    Python refuses beyond 4300), so the field that holds it is named as "over the limit".
    """

    digits: str

    def __new__(cls, digits: str) -> HugeNumber:
        number = super().__new__(cls, -(10**30) if digits.startswith("-") else 10**30)
        number.digits = digits
        return number

    def __repr__(self) -> str:
        return f"{self.digits[:12]}…（{len(self.digits.lstrip('-'))}位数）"


def json_int(text: str) -> int:
    """``parse_int`` for ``json.loads``: an ordinary int, or a ``HugeNumber`` beyond 18 digits."""
    return HugeNumber(text) if len(text.lstrip("-")) > 18 else int(text)


def show(value: object) -> str:
    """A value as quoted in a message, shortened: deep lists, long texts and huge numbers are cut."""
    return _SHORT.repr(value)


@dataclass(frozen=True)
class Line:
    """One prescription line's money: amount, coverage class A/B/C, optional 乙类先行自付 override."""

    amount_fen: int
    coverage_class: str
    class_b_self_bp: int | None = None


@dataclass(frozen=True)
class YearToDate:
    """Already used this policy year (settlements minus reversals). ``chronic_fund_fen`` is the
    visit's disease's pool."""

    deductible_fen: int = 0
    fund_fen: int = 0
    chronic_fund_fen: int = 0
    assistance_fen: int = 0


@dataclass(frozen=True)
class Case:
    """One visit to settle. ``kind`` is "outpatient" or "chronic" (then ``chronic_code`` is set)."""

    visit_date: date
    kind: str
    chronic_code: str | None
    general_fee: bool
    resident: ResidentCover
    year_to_date: YearToDate
    lines: tuple[Line, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.lines, tuple):
            object.__setattr__(self, "lines", tuple(self.lines))



def _fail(message: str, field: str) -> None:
    raise PolicyError(message, field=field)


def field_label(path: str) -> str:
    """``lines[1].class`` → ``lines[1].class（第2条明细）`` so that people and programs both find it."""
    found = re.match(r"lines\[(\d+)\]", path)
    return f"{path}（第{int(found.group(1)) + 1}条明细）" if found else path


def _object(value: object, path: str, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(f"{field_label(path)}：应为 JSON 对象 {{…}}，现在是“{show(value)}”", path)
    for key in required:
        if key not in value:  # type: ignore[operator]
            name = f"{path}.{key}" if path else key
            _fail(f"{field_label(name)}：缺少这一项，请补上", name)
    for key in value:  # type: ignore[union-attr]
        if key not in required and key not in optional:
            name = f"{path}.{show(key)[1:-1]}" if path else show(key)[1:-1]
            allowed = "、".join(required + optional)
            _fail(f"{field_label(name)}：未知的字段（允许：{allowed}），请删除或改正", name)
    return value  # type: ignore[return-value]


def _date(value: object, path: str, nullable: bool = False) -> date | None:
    if value is None and nullable:
        return None
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if _EARLIEST <= day <= _LATEST:
                return day
            _fail(f"{path}：日期“{value}”超出范围，应在 1900-01-01 到 2199-12-31 之间", path)
    _fail(f"{path}：日期“{value[:40] if isinstance(value, str) else show(value)}”格式不对，应为 YYYY-MM-DD，如 2026-03-05", path)
    raise AssertionError  # unreachable


def _count(value: object, path: str, what: str = "金额（分）", maximum: int = MAX_FEN) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(f"{field_label(path)}：{what}应为非负整数，现在是“{show(value)}”", path)
    if value > maximum:  # type: ignore[operator]
        limit = "¥10,000,000（1000000000 分）" if maximum == MAX_FEN else str(maximum)
        _fail(f"{field_label(path)}：{what}“{show(value)}”超过上限 {limit}，请检查是否输错", path)
    return value  # type: ignore[return-value]


def _flag(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        _fail(f"{path}：应为 true 或 false，现在是“{show(value)}”", path)
    return value  # type: ignore[return-value]


def _text(value: object, path: str) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > _MAX_TEXT):
        _fail(f"{path}：应为文字（最多 {_MAX_TEXT} 个字符）或 null，现在是“{show(value)}”", path)
    return value  # type: ignore[return-value]


def case_from_json(obj: object) -> Case:
    """Build a ``Case`` from the parsed JSON of one ``cunyi calc`` input.

    Raises:
        PolicyError: naming the field (JSON path) that is missing, unknown or of the wrong type.
    """
    top = _object(obj, "", ("visit_date", "kind", "general_fee", "resident", "lines"), ("chronic_code", "year_to_date"))
    visit_date = _date(top["visit_date"], "visit_date")
    kind = top["kind"]
    if not isinstance(kind, str) or kind not in KINDS:
        _fail(f"kind：就诊类型“{kind[:40] if isinstance(kind, str) else show(kind)}”未知，应为 outpatient（普通门诊）或 chronic（门诊慢特病）", "kind")
    chronic_code = _text(top.get("chronic_code"), "chronic_code")
    if kind == "chronic" and not chronic_code:
        _fail("chronic_code：门诊慢特病（kind 为 chronic）需要慢特病编码，如 I10", "chronic_code")

    res = _object(
        top["resident"], "resident", ("covered_years",),
        ("enrolled_on", "central_period", "newborn", "repaid_years", "assistance"),
    )  # fmt: skip
    years = res["covered_years"]
    if not isinstance(years, list):
        _fail(f"resident.covered_years：应为年份列表，如 [2025, 2026]，现在是“{show(years)}”", "resident.covered_years")
    for i, year in enumerate(years):
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
            _fail(f"resident.covered_years[{i}]：参保年度应为 1900–2200 的整数年份，现在是“{show(year)}”",
                  f"resident.covered_years[{i}]")
    resident = ResidentCover(
        covered_years=frozenset(years),
        enrolled_on=_date(res.get("enrolled_on"), "resident.enrolled_on", nullable=True),
        central_period=_flag(res.get("central_period", False), "resident.central_period"),
        newborn=_flag(res.get("newborn", False), "resident.newborn"),
        repaid_years=_count(res.get("repaid_years", 0), "resident.repaid_years", "修复缴费年数", _MAX_REPAID_YEARS),
        assistance=_text(res.get("assistance"), "resident.assistance"),
    )

    ytd_keys = ("deductible_fen", "fund_fen", "chronic_fund_fen", "assistance_fen")
    ytd = _object(top.get("year_to_date", {}), "year_to_date", (), ytd_keys)
    year_to_date = YearToDate(**{k: _count(ytd.get(k, 0), f"year_to_date.{k}") for k in ytd_keys})

    raw_lines = top["lines"]
    if not isinstance(raw_lines, list):
        _fail(f"lines：应为明细列表 [{{…}}, …]，现在是“{show(raw_lines)}”", "lines")
    lines = []
    for i, raw in enumerate(raw_lines):
        path = f"lines[{i}]"
        item = _object(raw, path, ("amount_fen", "class"), ("class_b_self_bp",))
        cls = item["class"]
        if not isinstance(cls, str) or cls not in CLASSES:
            _fail(f"{field_label(path + '.class')}：医保类别“{cls[:40] if isinstance(cls, str) else show(cls)}”未知，应为 A、B 或 C", f"{path}.class")
        bp = item.get("class_b_self_bp")
        if bp is not None and (isinstance(bp, bool) or not isinstance(bp, int) or not 0 <= bp <= 10000):
            _fail(
                f"{field_label(path + '.class_b_self_bp')}：应为 0 到 10000 的整数（基点，1500 表示 15%），现在是“{show(bp)}”",
                f"{path}.class_b_self_bp",
            )
        lines.append(Line(_count(item["amount_fen"], f"{path}.amount_fen"), cls, bp))
    if sum(line.amount_fen for line in lines) > MAX_FEN:
        _fail("lines：明细金额合计超过上限 ¥10,000,000（1000000000 分），请检查是否输错", "lines")
    return Case(
        visit_date=visit_date, kind=kind, chronic_code=chronic_code, general_fee=_flag(top["general_fee"], "general_fee"),
        resident=resident, year_to_date=year_to_date, lines=tuple(lines),
    )  # type: ignore[arg-type]  # fmt: skip
