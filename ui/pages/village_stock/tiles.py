"""Township 工作台 tiles about the villages: stock-outs, near-expiry, villages not synced for over two days,
requisitions waiting — each opens the 村室药品 overview filtered to the villages concerned. A tile provider
runs on the database thread and calls services only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.domain import clock
from app.domain.money import fen_to_yuan
from app.services.transfers.overview_types import VillageFigures
from ui.pages.village_stock.models import UNSYNCED_DAYS, is_unsynced
from ui.tiles import Tile, TileScope


def _names(rows: list[VillageFigures], figure: Any = None, unit: str = "", limit: int = 3) -> str:
    """'东坡村 3 种、西河村 1 种等' — the villages most concerned first."""
    if figure is not None:
        rows = sorted(rows, key=figure, reverse=True)
    parts = [r.name.removesuffix("卫生室") + ("" if figure is None else f" {figure(r)} {unit}".rstrip())
             for r in rows[:limit]]
    return "、".join(parts) + ("等" if len(rows) > limit else "")


def village_stock_tiles(sv: Any, scope: TileScope) -> list[Tile]:
    """村室断货, 村室近效期, 村室未同步 and 待审报量, for users who see 村室药品 (a township's)."""
    if "village_stock" not in scope.areas:
        return []
    rows = sv.overview.villages(today=scope.today)
    if not rows:
        return []
    now: datetime = clock.now().replace(tzinfo=None)
    out = [r for r in rows if r.stockouts]
    near = [r for r in rows if r.near_expiry_kinds]
    unsynced = [r for r in rows if is_unsynced(r, now)]
    waiting = [r for r in rows if r.requisitions_waiting]
    near_value = sum(r.near_expiry_value_fen for r in near)
    return [
        Tile("village_stock.stockouts", "村室断货", f"{len(out)} 个村",
             _names(out, lambda r: r.stockouts, "种", limit=2) if out else "各村常用药都有库存",
             "danger" if out else "ok", "village_stock", "stockouts", 40),
        Tile("village_stock.near_expiry", "村室近效期", f"¥{fen_to_yuan(near_value)}",
             f"{len(near)} 个村 · {sum(r.near_expiry_kinds for r in near)} 种" if near else "各村没有近效期药品",
             "warn" if near else "ok", "village_stock", "near_expiry", 41),
        Tile("village_stock.unsynced", "村室未同步", f"{len(unsynced)} 个村",
             f"超过 {UNSYNCED_DAYS} 天：{_names(unsynced)}" if unsynced else f"各村 {UNSYNCED_DAYS} 天内都同步过",
             "warn" if unsynced else "ok", "village_stock", "unsynced", 42),
        Tile("village_stock.requisitions", "待审报量", f"{sum(r.requisitions_waiting for r in waiting)} 张",
             _names(waiting, lambda r: r.requisitions_waiting, "张") if waiting else "没有等待审核的报量",
             "info" if waiting else "ok", "village_stock", "requisitions", 43),
    ]
