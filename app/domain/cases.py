"""Assisted filing 帮办代办 (DESIGN §6): the case types' checklists and due times, the timeline's legal
steps, and who counts as a close relative for family mutual aid 家庭共济.

The case types file (``resources/cases/case_types.toml``) has one section per ``CaseType``:

- ``[meta]``: ``note`` (text, optional): what the values are (示例数值).
- ``[types.<case_type>]`` for every ``CaseType`` value (``manual_reimbursement`` …), each with
  ``due_workdays`` (an integer from 1 to ``MAX_WORKDAYS``: the case is due that many working days after
  the day it is opened) and ``materials`` (the 一次性告知 checklist: a non-empty list of distinct texts);
  ``note`` (text) is optional.

Any other section or key, a missing type, or a value of the wrong kind is a ``ValidationError`` whose
message names the file and the field. Pure: the caller reads the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .enums import CaseStatus, CaseType
from .errors import RuleViolation, ValidationError
from .workdays import MAX_WORKDAYS

MAX_MATERIAL_CHARS = 60
MAX_MATERIALS = 30


@dataclass(frozen=True)
class CaseTypeSpec:
    """One case type as configured: its checklist and how many working days it may take."""

    case_type: CaseType
    due_workdays: int
    materials: tuple[str, ...]
    note: str = ""

    @property
    def label(self) -> str:
        return self.case_type.label


@dataclass(frozen=True)
class CaseTypes:
    """Every case type of one file."""

    types: dict[CaseType, CaseTypeSpec]
    note: str = ""
    source: str = ""

    def __getitem__(self, case_type: CaseType | str) -> CaseTypeSpec:
        return self.types[CaseType(case_type)]


def _fail(source: str, where: str, message: str) -> ValidationError:
    return ValidationError(f"帮办代办事项配置文件 {source} 中 {where}：{message}", where)


def _text(value: Any, source: str, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(source, where, "应为文字")
    return value.strip()


def _spec(case_type: CaseType, table: Any, source: str) -> CaseTypeSpec:
    where = f"[types.{case_type.value}]"
    if not isinstance(table, dict):
        raise _fail(source, where, "应为一节（[types.类型]）")
    unknown = sorted(set(table) - {"due_workdays", "materials", "note"})
    if unknown:
        raise _fail(source, f"{where} {unknown[0]}", "不认识这个键（可用的键：due_workdays、materials、note）")
    for key in ("due_workdays", "materials"):
        if key not in table:
            raise _fail(source, f"{where} {key}", "缺少这个键")
    days = table["due_workdays"]
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_WORKDAYS:
        raise _fail(source, f"{where} due_workdays", f"办理时限应为 1 到 {MAX_WORKDAYS} 的整数（工作日），现在是 {days!r}")
    materials = table["materials"]
    if not isinstance(materials, list) or not materials:
        raise _fail(source, f"{where} materials", "材料清单应为不空的文字列表，如 [\"身份证件\", \"收费票据\"]")
    if len(materials) > MAX_MATERIALS:
        raise _fail(source, f"{where} materials", f"材料清单最多 {MAX_MATERIALS} 项")
    seen: list[str] = []
    for i, item in enumerate(materials, 1):
        text = _text(item, source, f"{where} materials 第 {i} 项")
        if not text or len(text) > MAX_MATERIAL_CHARS:
            raise _fail(source, f"{where} materials 第 {i} 项", f"材料名称应为 1 到 {MAX_MATERIAL_CHARS} 个字")
        if text in seen:
            raise _fail(source, f"{where} materials 第 {i} 项", f"“{text}”重复了")
        seen.append(text)
    note = _text(table.get("note", ""), source, f"{where} note")
    return CaseTypeSpec(case_type, days, tuple(seen), note)


def parse_case_types(text: str, source: str = "case_types.toml") -> CaseTypes:
    """The case types of a file's text.

    Raises:
        ValidationError: the text is not TOML, or breaks a rule of the module docstring; the message
            names ``source`` and the field.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"帮办代办事项配置文件 {source} 不是有效的 TOML：{exc}", "文件") from None
    unknown = sorted(set(doc) - {"meta", "types"})
    if unknown:
        raise _fail(source, f"[{unknown[0]}]", "不认识这一节（可用的节：[meta]、[types.类型]）")
    meta = doc.get("meta", {})
    if not isinstance(meta, dict):
        raise _fail(source, "[meta]", "应为一节")
    extra = sorted(set(meta) - {"note"})
    if extra:
        raise _fail(source, f"[meta] {extra[0]}", "不认识这个键（可用的键：note）")
    note = _text(meta.get("note", ""), source, "[meta] note")
    types = doc.get("types", {})
    if not isinstance(types, dict):
        raise _fail(source, "[types]", "应为一节")
    known = {t.value for t in CaseType}
    for key in types:
        if key not in known:
            raise _fail(source, f"[types.{key}]", f"没有这个事项类型（可用的类型：{'、'.join(t.value for t in CaseType)}）")
    specs = {}
    for case_type in CaseType:
        if case_type.value not in types:
            raise _fail(source, f"[types.{case_type.value}]", f"缺少“{case_type.label}”这一节")
        specs[case_type] = _spec(case_type, types[case_type.value], source)
    return CaseTypes(specs, note, source)


