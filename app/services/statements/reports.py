"""Reports of the unified statement (registered with ``app.services.core.reports``):

- ``statement`` 统一结算单: ``cunyi report statement --site V --month M`` prints ONE JSON object with the keys of
  DESIGN §9 (site_id, month, supplied_fen, returned_fen, due_fen, carried_in_fen, fund_receivable_fen,
  subsidy_fen, from_fund_fen, from_subsidy_fen, carried_out_fen, covers_local_seq, status); the month
  defaults to the last ended one;
- ``savings`` 节约医保基金: per drug and procurement price, the quantity supplied to the village (every
  village of the township when the site is the township), the pre-集采 reference price, the procurement
  price and the saving.
"""

from __future__ import annotations

from typing import Any

from app.domain import clock
from app.domain.enums import SiteKind
from app.domain.errors import ValidationError
from app.domain.statements import month_label, month_of, previous_month
from app.services.core.reports import Column, Period, Table, report
from app.services.statements.types import REPORT_KEYS, STATUS_LABELS

_LABELS = {"site_id": "村卫生室编号", "month": "月份", "supplied_fen": "本月供药金额", "returned_fen": "本月退回金额",
           "carried_in_fen": "上月结转", "due_fen": "本月应扣", "fund_receivable_fen": "应收统筹基金",
           "subsidy_fen": "基药补助", "from_fund_fen": "从统筹基金扣", "from_subsidy_fen": "从基药补助扣",
           "carried_out_fen": "结转下月", "covers_local_seq": "数据截至序号", "status": "状态"}


def _month(period: Period) -> str:
    return period.month or previous_month(month_of(period.day or clock.today()))


def _site_kind(services: Any, site_id: str) -> tuple[str, str]:
    site = services.sites.get(site_id)
    return str(getattr(site.kind, "value", site.kind)), site.name


@report("statement", "统一结算单", use_case="statements.read")
def statement_report(services: Any, period: Period) -> Table:
    month = _month(period)
    kind, name = _site_kind(services, period.site_id)
    if kind != SiteKind.VILLAGE.value:
        raise ValidationError("统一结算单按村卫生室出具：请用 --site 指定村卫生室（在报表页选择村卫生室）", "机构")
    figures = services.statements.compute(period.site_id, month)
    row = figures.report_row()
    money = [Column(k, _LABELS[k], "fen") for k in REPORT_KEYS if k.endswith("_fen")]
    return Table(
        title="统一结算单",
        subtitle=f"{name} {month_label(month)}，{STATUS_LABELS.get(figures.status, figures.status)}；"
                 "应扣 = 供药 − 退回 + 上月结转，先从统筹基金扣，再从基药补助扣，余额结转下月",
        columns=(Column("month", "月份"), *money, Column("covers_local_seq", _LABELS["covers_local_seq"], "int"),
                 Column("status", "状态")),
        rows=[row], one_object=True,
    )


@report("savings", "节约医保基金", use_case="statements.read")
def savings_report(services: Any, period: Period) -> Table:
    month = _month(period)
    kind, name = _site_kind(services, period.site_id)
    site_id = period.site_id if kind == SiteKind.VILLAGE.value else None
    rows = []
    for r in services.statements.savings(month, site_id=site_id):
        rows.append({
            "drug_id": r.drug_id, "national_code": r.national_code, "generic_name": r.generic_name,
            "strength": r.strength, "units_per_pack": r.units_per_pack, "quantity_units": r.quantity_units,
            "packs": _packs(r.quantity_units, r.units_per_pack, r.pack_unit, r.base_unit),
            "reference_price_fen": r.reference_price_fen, "pack_price_fen": r.pack_price_fen,
            "procurement_fen": r.procurement_fen, "saving_fen": r.saving_fen,
        })
    where = name if site_id else f"{name}全部村卫生室"
    return Table(
        title="节约医保基金",
        subtitle=f"{where} {month_label(month)} 供药：（集采前参考价 − 集采采购价）× 数量；无参考价的药品不计",
        columns=(Column("generic_name", "药品"), Column("strength", "规格"), Column("national_code", "医保编码"),
                 Column("packs", "数量"), Column("quantity_units", "数量（最小单位）", "int"),
                 Column("reference_price_fen", "集采前参考价", "fen"), Column("pack_price_fen", "采购价", "fen"),
                 Column("procurement_fen", "采购金额", "fen"), Column("saving_fen", "节约金额", "fen")),
        rows=rows,
        totals={"generic_name": f"{len(rows)} 项", "quantity_units": sum(r["quantity_units"] for r in rows),
                "procurement_fen": sum(r["procurement_fen"] for r in rows),
                "saving_fen": sum(r["saving_fen"] for r in rows)},
    )


def _packs(units: int, per_pack: int, pack_unit: str, base_unit: str) -> str:
    packs, rest = divmod(units, per_pack) if per_pack > 1 else (units, 0)
    if per_pack <= 1:
        return f"{units}{base_unit}"
    return f"{packs}{pack_unit}" + (f"{rest}{base_unit}" if rest else "")
