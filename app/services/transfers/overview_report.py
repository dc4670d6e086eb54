"""``cunyi report overview`` and the 报表 page's 村室药品一览: one row per village of the township.

Keys are fixed (other programs read them): ``site_id, name, stock_value_fen, kinds_stocked,
vbp_kinds_stocked, vbp_share_bp, near_expiry_value_fen, stockouts, days_of_stock, last_sync_at,
requisitions_waiting, shipments_in_transit`` — money in fen, the 集采 share in basis points, the last
sync as ISO text or null (see ``app.services.transfers.overview_types.VillageFigures``).
"""

from __future__ import annotations

from typing import Any

from app.domain.errors import ValidationError
from app.services.core.reports import Column, Period, Table, report

COLUMNS = (
    Column("site_id", "机构编号"), Column("name", "村卫生室"), Column("stock_value_fen", "库存金额", "fen"),
    Column("kinds_stocked", "在库品种", "int"), Column("vbp_kinds_stocked", "集采品种", "int"),
    Column("vbp_share_bp", "集采占比(基点)", "int"), Column("near_expiry_value_fen", "近效期金额", "fen"),
    Column("stockouts", "断货品种", "int"), Column("days_of_stock", "可用天数", "int"),
    Column("last_sync_at", "最近同步"), Column("requisitions_waiting", "待审报量", "int"),
    Column("shipments_in_transit", "在途调拨", "int"),
)


def overview_rows(figures: list[Any]) -> list[dict[str, Any]]:
    """The report's rows for ``OverviewService.villages()``."""
    return [{
        "site_id": f.site_id, "name": f.name, "stock_value_fen": f.stock_value_fen, "kinds_stocked": f.kinds_stocked,
        "vbp_kinds_stocked": f.vbp_kinds_stocked, "vbp_share_bp": f.vbp_share_bp,
        "near_expiry_value_fen": f.near_expiry_value_fen, "stockouts": f.stockouts, "days_of_stock": f.days_of_stock,
        "last_sync_at": f.last_sync_at.isoformat(timespec="seconds") if f.last_sync_at else None,
        "requisitions_waiting": f.requisitions_waiting, "shipments_in_transit": f.shipments_in_transit,
    } for f in figures]


@report("overview", "村室药品一览", use_case="overview.read")
def overview_report(services: Any, period: Period) -> Table:
    """Every village of this township (``--site`` another than this township is refused: a township
    reports on its own villages)."""
    db = services.db
    if period.site_id != db.local_site_id:
        raise ValidationError("村室药品一览汇总本乡镇卫生院所辖的全部村卫生室：机构请选本乡镇卫生院"
                              "（命令行不用 --site）", "机构")
    figures = services.overview.villages(today=period.day)
    rows = overview_rows(figures)
    totals = {key: sum(r[key] for r in rows) for key in ("stock_value_fen", "near_expiry_value_fen", "stockouts",
                                                         "requisitions_waiting", "shipments_in_transit")}
    return Table("村室药品一览", COLUMNS, rows, subtitle=f"共 {len(rows)} 个村卫生室", totals=totals)
