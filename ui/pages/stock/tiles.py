"""工作台 stock tiles: 近效期, 已过期在架, 库存不足, 无码库存 — each opens its list on the 药品库存 page.

A tile provider runs on the database thread and calls services only (see ``ui.tiles``).
"""

from __future__ import annotations

from typing import Any

from app.domain.money import fen_to_yuan

from ui.tiles import Tile, TileScope


def _names(rows: tuple, limit: int = 3) -> str:
    names: list[str] = []
    for r in rows:
        if r.generic_name not in names:
            names.append(r.generic_name)
    shown = "、".join(names[:limit])
    return shown + ("等" if len(names) > limit else "")


def stock_tiles(sv: Any, scope: TileScope) -> list[Tile]:
    """The four stock alert tiles of this installation's store (only for users who see 药品库存)."""
    if "stock" not in scope.areas:
        return []
    alerts = sv.stock.alerts(today=scope.today)
    windows = sv.stock.windows()
    tiles = []

    near, urgent = alerts.near_expiry, alerts.urgent
    if near.count:
        subtitle = f"¥{fen_to_yuan(near.value_fen)} · {windows.urgent_days} 天内 {urgent.count:,} 种"
        severity = "danger" if urgent.count else "warn"
    else:
        subtitle, severity = f"{windows.near_days} 天内没有到期的药品", "ok"
    tiles.append(Tile("stock.near_expiry", "近效期", f"{near.count:,} 种", subtitle, severity, "stock",
                      "near_expiry", 20))

    expired = alerts.expired
    if expired.count:
        batches = len(expired.rows)
        tiles.append(Tile("stock.expired", "已过期在架", f"{expired.count:,} 种",
                          f"{batches:,} 个批次 ¥{fen_to_yuan(expired.value_fen)} · 请报损或退回", "danger", "stock",
                          "expired", 21))
    else:
        tiles.append(Tile("stock.expired", "已过期在架", "0 种", "货架上没有过期药品", "ok", "stock", "expired", 21))

    low = alerts.low_stock
    tiles.append(Tile("stock.low", "库存不足", f"{low.count:,} 种",
                      _names(low.rows) + f" · 低于最低库存或不足用 {windows.low_stock_days} 天" if low.count else "库存充足",
                      "warn" if low.count else "ok", "stock", "low", 22))

    no_code = alerts.no_code
    tiles.append(Tile("stock.no_code", "无码库存", f"{no_code.count:,} 种",
                      f"{len(no_code.rows):,} 个批次无追溯码 · 可照常销售" if no_code.count else "全部库存都有追溯码",
                      "info" if no_code.count else "ok", "stock", "no_code", 23))
    return tiles
