"""Table models of the 药品库存 page: on hand per drug, batches, recent movements (short lists, loaded whole).

They build on ``ui.models.base.RowsModel`` (a list of frozen DTOs, one ``cell`` function per model,
numbers right-aligned), with a colour per row for alerts (expired red, near expiry orange). Long lists
(the stock card) page in rows: ``ui.models.stock_card.StockCardModel``.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtGui import QColor

from app.domain.fefo import format_quantity
from app.domain.money import fen_to_yuan
from app.printing.stock_docs import DOC_LABELS
from app.services.stock.queries import BatchInfo, OnHandRow, RecentMovement

from .base import RowsModel

DANGER = QColor("#b3261e")
WARN = QColor("#b45309")
MUTED = QColor("#7b8794")
DANGER_BG = QColor("#fdecea")
WARN_BG = QColor("#fff4e0")

#: runs of four or more digits get thousands separators
_GROUPS = re.compile(r"\d{4,}")

CLASS_SHORT = {"A": "甲", "B": "乙", "C": "丙"}
#: alert key → label, in the order they are shown
ALERT_LABELS = {"expired": "有过期", "urgent": "效期紧急", "near_expiry": "近效期", "low": "库存不足", "no_code": "无码"}


def count(n: int) -> str:
    """311955 → '311,955': counts are shown with thousands separators."""
    return f"{n:,}"


def qty(units: int, pack_unit: str, base_unit: str, units_per_pack: int) -> str:
    """'3盒2片', '3,220瓶55片' — how quantities are shown everywhere on the stock page."""
    return _GROUPS.sub(lambda m: count(int(m.group())), format_quantity(units, pack_unit, base_unit, units_per_pack))


def yuan(fen: int) -> str:
    return fen_to_yuan(fen)


def money(fen: int) -> str:
    """1195428 → '11,954.28': totals in yuan are shown with thousands separators."""
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def expiry_colour(days_left: int | None, near_days: int, urgent_days: int) -> QColor | None:
    if days_left is None:
        return None
    if days_left < 0 or days_left <= urgent_days:
        return DANGER
    if days_left <= near_days:
        return WARN
    return None


class OnHandModel(RowsModel):
    """库存: one row per drug with stock."""

    COLUMNS = ("通用名", "规格", "类别", "集采", "库存", "最小单位数", "金额(元)", "最近效期", "货位", "提示")
    NUMERIC = frozenset({5, 6})

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.near_days, self.urgent_days = 180, 90

    def cell(self, r: OnHandRow, col: int) -> str:
        if col == 0:
            return r.generic_name
        if col == 1:
            return r.strength
        if col == 2:
            return CLASS_SHORT.get(r.coverage_class, r.coverage_class)
        if col == 3:
            return "集采" if r.is_vbp else ""
        if col == 4:
            return qty(r.on_hand_units, r.pack_unit, r.base_unit, r.units_per_pack)
        if col == 5:
            return f"{count(r.on_hand_units)}{r.base_unit}"
        if col == 6:
            return yuan(r.value_fen)
        if col == 7:
            return r.nearest_expiry.isoformat() if r.nearest_expiry else ""
        if col == 8:
            return r.shelf
        return "、".join(label for key, label in ALERT_LABELS.items() if key in r.alerts and
                         not (key == "near_expiry" and "urgent" in r.alerts))

    def foreground(self, r: OnHandRow, col: int) -> QColor | None:
        if col == 9 or col == 7:
            if "expired" in r.alerts or "urgent" in r.alerts:
                return DANGER
            if "near_expiry" in r.alerts:
                return WARN
        if col in (4, 9) and "low" in r.alerts:
            return WARN
        return None

    def background(self, r: OnHandRow, col: int) -> QColor | None:
        return DANGER_BG if "expired" in r.alerts else None

    def tooltip(self, r: OnHandRow, col: int) -> str | None:
        if col == 0:
            brand = f"（{r.brand_name}）" if r.brand_name else ""
            return f"{r.generic_name}{brand} {r.strength}\n医保编码：{r.national_code or '未填'}\n分类：{r.category or '—'}"
        if col == 4 and r.min_stock_units:
            return f"最低库存 {qty(r.min_stock_units, r.pack_unit, r.base_unit, r.units_per_pack)}"
        return None


class BatchModel(RowsModel):
    """批次: batches in FEFO order, expiry coloured (red: expired or urgent, orange: near)."""

    COLUMNS = ("通用名", "规格", "批号", "效期", "剩余天数", "库存", "进价(元/包装)", "金额(元)", "入库日期", "追溯码")
    NUMERIC = frozenset({4, 6, 7})

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.near_days, self.urgent_days = 180, 90

    def cell(self, b: BatchInfo, col: int) -> str:
        if col == 0:
            return b.generic_name
        if col == 1:
            return b.strength
        if col == 2:
            return b.batch_no
        if col == 3:
            return b.expiry.isoformat()
        if col == 4:
            return "已过期" if b.expired else f"{b.days_left}"
        if col == 5:
            text = f"{b.packs}{b.pack_unit}" if b.packs else ""
            text += f"{b.loose_units}{b.base_unit}" if b.loose_units else ""
            return text or f"0{b.base_unit}"
        if col == 6:
            return yuan(b.pack_cost_fen)
        if col == 7:
            return yuan(b.value_fen)
        if col == 8:
            return b.received_on.isoformat()
        return "无码" if b.no_trace_codes else "有"

    def foreground(self, b: BatchInfo, col: int) -> QColor | None:
        if col in (3, 4):
            return expiry_colour(b.days_left, self.near_days, self.urgent_days)
        if col == 9 and b.no_trace_codes:
            return WARN
        return None

    def background(self, b: BatchInfo, col: int) -> QColor | None:
        if b.expired:
            return DANGER_BG
        return None


class RecentModel(RowsModel):
    """Recent 入库 or 报损/退回 movements, newest first."""

    COLUMNS = ("日期", "类型", "药品", "批号", "数量", "原因")
    NUMERIC = frozenset({4})

    def cell(self, m: RecentMovement, col: int) -> str:
        if col == 0:
            return m.occurred_at.strftime("%m-%d")
        if col == 1:
            return m.kind_label
        if col == 2:
            return f"{m.generic_name} {m.strength}".strip()
        if col == 3:
            return m.batch_no
        if col == 4:
            return qty(abs(m.quantity), m.pack_unit, m.base_unit, m.units_per_pack)
        return "已冲正" + (f"（{m.reason}）" if m.reason else "") if m.reversed else m.reason

    def foreground(self, m: RecentMovement, col: int) -> QColor | None:
        return MUTED if m.reversed else None

    def tooltip(self, m: RecentMovement, col: int) -> str | None:
        state = "（已冲正）" if m.reversed else ""
        doc = f" · {DOC_LABELS.get(m.doc_type, m.doc_type)} {m.doc_no}" if m.doc_no else ""
        return (f"{m.occurred_at:%Y-%m-%d %H:%M} {m.kind_label}{state}{doc} · {m.generic_name} {m.strength} · "
                f"批号 {m.batch_no} 效期 {m.expiry.isoformat()}" + (f" · {m.reason}" if m.reason else ""))
