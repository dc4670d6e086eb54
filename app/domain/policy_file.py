"""The policy file (DESIGN §5): one county's outpatient pooling figures for one year, strictly checked.

Allowed sections and keys (every key listed is required unless marked optional; any other key is an
error naming it):

- ``[meta]``: ``region`` (text), ``year`` (int), ``valid_from``, ``valid_to`` (a TOML date or a
  "YYYY-MM-DD" string, both inside ``year``), ``note`` (optional text, e.g. "示例数值").
- ``[outpatient]``: ``deductible_fen``, ``ratio_bp``, ``per_visit_cap_fen`` (0 = none),
  ``annual_cap_fen``, ``class_b_self_bp``.
- ``[general_fee]``: ``amount_fen``, ``fund_fen`` (not more than ``amount_fen``).
- ``[chronic.<code>]`` (optional, any number): ``name``, ``ratio_bp``, ``annual_cap_fen``.
- ``[assistance.<category>]`` (optional; category one of tekun, dibao, monitor): ``name``,
  ``ratio_bp``, ``annual_cap_fen``.
- ``[waiting_period]``: ``fixed_months``, ``extra_month_per_gap_year``, ``min_months_after_long_gap``.

Amounts are non-negative integers in fen, ratios integers in basis points 0..10000 (6000 = 60%),
months non-negative integers. Only ``per_visit_cap_fen`` uses 0 for "no cap"; an annual cap of 0
means the pool pays nothing.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .enums import AssistanceCategory
from .errors import PolicyError

MAX_BP = 10000
_OPTIONAL = object()


@dataclass(frozen=True)
class OutpatientPolicy:
    """普通门诊统筹: the general pool."""

    deductible_fen: int
    ratio_bp: int
    per_visit_cap_fen: int
    annual_cap_fen: int
    class_b_self_bp: int


@dataclass(frozen=True)
class GeneralFeePolicy:
    """一般诊疗费: the fee charged per visit and the part the fund pays outside ratio and caps."""

    amount_fen: int
    fund_fen: int


@dataclass(frozen=True)
class ChronicPolicy:
    """门诊慢特病: one disease's own pool."""

    name: str
    ratio_bp: int
    annual_cap_fen: int


@dataclass(frozen=True)
class AssistancePolicy:
    """医疗救助 for one category of resident."""

    name: str
    ratio_bp: int
    annual_cap_fen: int


@dataclass(frozen=True)
class WaitingPeriodPolicy:
    """待遇等待期 (国办发〔2024〕38号) in months."""

    fixed_months: int
    extra_month_per_gap_year: int
    min_months_after_long_gap: int


@dataclass(frozen=True)
class Policy:
    """One policy year of one region, as read from its file."""

    region: str
    year: int
    valid_from: date
    valid_to: date
    outpatient: OutpatientPolicy
    general_fee: GeneralFeePolicy
    chronic: dict[str, ChronicPolicy]
    assistance: dict[str, AssistancePolicy]
    waiting_period: WaitingPeriodPolicy
    note: str = ""
    source: str = ""
    #: the content hash of the file's text (``policy_version``): what a settlement records
    version: str = ""

    __hash__ = None  # type: ignore[assignment]  # holds dicts

    def covers(self, day: date) -> bool:
        """Whether ``day`` lies within ``valid_from``…``valid_to``."""
        return self.valid_from <= day <= self.valid_to


class _Section:
    """Reads one TOML table, remembering which keys were used so that leftovers are reported."""

    def __init__(self, table: object, name: str, source: str) -> None:
        self.name, self.source = name, source
        if not isinstance(table, dict):
            self.fail(f"政策文件 [{name}] 应为一节（表），现在是“{table!r}”", name)
        self.table: dict[str, Any] = table  # type: ignore[assignment]

    def fail(self, message: str, field: str) -> None:
        suffix = f"（文件：{self.source}）" if self.source else ""
        raise PolicyError(message + suffix, field=field)

    def _get(self, key: str, default: object = None) -> Any:
        if key not in self.table:
            if default is _OPTIONAL:
                return None
            self.fail(f"政策文件 [{self.name}] 缺少 {key}，请补上", f"{self.name}.{key}")
        return self.table[key]

    def text(self, key: str, optional: bool = False) -> str:
        value = self._get(key, _OPTIONAL if optional else None)
        if value is None:
            return ""
        if not isinstance(value, str) or (not optional and not value.strip()):
            self.fail(f"政策文件 [{self.name}] {key} 应为非空文字，现在是“{value!r}”", f"{self.name}.{key}")
        return value.strip()

    def integer(self, key: str, what: str = "非负整数") -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(f"政策文件 [{self.name}] {key} 应为{what}，现在是“{value!r}”", f"{self.name}.{key}")
        return value

    def fen(self, key: str) -> int:
        return self.integer(key, "非负整数（单位：分）")

    def bp(self, key: str) -> int:
        value = self.integer(key, "0 到 10000 的整数（基点，6000 表示 60%）")
        if value > MAX_BP:
            self.fail(
                f"政策文件 [{self.name}] {key} 应在 0 到 10000 之间（基点，6000 表示 60%），现在是 {value}",
                f"{self.name}.{key}",
            )
        return value

    def day(self, key: str) -> date:
        value = self._get(key)
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(f"政策文件 [{self.name}] {key} 应为日期，如 \"2026-01-01\"，现在是“{value!r}”", f"{self.name}.{key}")
        raise AssertionError  # unreachable

    def done(self, allowed: tuple[str, ...]) -> None:
        for key in self.table:
            if key not in allowed:
                self.fail(
                    f"政策文件 [{self.name}] 有未知的键 {key}（允许的键：{'、'.join(allowed)}），请删除或改正",
                    f"{self.name}.{key}",
                )


