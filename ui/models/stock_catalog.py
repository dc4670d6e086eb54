"""药品目录 as a table model (a few hundred rows at most: loaded whole)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from app.services.catalog.service import DrugInfo

from .base import RowsModel
from .stock import CLASS_SHORT, MUTED, WARN, yuan


def pack_text(d: DrugInfo) -> str:
    """'盒(24粒)' or '瓶' when pack and base unit are one."""
    if d.units_per_pack > 1 and d.pack_unit != d.base_unit:
        return f"{d.pack_unit}({d.units_per_pack}{d.base_unit})"
    return d.pack_unit or d.base_unit


def class_text(d: DrugInfo) -> str:
    text = CLASS_SHORT.get(d.coverage_class, d.coverage_class)
    if d.coverage_class == "B" and d.class_b_self_bp is not None:
        text += f"({d.class_b_self_bp / 100:g}%)"
    return text


class CatalogModel(RowsModel):
    COLUMNS = ("通用名", "规格", "包装", "医保编码", "类别", "集采", "基药", "价格(元)", "拼音码", "货位", "分类")
    NUMERIC = frozenset({7})

    def cell(self, d: DrugInfo, col: int) -> str:
        values = (
            d.generic_name + (f"（{d.brand_name}）" if d.brand_name else "") + ("（停用）" if not d.active else ""),
            d.strength, pack_text(d),
            d.national_code or "（未填）", class_text(d), (d.vbp_round or "集采") if d.is_vbp else "",
            "基药" if d.is_essential else "", yuan(d.retail_price_fen), d.pinyin_abbr, d.shelf, d.category,
        )
        return values[col]

    def foreground(self, d: DrugInfo, col: int) -> QColor | None:
        if not d.active:
            return MUTED
        if col == 3 and not d.national_code:
            return WARN
        return None

    def tooltip(self, d: DrugInfo, col: int) -> str | None:
        if col == 7:
            markup = "零差价" if d.zero_markup else "加价销售"
            return f"进价 {yuan(d.price_fen)} 元 · 零售价 {yuan(d.retail_price_fen)} 元（{markup}）"
        if col == 0:
            return f"{d.generic_name} {d.form} · {d.maker or '生产企业未填'} · {d.approval_no or '批准文号未填'}"
        if col == 3 and d.national_code:
            return d.national_code
        if col == 8 and d.pinyin_overridden:
            return "拼音码为手工指定"
        return None
