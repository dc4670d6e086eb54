"""用法用量: the usual usage of a drug by its route, and what a prescription line's usage must be.

处方管理办法 wants every line's usage written out (route, how often, how much): not empty, and not a
vague "遵医嘱" or "自用". A new line starts from the usual usage of the drug's route, which comes
from its 剂型 in the catalog (片剂、胶囊剂、颗粒剂 → 口服; 气雾剂 → 吸入; 软膏、滴眼液 → 外用;
注射液 → 注射), or failing that from its name or base unit. The doctor edits it to the patient.

>>> usual_usage("片剂", "片")
'口服 每日3次 每次1片'
>>> usual_usage("气雾剂", "支")
'吸入 必要时 每次1-2揿'
>>> route_of("", "阿莫西林胶囊", "粒")
'口服'
"""

from __future__ import annotations

from .errors import ValidationError

#: the routes a usual usage is known for
ROUTES = ("口服", "吸入", "外用", "注射")
#: words that are not a usage (处方管理办法: 不得使用“遵医嘱”“自用”等含糊不清字句)
VAGUE = ("遵医嘱", "自用")
#: longest usage text a line keeps
MAX_USAGE = 64

#: (route, words of a 剂型 or a drug name that mean it), the more specific first: 吸入气雾剂, 注射用…粉针,
#: 滴眼液 and 外用溶液 before the oral 液/片
_ROUTE_WORDS = (
    ("吸入", ("吸入", "气雾", "粉雾", "雾化")),
    ("注射", ("注射", "针剂", "粉针", "输液")),
    ("外用", ("软膏", "乳膏", "凝胶", "贴", "搽", "洗剂", "滴眼", "眼膏", "滴耳", "滴鼻", "栓", "酊", "外用",
              "喷剂", "涂剂", "膏药", "阴道")),
    ("口服", ("片", "胶囊", "颗粒", "散", "丸", "口服", "糖浆", "合剂", "混悬", "冲剂", "胶丸", "煎膏")),
)
#: base units that are taken by mouth when nothing else says the route
_ORAL_UNITS = ("片", "粒", "丸", "袋", "包")
#: the usual usage of a route; {unit} is the drug's base unit
_USUAL = {
    "口服": "口服 每日3次 每次1{unit}",
    "吸入": "吸入 每日2次 每次1吸",
    "外用": "外用 每日2次 涂患处",
    "注射": "注射 每日1次 每次1{unit}",
}


def route_of(form: str, name: str = "", base_unit: str = "") -> str:
    """The route (口服 吸入 外用 注射) of a drug, from its 剂型, else its name, else its base unit; '' if unknown."""
    for text in (form or "", name or ""):
        for route, words in _ROUTE_WORDS:
            if any(word in text for word in words):
                return route
    return "口服" if base_unit in _ORAL_UNITS else ""


def usual_usage(form: str, base_unit: str, name: str = "") -> str:
    """What a new prescription line's 用法用量 starts with; '' when the route is unknown (the doctor writes it)."""
    route = route_of(form, name, base_unit)
    if not route:
        return ""
    text = form or name
    if route == "吸入" and "气雾" in text:
        return "吸入 必要时 每次1-2揿"
    if route == "外用" and any(word in text for word in ("滴眼", "滴耳", "滴鼻")):
        return f"外用 {next(w for w in ('滴眼', '滴耳', '滴鼻') if w in text)} 每日3次 每次1滴"
    if route == "外用" and "贴" in text:
        return f"外用 每日1次 每次1{base_unit or '贴'}"
    unit = dose_unit(form or name, base_unit) if route == "口服" else base_unit or "支"
    if route == "口服" and any(word in text for word in ("缓释", "控释", "肠溶")):
        return f"口服 每日1次 每次1{unit}"
    return _USUAL[route].format(unit=unit)


def dose_unit(form: str, base_unit: str) -> str:
    """The unit one oral dose is counted in: the base unit when it is one (片 粒 袋), else from the 剂型."""
    if base_unit in _ORAL_UNITS:
        return base_unit
    for words, unit in (("片", "片"), ("胶囊", "粒"), ("胶丸", "粒"), ("颗粒", "袋"), ("散", "袋"), ("丸", "丸")):
        if words in (form or ""):
            return unit
    return base_unit or "片"


def usage_problem(usage: str | None) -> str:
    """Why a line's usage cannot go on a prescription ('' when it can)."""
    text = (usage or "").strip()
    if not text:
        return "为空"
    if len(text) > MAX_USAGE:
        return f"太长（最多 {MAX_USAGE} 字）"
    vague = next((word for word in VAGUE if word in text), "")
    if vague:
        return f"不能写“{vague}”"
    return ""


def check_usage(usage: str | None, line_no: int, drug_name: str) -> str:
    """The line's usage, stripped; else ``ValidationError`` (field 用法用量) naming the line and the drug.

    Raises:
        ValidationError: the usage is empty, too long or only says 遵医嘱/自用.
    """
    problem = usage_problem(usage)
    if problem:
        raise ValidationError(
            f"第{line_no}行“{drug_name}”用法用量{problem}：请写明用法、次数和每次用量，如 口服 每日3次 每次1片",
            "用法用量",
        )
    return (usage or "").strip()


def usage_choices(form: str, base_unit: str, name: str = "") -> list[str]:
    """Completions for a line's 用法用量: the usual usage first, then the usual variants of its route."""
    route = route_of(form, name, base_unit) or "口服"
    unit = dose_unit(form or name, base_unit) if route == "口服" else base_unit or "支"
    variants = {
        "口服": [f"口服 每日{n}次 每次{k}{unit}" for n in (1, 2, 3) for k in (1, 2)] + [f"口服 必要时 每次1{unit}"],
        "吸入": ["吸入 必要时 每次1-2揿", "吸入 每日2次 每次1吸", "雾化吸入 每日2次 每次1支"],
        "外用": ["外用 每日2次 涂患处", "外用 每日3次 涂患处", f"外用 每日1次 每次1{unit}"],
        "注射": [f"肌内注射 每日1次 每次1{unit}", f"皮下注射 每日1次 每次1{unit}", f"静脉滴注 每日1次 每次1{unit}"],
    }[route]
    first = usual_usage(form, base_unit, name)
    return ([first] if first else []) + [text for text in variants if text != first]
