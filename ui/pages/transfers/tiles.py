"""工作台 tiles of 调拨与报量: at a village 待收货 (shipments on their way here) and 报量 awaiting the township; at
the township 待出库 (draft 调拨单) and 在途 — each opens its tab. Runs on the database thread, services only."""

from __future__ import annotations

from typing import Any

from app.domain.enums import SiteKind
from ui.tiles import Tile, TileScope


def _names(rows: list[Any], limit: int = 2) -> str:
    names = sorted({r.to_site_name for r in rows})
    return "、".join(names[:limit]) + ("等" if len(names) > limit else "")


def transfers_tiles(sv: Any, scope: TileScope) -> list[Tile]:
    """The documents waiting for this user's next step."""
    if "transfers" not in scope.areas:
        return []
    transfers = sv.transfers
    if scope.site_kind is SiteKind.VILLAGE:
        incoming = transfers.incoming()
        waiting = transfers.requisitions(status="waiting")
        return [
            Tile("transfers.incoming", "待收货", f"{len(incoming)} 张",
                 "乡镇调拨已出库，到货后清点入库" if incoming else "没有在途的调拨单",
                 "warn" if incoming else "ok", "transfers", "incoming", 25),
            Tile("transfers.waiting", "报量待审核", f"{len(waiting)} 张",
                 "等乡镇卫生院审核" if waiting else "Ctrl+N 按建议量报量", "info" if waiting else "ok", "transfers",
                 "requisitions", 26),
        ]
    drafts = transfers.shipments(status="draft")
    moving = transfers.in_transit()
    return [
        Tile("transfers.drafts", "待出库", f"{len(drafts)} 张", f"调拨给 {_names(drafts)}" if drafts else
             "没有待出库的调拨单", "warn" if drafts else "ok", "transfers", "shipments", 44),
        Tile("transfers.in_transit", "调拨在途", f"{len(moving)} 张", f"{_names(moving)} 未入库" if moving else
             "各村都已入库", "info" if moving else "ok", "transfers", "in_transit", 45),
    ]
