"""Catalog fields: Chinese labels, header aliases, value parsing and the checks of one drug record.

Used by ``CatalogService.create/update`` and by the CSV/XLSX import, so a form and a file obey the
same rules and name the same fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.domain.codes import check_national_code
from app.domain.digits import ascii_text, is_ascii_digits, parse_int
from app.domain.drug_fields import LABELS
from app.domain.errors import ValidationError
from app.domain.money import yuan_to_fen
from app.domain.pinyin import normalise_abbr, pinyin_abbr, pinyin_codes

#: extra header spellings accepted by the import (Chinese headers, yuan prices)
ALIASES: dict[str, str] = {
    "医保编码": "national_code", "国家医保编码": "national_code", "药品名称": "generic_name", "品名": "generic_name",
    "规格型号": "strength", "单位": "pack_unit", "包装": "pack_unit", "生产厂家": "maker", "厂家": "maker",
    "商品条码": "barcode", "条形码": "barcode", "甲乙类": "coverage_class", "类别": "coverage_class",
    "自付比例": "class_b_self_bp", "集采": "is_vbp", "基药": "is_essential", "最低库存(最小单位)": "min_stock_units",
    "进价(分)": "price_fen", "进价（分）": "price_fen", "零售价(分)": "retail_price_fen", "零售价（分）": "retail_price_fen",
    "进价(元)": "price_yuan", "进价（元）": "price_yuan", "零售价(元)": "retail_price_yuan", "零售价（元）": "retail_price_yuan",
}
for _key, _label in LABELS.items():
    ALIASES.setdefault(_label, _key)
LABELS_IN = {**LABELS, "price_yuan": "进价", "retail_price_yuan": "零售价"}

TEXT_LIMITS = {
    "generic_name": 64, "brand_name": 64, "form": 32, "strength": 64, "pack_unit": 8, "base_unit": 8, "maker": 64,
    "approval_no": 32, "barcode": 32, "vbp_round": 32, "category": 32, "shelf": 16,
}
#: the highest price per pack (¥100,000), in fen: a typo like 1e12 is refused, not settled
MAX_PRICE_FEN = 10_000_000
#: any text handed to a field is refused beyond this length, before it is parsed
MAX_INPUT = 200
#: control characters (Unicode category Cc) and the line/paragraph separators: never part of a field
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_TRUE = {"1", "true", "yes", "y", "是", "√", "✓", "有", "t"}
_FALSE = {"0", "false", "no", "n", "否", "", "×", "无", "f"}
_CLASSES = {"A": "A", "B": "B", "C": "C", "甲": "A", "甲类": "A", "乙": "B", "乙类": "B", "丙": "C", "丙类": "C", "自费": "C"}


def _err(field: str, text: str) -> ValidationError:
    label = LABELS_IN.get(field, field)
    return ValidationError(f"{label}：{text}", label)


def _int(field: str, value: Any, *, minimum: int = 0, maximum: int = 10**9) -> int:
    if isinstance(value, bool):
        raise _err(field, "应为整数")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        label = LABELS_IN.get(field, field)
        value = parse_int(value, label)
    if not isinstance(value, int):
        raise _err(field, f"“{value}”不是整数")
    if value < minimum or value > maximum:
        raise _err(field, f"{value} 超出范围（{minimum}–{maximum}）")
    return value


def _check_text(field: str, value: Any) -> None:
    """Refuse control characters (NUL, line breaks, tabs…) and text too long for any field."""
    if not isinstance(value, str):
        return
    if len(value) > MAX_INPUT:
        limit = f"最多 {TEXT_LIMITS[field]} 字" if field in TEXT_LIMITS else "请检查是否输错"
        raise _err(field, f"太长（{len(value)} 个字符），{limit}")
    found = _CONTROL.search(value)
    if found:
        ch = found.group()
        shown = {"\n": "换行", "\r": "回车", "\t": "制表符", "\x00": "NUL 空字符"}.get(ch, f"U+{ord(ch):04X}")
        raise _err(field, f"含有不可见的控制字符（{shown}），请删除；若来自导入文件，可能是引号没有配对")


def _bool(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = str(value if value is not None else "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise _err(field, f"“{value}”看不懂，请填 是 或 否")


def _bp(value: Any) -> int | None:
    raw = str(value if value is not None else "").strip()
    if raw == "":
        return None
    if raw.endswith("%"):
        number = ascii_text(raw, LABELS_IN["class_b_self_bp"])[:-1].strip()
        whole, _, frac = number.partition(".")
        if not is_ascii_digits(whole) or len(whole) > 5 or (frac and (not is_ascii_digits(frac) or len(frac) > 2)):
            raise _err("class_b_self_bp", f"“{raw}”不是有效百分比，如 10%")
        return _int("class_b_self_bp", int(whole) * 100 + int((frac + "00")[:2]), maximum=10000)
    return _int("class_b_self_bp", value, maximum=10000)


def _fen_from_yuan(field: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value * 100
    if isinstance(value, float):
        value = repr(value)  # 15.5 stays 15.5; 15.555 is refused (two decimals), not rounded
    try:
        return yuan_to_fen(str(value), LABELS_IN[field])
    except ValidationError as exc:
        raise _err(field, exc.message.removeprefix(LABELS_IN[field])) from None


@dataclass(frozen=True)
class CleanDrug:
    """Checked field values ready to store, plus warnings (e.g. a blank national code)."""

    values: dict[str, Any]
    warnings: tuple[str, ...]


def clean_drug(raw: dict[str, Any], *, partial: bool = False) -> CleanDrug:
    """Check and normalise drug fields; raise ``ValidationError`` naming the first bad field.

    With ``partial`` (an update) only the given fields are checked; otherwise missing ones get
    their defaults and the required ones (通用名, 转换比 ≥ 1) must be present.
    """
    values: dict[str, Any] = {}
    warnings: list[str] = []
    unknown = set(raw) - set(LABELS) - {"price_yuan", "retail_price_yuan"}
    if unknown:
        raise ValidationError(f"不认识的字段：{'、'.join(sorted(unknown))}", "字段")
    for field, value in raw.items():
        _check_text(field, value)
        if field in TEXT_LIMITS:
            text = str(value if value is not None else "").strip()
            if len(text) > TEXT_LIMITS[field]:
                raise _err(field, f"太长（最多 {TEXT_LIMITS[field]} 字）")
            values[field] = text
        elif field == "national_code":
            code, warning = check_national_code(value)
            values[field] = code
            if warning:
                warnings.append(warning)
        elif field in ("units_per_pack",):
            values[field] = _int(field, value, minimum=1, maximum=100000)
        elif field in ("price_fen", "retail_price_fen", "min_stock_units"):
            if str(value if value is not None else "").strip() == "":
                continue
            values[field] = _int(field, value, maximum=MAX_PRICE_FEN if field != "min_stock_units" else 10**9)
        elif field in ("price_yuan", "retail_price_yuan"):
            if str(value if value is not None else "").strip() == "":
                continue
            fen = _fen_from_yuan(field, value)
            if not 0 <= fen <= MAX_PRICE_FEN:
                raise _err(field, f"{fen / 100:.2f} 元超出范围（每包装 0–{MAX_PRICE_FEN // 100} 元），请检查是否输错")
            values[field.replace("_yuan", "_fen")] = fen
        elif field == "class_b_self_bp":
            values[field] = _bp(value)
        elif field == "coverage_class":
            key = str(value if value is not None else "").strip().upper()
            if key not in _CLASSES:
                raise _err(field, f"“{value}”不对，应为 甲/乙/丙（或 A/B/C）")
            values[field] = _CLASSES[key]
        elif field in ("is_vbp", "is_essential", "zero_markup", "active"):
            if str(value if value is not None else "").strip() == "" and field in ("zero_markup", "active"):
                continue
            values[field] = _bool(field, value)
        elif field == "pinyin_abbr":
            text = normalise_abbr(value)
            if len(text) > 32:
                raise _err(field, "太长（最多 32 个字母）")
            if text:
                values[field] = text
    if not partial:
        if not values.get("generic_name"):
            raise _err("generic_name", "不能为空")
        values.setdefault("units_per_pack", 1)
        values.setdefault("coverage_class", "A")
        values.setdefault("price_fen", 0)
        if "national_code" not in values:
            values["national_code"] = ""
            warnings.append(check_national_code("")[1] or "")
    elif "generic_name" in values and not values["generic_name"]:
        raise _err("generic_name", "不能为空")
    if "coverage_class" in values and values["coverage_class"] != "B" and values.get("class_b_self_bp") is not None:
        raise _err("class_b_self_bp", "只有乙类药品才能设置先行自付比例")
    return CleanDrug(values, tuple(warnings))


def apply_prices(values: dict[str, Any], current_price: int, current_retail: int, current_zero: bool) -> None:
    """零差价: retail = procurement price unless the drug is marked otherwise."""
    price = values.get("price_fen", current_price)
    zero = values.get("zero_markup")
    retail = values.get("retail_price_fen")
    if zero is None:
        zero = current_zero if retail is None else retail == price
    if zero:
        if retail is not None and retail != price:
            raise _err("retail_price_fen", f"零差价药品的零售价必须等于进价（{price} 分）；如需加价请把“零差价”填为 否")
        retail = price
    elif retail is None:
        retail = current_retail
    values["zero_markup"] = zero
    values["retail_price_fen"] = retail


def default_abbr(values: dict[str, Any]) -> str:
    return pinyin_abbr(values.get("generic_name", ""))[:32]


def drug_pinyin(generic_name: str, abbr: str = "", overridden: bool = False) -> dict[str, str]:
    """A drug's ``pinyin_abbr``, ``pinyin_keys`` and ``pinyin_sort`` (a 拼音码 typed by a user is kept)."""
    codes = pinyin_codes(generic_name or "", override=abbr if overridden else "")
    return {"pinyin_abbr": codes.abbr, "pinyin_keys": codes.keys, "pinyin_sort": codes.sort}


# -- reading files -------------------------------------------------------------------------------
def header_field(name: Any) -> str | None:
    raw = str(name if name is not None else "").strip()
    if raw in LABELS or raw in ("price_yuan", "retail_price_yuan"):
        return raw
    return ALIASES.get(raw) or ALIASES.get(raw.replace(" ", ""))