_SECTIONS = ("meta", "outpatient", "general_fee", "chronic", "assistance", "waiting_period")
_OPTIONAL_SECTIONS = ("chronic", "assistance")


def parse_policy(text: str, source: str = "") -> Policy:
    """Parse and check a policy file's text.

    Args:
        text: the TOML text.
        source: the file name, added to error messages.

    Raises:
        PolicyError: naming the section and key that is missing, unknown or of the wrong type.
    """
    suffix = f"（文件：{source}）" if source else ""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"政策文件不是有效的 TOML：{exc}{suffix}", field="政策文件") from None
    for name in doc:
        if name not in _SECTIONS:
            raise PolicyError(
                f"政策文件有未知的节或键 [{name}]（允许：{'、'.join(_SECTIONS)}）{suffix}", field=name
            )
    for name in _SECTIONS:
        if name not in doc and name not in _OPTIONAL_SECTIONS:
            raise PolicyError(f"政策文件缺少 [{name}] 节，请补上{suffix}", field=name)

    meta = _Section(doc["meta"], "meta", source)
    region, year = meta.text("region"), meta.integer("year", "年份整数，如 2026")
    valid_from, valid_to = meta.day("valid_from"), meta.day("valid_to")
    note = meta.text("note", optional=True)
    meta.done(("region", "year", "valid_from", "valid_to", "note"))
    if valid_from > valid_to:
        meta.fail("政策文件 [meta] valid_from 不能晚于 valid_to", "meta.valid_from")
    if valid_from.year != year or valid_to.year != year:
        meta.fail(f"政策文件 [meta] valid_from 与 valid_to 应在 {year} 年内（year = {year}）", "meta.valid_from")

    out = _Section(doc["outpatient"], "outpatient", source)
    outpatient = OutpatientPolicy(
        deductible_fen=out.fen("deductible_fen"),
        ratio_bp=out.bp("ratio_bp"),
        per_visit_cap_fen=out.fen("per_visit_cap_fen"),
        annual_cap_fen=out.fen("annual_cap_fen"),
        class_b_self_bp=out.bp("class_b_self_bp"),
    )
    out.done(("deductible_fen", "ratio_bp", "per_visit_cap_fen", "annual_cap_fen", "class_b_self_bp"))

    gf = _Section(doc["general_fee"], "general_fee", source)
    general_fee = GeneralFeePolicy(amount_fen=gf.fen("amount_fen"), fund_fen=gf.fen("fund_fen"))
    gf.done(("amount_fen", "fund_fen"))
    if general_fee.fund_fen > general_fee.amount_fen:
        gf.fail("政策文件 [general_fee] fund_fen 不能大于 amount_fen", "general_fee.fund_fen")

    chronic = {code: ChronicPolicy(*_pool(table, f"chronic.{code}", source)) for code, table in _group(doc, "chronic", source)}
    assistance: dict[str, AssistancePolicy] = {}
    for category, table in _group(doc, "assistance", source):
        if category not in {c.value for c in AssistanceCategory}:
            allowed = "、".join(c.value for c in AssistanceCategory)
            raise PolicyError(
                f"政策文件 [assistance.{category}] 不是已知的救助类别（允许：{allowed}）{suffix}",
                field=f"assistance.{category}",
            )
        assistance[category] = AssistancePolicy(*_pool(table, f"assistance.{category}", source))

    wp = _Section(doc["waiting_period"], "waiting_period", source)
    waiting = WaitingPeriodPolicy(
        fixed_months=wp.integer("fixed_months", "非负整数（月）"),
        extra_month_per_gap_year=wp.integer("extra_month_per_gap_year", "非负整数（月）"),
        min_months_after_long_gap=wp.integer("min_months_after_long_gap", "非负整数（月）"),
    )
    wp.done(("fixed_months", "extra_month_per_gap_year", "min_months_after_long_gap"))

    return Policy(
        region=region, year=year, valid_from=valid_from, valid_to=valid_to, outpatient=outpatient,
        general_fee=general_fee, chronic=chronic, assistance=assistance, waiting_period=waiting,
        note=note, source=source, version=policy_version(text),
    )  # fmt: skip


def policy_version(text: str) -> str:
    """The version of a policy file: the first 16 hex digits of the SHA-256 of its text (UTF-8).

    Two files with the same text are the same version wherever they were imported; any change of a
    figure (or a comment) is a new version.
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _group(doc: dict[str, Any], name: str, source: str) -> list[tuple[str, object]]:
    """The sub-tables of an optional section such as ``[chronic.I10]``."""
    if name not in doc:
        return []
    return list(_Section(doc[name], name, source).table.items())


def _pool(table: object, name: str, source: str) -> tuple[str, int, int]:
    sec = _Section(table, name, source)
    values = (sec.text("name"), sec.bp("ratio_bp"), sec.fen("annual_cap_fen"))
    sec.done(("name", "ratio_bp", "annual_cap_fen"))
    return values


def load_policy(path: Path | str) -> Policy:
    """Read and check a policy file (UTF-8 TOML).

    Raises:
        PolicyError: when the file cannot be read or does not follow DESIGN §5.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"找不到政策文件：{path}，请检查路径", field="政策文件") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"无法读取政策文件 {path}：{exc}（应为 UTF-8 编码的 TOML）", field="政策文件") from None
    return parse_policy(text, source=path.name)
