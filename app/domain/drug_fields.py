"""The catalog's drug fields by their Chinese names, as forms, imports and the audit log show them."""

from __future__ import annotations

#: field → Chinese label (what messages and the import template call it)
LABELS: dict[str, str] = {
    "national_code": "医保药品编码",
    "generic_name": "通用名",
    "brand_name": "商品名",
    "form": "剂型",
    "strength": "规格",
    "pack_unit": "包装单位",
    "base_unit": "最小单位",
    "units_per_pack": "转换比",
    "maker": "生产企业",
    "approval_no": "批准文号",
    "barcode": "条码",
    "coverage_class": "医保类别",
    "class_b_self_bp": "乙类先行自付比例",
    "is_vbp": "集采药品",
    "vbp_round": "集采批次",
    "is_essential": "基本药物",
    "category": "分类",
    "price_fen": "进价",
    "retail_price_fen": "零售价",
    "zero_markup": "零差价",
    "min_stock_units": "最低库存",
    "shelf": "货位",
    "pinyin_abbr": "拼音码",
    "active": "启用",
}