def load_case_types(path: Path | str) -> CaseTypes:
    """The case types of the file at ``path`` (see ``parse_case_types``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"读不出帮办代办事项配置文件 {path.name}：{exc}", "文件") from None
    return parse_case_types(text, path.name)


def case_type_of(value: str) -> CaseType:
    """The ``CaseType`` named by its code (``manual_reimbursement``) or its Chinese name (零星报销).

    Raises:
        ValidationError: no such type (field 事项类型).
    """
    text = (value or "").strip()
    for case_type in CaseType:
        if text.lower() == case_type.value or text == case_type.label:
            return case_type
    names = "、".join(f"{t.value}（{t.label}）" for t in CaseType)
    raise ValidationError(f"事项类型“{text}”不存在，可选：{names}", "事项类型")


# -- the timeline ------------------------------------------------------------------------------------

#: the status a case may go to from each status (None: a case being opened)
NEXT: dict[CaseStatus | None, frozenset[CaseStatus]] = {
    None: frozenset({CaseStatus.ACCEPTED}),
    CaseStatus.ACCEPTED: frozenset({CaseStatus.SUBMITTED}),
    CaseStatus.SUBMITTED: frozenset({CaseStatus.RETURNED, CaseStatus.APPROVED, CaseStatus.REJECTED}),
    CaseStatus.RETURNED: frozenset({CaseStatus.SUBMITTED}),
    CaseStatus.APPROVED: frozenset(),
    CaseStatus.REJECTED: frozenset(),
}


def check_step(current: CaseStatus | None, new: CaseStatus) -> None:
    """Refuse a step the timeline does not allow: 已受理 → 已报送 → (退回补件 → 已报送)* → 已办结 | 不予办理.

    Raises:
        RuleViolation: the step is not allowed (field 办理状态), saying where the case stands and what may follow.
    """
    if new in NEXT[current]:
        return
    if current is None:
        raise RuleViolation(f"新事项只能从“{CaseStatus.ACCEPTED.label}”开始", "办理状态")
    if current.closed:
        raise RuleViolation(f"这件事项已经“{current.label}”，办理已结束，不能再“{new.label}”", "办理状态")
    nexts = "或".join(f"“{s.label}”" for s in CaseStatus if s in NEXT[current])
    raise RuleViolation(f"这件事项现在是“{current.label}”，不能直接“{new.label}”，下一步只能是{nexts}", "办理状态")


# -- family mutual aid 家庭共济 -------------------------------------------------------------------------

#: the close relatives whose insurance an employee's personal account may pay (配偶、父母、子女、兄弟姐妹、
#: 祖父母、外祖父母、孙子女、外孙子女), in the words a clinic writes down
CLOSE_RELATIVES: dict[str, str] = {
    **dict.fromkeys(("配偶", "丈夫", "妻子", "夫", "妻"), "配偶"),
    **dict.fromkeys(("父母", "父亲", "母亲", "父", "母", "爸爸", "妈妈"), "父母"),
    **dict.fromkeys(("子女", "子", "女", "儿子", "女儿"), "子女"),
    **dict.fromkeys(("兄弟姐妹", "兄弟", "姐妹", "哥哥", "弟弟", "姐姐", "妹妹", "兄", "弟", "姐", "妹"), "兄弟姐妹"),
    **dict.fromkeys(("祖父母", "祖父", "祖母", "爷爷", "奶奶"), "祖父母"),
    **dict.fromkeys(("外祖父母", "外祖父", "外祖母", "外公", "外婆", "姥爷", "姥姥"), "外祖父母"),
    **dict.fromkeys(("孙子女", "孙子", "孙女"), "孙子女"),
    **dict.fromkeys(("外孙子女", "外孙", "外孙女"), "外孙子女"),
}
CLOSE_RELATIVE_GROUPS = ("配偶", "父母", "子女", "兄弟姐妹", "祖父母", "外祖父母", "孙子女", "外孙子女")


def check_family_relation(relation: str) -> str:
    """The close-relative group of ``relation`` (the account holder's relation to the resident).

    Raises:
        RuleViolation: not a close relative (field 与居民关系), naming who is one.
    """
    text = (relation or "").strip()
    group = CLOSE_RELATIVES.get(text)
    if group is None:
        who = "、".join(CLOSE_RELATIVE_GROUPS)
        said = f"“{text}”不是近亲属" if text else "没有填写与居民的关系"
        raise RuleViolation(f"职工医保个人账户家庭共济只能用于近亲属（{who}），{said}，不能办理", "与居民关系")
    return group


__all__ = ["CLOSE_RELATIVES", "CLOSE_RELATIVE_GROUPS", "NEXT", "CaseTypeSpec", "CaseTypes", "case_type_of",
           "check_family_relation", "check_step", "load_case_types", "parse_case_types"]
