"""工作台 帮办代办 tiles: cases past their due day, and cases due within 3 working days — each opens
the filtered list on the 帮办代办 page. A tile provider runs on the database thread and calls services only."""

from __future__ import annotations

from typing import Any

from ui.tiles import Tile, TileScope


def _who(cases: tuple, limit: int = 3) -> str:
    names = [f"{c.resident_name}（{c.type_label}）" for c in cases[:limit]]
    return "、".join(names) + ("等" if len(cases) > limit else "")


def cases_tiles(sv: Any, scope: TileScope) -> list[Tile]:
    """帮办超期 and 帮办即将到期, for users who see 帮办代办 (the village's cases, or the township's villages')."""
    if "cases" not in scope.areas:
        return []
    attention = sv.cases.attention()
    overdue, soon = attention.overdue, attention.due_soon
    return [
        Tile("cases.overdue", "帮办超期", f"{len(overdue):,} 件", _who(overdue) if overdue else "没有超期未办结的事项",
             "danger" if overdue else "ok", "cases", "overdue", 30),
        Tile("cases.due_soon", "帮办即将到期", f"{len(soon):,} 件",
             _who(soon) + " · 3 个工作日内到期" if soon else "3 个工作日内没有到期的事项",
             "warn" if soon else "ok", "cases", "due_soon", 31),
    ]
