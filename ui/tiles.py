"""工作台 tiles: what a tile is, and the tiles every installation has (today, sync, backup, accounts).

A tile provider is a plain function ``provider(sv, scope) -> Iterable[Tile]``. It runs on the database
thread (inside an ``Op``), calls services only, and never builds widgets. Providers are listed by
``"module:function"`` in ``ui.pages.TILE_PROVIDERS``; the dashboard draws their tiles in ``order``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.domain import clock
from app.domain.enums import Role, SiteKind
from app.domain.errors import CunyiError
from app.domain.permissions import allowed
from app.domain.money import fen_to_yuan

#: tile colours, mildest first
SEVERITIES = ("ok", "info", "warn", "danger")


@dataclass(frozen=True)
class Tile:
    """One dashboard tile.

    Attributes:
        key: unique id, ``"<area>.<what>"`` (e.g. ``"stock.near_expiry"``).
        title: short Chinese title, e.g. ``近效期``.
        figure: the big figure as text, e.g. ``12 种``.
        subtitle: one line under the figure, e.g. ``¥356.20 · 90 天内 3 种``.
        severity: ``ok`` | ``info`` | ``warn`` | ``danger`` (the tile's colour).
        area: the area whose list the tile opens (click or Enter); None = not clickable.
        target: passed to that page's ``open_target`` (e.g. ``"near_expiry"``) to pick the list.
        order: position on the dashboard (small first).
    """

    key: str
    title: str
    figure: str
    subtitle: str = ""
    severity: str = "info"
    area: str | None = None
    target: str | None = None
    order: int = 100

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown tile severity {self.severity!r}")


@dataclass(frozen=True)
class TileScope:
    """Who looks at the dashboard: providers may skip tiles that mean nothing to this role/site."""

    role: Role
    site_kind: SiteKind
    today: date
    #: areas this role may use at this kind of site (whether or not their page exists yet);
    #: the dashboard hides tiles of other areas
    areas: frozenset[str]


TileProvider = Callable[[Any, TileScope], Iterable[Tile]]


def load_provider(spec: str) -> TileProvider:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def collect_tiles(sv: Any, scope: TileScope, providers: Iterable[str]) -> list[Tile]:
    """Run every provider (database thread). An expected failure becomes a red tile, not a crash."""
    tiles: list[Tile] = []
    for spec in providers:
        try:
            tiles.extend(load_provider(spec)(sv, scope))
        except CunyiError as exc:
            tiles.append(Tile(f"error.{spec}", "无法统计", "—", str(exc), "danger", order=999))
    return sorted(tiles, key=lambda t: (t.order, t.key))


def _ago(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 3600:
        return f"{max(1, seconds // 60)} 分钟前"
    if seconds < 86400:
        return f"{seconds // 3600} 小时前"
    return f"{seconds // 86400} 天前"


def core_tiles(sv: Any, scope: TileScope) -> list[Tile]:
    """Tiles from data every installation has: today's visits, sync backlog, backups, locked accounts."""
    now = clock.now()
    tiles: list[Tile] = []
    if allowed("settlement.settle", scope.role, scope.site_kind):  # the outpatient desk
        day = sv.status.day_figures(scope.today)
        money = f"收费 ¥{fen_to_yuan(day.total_fen)} · 统筹等 ¥{fen_to_yuan(day.fund_fen)}"
        tiles.append(Tile("outpatient.today", "今日门诊", f"{day.visits:,} 人次",
                          money if day.settlements else "今天还没有结算", "info", "outpatient", "today", 10))
    sync = sv.status.sync_state()
    if sync.pending == 0:
        tiles.append(Tile("sync.pending", "待同步", "0 条", "全部数据已同步", "ok", "sync", None, 80))
    else:
        age_days = (now - sync.oldest_at).days if sync.oldest_at else 0
        severity = "danger" if age_days >= 3 else "warn" if age_days >= 1 else "info"
        subtitle = f"最早一条 {_ago(sync.oldest_at, now)} · 单机运行" if sync.oldest_at else "单机运行"
        tiles.append(Tile("sync.pending", "待同步", f"{sync.pending:,} 条", subtitle, severity, "sync", None, 80))
    if allowed("settings.set", scope.role, scope.site_kind):  # backups are set up in 设置
        last = sv.status.last_backup()
        if last is None:
            tiles.append(Tile("settings.backup", "上次备份", "从未备份", "请立即备份（设置 › 备份）",
                              "danger", "settings", "backup", 90))
        else:
            age = now - last.at
            severity = "danger" if age.days >= 7 else "warn" if age.days >= 1 else "ok"
            tiles.append(Tile("settings.backup", "上次备份", _ago(last.at, now), f"{last.at:%Y-%m-%d %H:%M}",
                              severity, "settings", "backup", 90))
    if allowed("users.list", scope.role, scope.site_kind):
        locked = sv.status.locked_users()
        if locked:
            names = "、".join(u.display_name for u in locked[:3]) + ("等" if len(locked) > 3 else "")
            tiles.append(Tile("settings.locked", "锁定账户", f"{len(locked)} 个", f"{names} · 可在用户管理中解锁",
                              "warn", "settings", "users", 95))
    return tiles
