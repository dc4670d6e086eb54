"""How the synced tables are named to people and which pages show them.

- ``TABLE_NAMES``: a synced table's Chinese name, used in the hub's rejection reasons and on the
  同步 page's list of rejected changes;
- ``FIELD_NAMES``: the Chinese name of a field a rejection points at;
- ``TABLE_AREAS``: the ``data_changed`` areas whose pages show a table, so that after a pull the open
  pages of what changed refresh themselves (DESIGN §2: a pull reports the tables it applied).
"""

from __future__ import annotations

from collections.abc import Iterable

#: synced table → 中文
TABLE_NAMES = {
    "residents": "居民", "households": "家庭", "enrollments": "参保登记", "chronic_qualifications": "慢病资格",
    "drugs": "药品目录", "policies": "待遇政策", "sites": "站点", "stores": "药房", "users": "用户",
    "batches": "药品批次", "stock_movements": "库存台账", "trace_code_events": "追溯码记录",
    "store_drug_settings": "药品货位设置", "stocktakes": "盘点", "stocktake_lines": "盘点明细",
    "visits": "就诊记录", "prescription_lines": "处方明细", "settlements": "结算记录", "reversals": "冲正记录",
    "receipt_prints": "票据打印记录", "drug_mappings": "药品目录对照",
    "cases": "帮办代办事项", "case_events": "办理记录", "case_attachments": "附件",
    "distributors": "配送企业", "drug_reference_prices": "集采前参考价", "purchase_receipts": "采购入库单",
    "purchase_lines": "采购入库明细", "requisitions": "报量单", "requisition_lines": "报量明细",
    "shipments": "调拨出库单", "shipment_lines": "调拨出库明细", "transfer_receipts": "调拨入库单",
    "transfer_receipt_lines": "调拨入库明细", "stock_returns": "退回乡镇单", "return_receipts": "退货验收",
    "essential_drug_subsidies": "基药补助", "month_closes": "月结标记", "statements": "统一结算单",
    "statement_acknowledgments": "结算单确认",
}

#: a field named by a rejection → 中文
FIELD_NAMES = {
    "owner_site_id": "所属站点", "id_number": "身份证号", "name": "名称", "site_id": "站点", "store_id": "药房",
    "drug_id": "药品", "resident_id": "居民", "batch_id": "批次", "quantity": "数量", "username": "用户名",
    "case_id": "帮办代办事项", "case_no": "事项编号", "to_site_id": "接收站点",
    "sha256": "附件文件", "shipment_id": "调拨出库单", "shipment_line_id": "调拨出库明细",
    "requisition_id": "报量单", "statement_id": "统一结算单", "return_id": "退回乡镇单", "month": "月份",
}

#: synced table → the ``data_changed`` areas of the pages that show it
TABLE_AREAS: dict[str, tuple[str, ...]] = {
    "residents": ("residents",), "households": ("residents",), "enrollments": ("residents",),
    "chronic_qualifications": ("residents",),
    "drugs": ("catalog",), "policies": ("settings",), "sites": ("settings",), "stores": ("settings",),
    "users": ("users",),
    "batches": ("stock",), "stock_movements": ("stock",), "trace_code_events": ("stock",),
    "store_drug_settings": ("stock",), "drug_mappings": ("catalog", "sync"), "stocktakes": ("stocktake",), "stocktake_lines": ("stocktake",),
    "visits": ("outpatient",), "prescription_lines": ("outpatient",), "settlements": ("outpatient",),
    "reversals": ("outpatient",), "receipt_prints": ("outpatient",),
    "cases": ("cases",), "case_events": ("cases",), "case_attachments": ("cases",),
    "distributors": ("transfers",), "drug_reference_prices": ("statements",),
    "purchase_receipts": ("transfers", "stock"), "purchase_lines": ("transfers", "stock"),
    "requisitions": ("transfers",), "requisition_lines": ("transfers",),
    "shipments": ("transfers",), "shipment_lines": ("transfers",),
    "transfer_receipts": ("transfers", "stock", "statements"), "transfer_receipt_lines": ("transfers", "stock", "statements"),
    "stock_returns": ("transfers", "stock", "statements"), "return_receipts": ("transfers", "statements"),
    "essential_drug_subsidies": ("statements",), "month_closes": ("statements",),
    "statements": ("statements",), "statement_acknowledgments": ("statements",),
}


def table_name(table: str) -> str:
    """The Chinese name of ``table`` (the table's own name when it has none)."""
    return TABLE_NAMES.get(table, table)


def field_name(field: str | None) -> str:
    """The Chinese name of ``field`` ("" for none; the field's own name when it has none)."""
    return FIELD_NAMES.get(field, field) if field else ""


def areas_of(tables: Iterable[str]) -> list[str]:
    """The ``data_changed`` areas to refresh after ``tables`` changed, in a stable order.

    A table without an entry refreshes everything (``"*"``): a page never stays stale because a new
    table was forgotten here.
    """
    areas: set[str] = set()
    for table in tables:
        found = TABLE_AREAS.get(table)
        if found is None:
            return ["*"]
        areas.update(found)
    return sorted(areas)
