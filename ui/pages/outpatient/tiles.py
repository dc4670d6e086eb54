"""工作台 tiles of the outpatient area (village clinics): this month's pooling fund, and today's
visits that did not get the fund (未参保 / 等待期). 今日门诊 itself is a core tile (``ui.tiles``).

Runs on the database thread (through the dashboard's ``Op``) and calls services only.
"""

from __future__ import annotations

from typing import Any

from app.domain.money import fen_to_yuan
from app.domain.permissions import allowed
from app.services.core.reports import Period, build

from ui.tiles import Tile, TileScope


def outpatient_tiles(sv: Any, scope: TileScope) -> list[Tile]:
    if not allowed("settlement.settle", scope.role, scope.site_kind):
        return []
    site_id = sv.db.local_site_id
    month = scope.today.strftime("%Y-%m")
    summary = build(sv, "monthly-summary", Period(site_id, month, None))
    this = next((r for r in summary.rows if r["month"] == month), None)
    tiles = []
    if this is not None and this["visits"]:
        tiles.append(Tile(
            "outpatient.month_fund", "本月统筹", f"¥{fen_to_yuan(this['fund_fen'])}",
            f"{this['visits']} 人次 · 次均 ¥{fen_to_yuan(this['average_fen'])} · 救助 ¥{fen_to_yuan(this['assistance_fen'])}",
            "info", "reports", "monthly-summary", 12,
        ))
    else:
        tiles.append(Tile("outpatient.month_fund", "本月统筹", "¥0.00", "本月还没有结算", "info", "reports",
                          "monthly-summary", 12))
    uncovered = sv.status.uncovered(scope.today)
    if uncovered:
        waiting = sum(1 for s in uncovered if s.waiting_until is not None)
        parts = [f"未参保 {len(uncovered) - waiting}"] if len(uncovered) > waiting else []
        parts += [f"等待期 {waiting}"] if waiting else []
        names = "、".join(s.resident_name for s in uncovered[:3]) + ("等" if len(uncovered) > 3 else "")
        tiles.append(Tile("outpatient.uncovered", "今日未享统筹", f"{len(uncovered)} 人次",
                          f"{' · '.join(parts)} · {names}", "warn", "outpatient", "today", 14))
    return tiles
