"""工作台: alert tiles from every registered provider, recent activity, and the keyboard map."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.domain import clock
from app.domain.money import fen_to_yuan
from app.domain.roles import AREAS, visible_areas
from ui.pages import TILE_PROVIDERS
from ui.tiles import Tile, TileScope, collect_tiles
from ui.widgets.day_bars import DayBars
from ui.widgets.page import Page
from ui.widgets.tile_grid import TileGrid
from ui.workers import Op

if TYPE_CHECKING:
    from app.services.core.audit import AuditEntry
    from app.services.core.status import DayFigures

_WEEKDAYS = "一二三四五六日"


def _card(title: str) -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setObjectName("card")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(20, 16, 20, 16)
    layout.setSpacing(8)
    heading = QLabel(title)
    heading.setProperty("role", "section")
    layout.addWidget(heading)
    return card, layout


class DashboardPage(Page):
    """Tiles (title, figure, subtitle, colour by severity) that open their lists on click or Enter."""

    area = "dashboard"
    watches = ("*",)

    def __init__(self, ctx, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(ctx, parent)
        today = clock.today()
        greeting = f"{today.year}年{today.month}月{today.day}日 星期{_WEEKDAYS[today.weekday()]} · {ctx.user.display_name}，您好"
        self.hint = self.add_header(greeting)
        self.grid = TileGrid(columns=4)
        self.grid.activated.connect(self._open_tile)
        # tiles and cards scroll when many areas add tiles; the window never grows past the screen
        content = QWidget()
        content.setObjectName("dashboardContent")
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(16)
        self.loading = QLabel("正在读取今日数据…")  # until the first tiles arrive
        self.loading.setProperty("role", "hint")
        column.addWidget(self.loading)
        column.addWidget(self.grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        self.body().addWidget(scroll, 1)

        lower = QHBoxLayout()
        lower.setSpacing(16)
        self.bars: DayBars | None = None
        self.week_title: QLabel | None = None
        if ctx.allows("settlement.settle"):  # the outpatient desk's week
            card, layout = _card("近 7 日门诊")
            self.week_title = QLabel("正在读取…")
            self.week_title.setProperty("role", "hint")
            self.bars = DayBars()
            layout.addWidget(self.week_title)
            layout.addWidget(self.bars, 1)
            lower.addWidget(card, 3)
        self.activity: QVBoxLayout | None = None
        if ctx.allows("audit.read"):
            card, layout = _card("最近操作")
            self.activity = QVBoxLayout()
            self.activity.setSpacing(6)
            layout.addLayout(self.activity)
            layout.addStretch(1)
            lower.addWidget(card, 3)
        keys_card, keys_layout = _card("常用快捷键")
        keys = QGridLayout()
        keys.setHorizontalSpacing(14)
        keys.setVerticalSpacing(8)
        shortcuts = [(f"Ctrl+{i}", AREAS[a]) for i, a in enumerate(ctx.areas or (self.area,), start=1)]
        shortcuts += [("Tab / 方向键", "在磁贴之间移动"), ("Enter", "打开磁贴的明细"), ("Ctrl+L", "锁定屏幕"),
                      ("Ctrl+Q", "退出村医通")]
        for row, (key, what) in enumerate(shortcuts):
            key_label = QLabel(key)
            key_label.setProperty("role", "key")
            keys.addWidget(key_label, row, 0, Qt.AlignmentFlag.AlignLeft)
            keys.addWidget(QLabel(what), row, 1)
        keys.setColumnStretch(1, 1)
        keys_layout.addLayout(keys)
        keys_layout.addStretch(1)
        keys_card.setFixedWidth(300)
        lower.addWidget(keys_card, 0)
        if lower.count() == 1:
            lower.addStretch(1)
        column.addLayout(lower, 1)
        self.tiles: list[Tile] = []

    def scope(self) -> TileScope:
        allowed = visible_areas(self.ctx.role, self.ctx.site_kind, set(AREAS))
        return TileScope(self.ctx.role, self.ctx.site_kind, clock.today(), frozenset(allowed))

    def refresh(self) -> None:
        scope, sv = self.scope(), self.ctx.sv
        Op(self, lambda: collect_tiles(sv, scope, TILE_PROVIDERS)).success(self._show_tiles).run()
        if self.bars is not None:
            Op(self, lambda: sv.status.recent_days(7)).success(self._show_days).run()
        if self.activity is not None:
            Op(self, lambda: sv.status.audit_page(0, 7)).success(self._show_activity).run()

    def _show_tiles(self, tiles: list[Tile]) -> None:
        allowed = self.scope().areas
        self.tiles = [t for t in tiles if t.area is None or t.area in allowed]
        self.loading.hide()
        self.grid.set_tiles(self.tiles, set(self.ctx.areas))

    def _show_days(self, days: list[DayFigures]) -> None:
        visits = sum(d.visits for d in days)
        money = sum(d.total_fen for d in days)
        self.week_title.setText(f"共 {visits} 人次 · 收费 ¥{fen_to_yuan(money)} · 日均 {visits / max(1, len(days)):.1f} 人次")
        self.bars.set_days(days)

    def _show_activity(self, entries: list[AuditEntry]) -> None:
        from html import escape

        from ui.models.audit import action_label, detail_text  # the admin's card only

        layout = self.activity
        while layout.count():
            item = layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for entry in entries:
            line = QLabel(f"<span style='color:#52606d'>{entry.at:%m-%d %H:%M}</span>&nbsp;&nbsp;"
                          f"{escape(entry.actor)} · {escape(action_label(entry.action))}")
            line.setToolTip(detail_text(entry))
            layout.addWidget(line)
        if not entries:
            layout.addWidget(QLabel("暂无记录"))

    def _open_tile(self, tile: Tile) -> None:
        if tile.area:
            self.navigate.emit(tile.area, tile.target)

    def focus_first(self) -> None:
        if not self.grid.focus_first():
            super().focus_first()
