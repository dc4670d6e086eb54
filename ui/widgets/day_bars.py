"""A small bar chart of visits per day (工作台 · 近 7 日门诊), painted directly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

if TYPE_CHECKING:
    from app.services.core.status import DayFigures

_WEEKDAYS = "一二三四五六日"


class DayBars(QWidget):
    """One bar per day: the number of visits above it, the weekday and date below; today highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.days: list[DayFigures] = []
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_days(self, days: list[DayFigures]) -> None:
        self.days = list(days)
        self.setAccessibleDescription("；".join(f"{d.day:%m-%d} {d.visits} 人次" for d in self.days))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(420, 200)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        if not self.days:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        rect = QRectF(self.rect()).adjusted(4, 4, -4, -4)
        label_h, value_h = 40.0, 22.0
        plot_h = max(10.0, rect.height() - label_h - value_h)
        slot = rect.width() / len(self.days)
        peak = max(1, max(d.visits for d in self.days))
        base_y = rect.top() + value_h + plot_h
        painter.setPen(QColor("#dde3ea"))
        painter.drawLine(int(rect.left()), int(base_y), int(rect.right()), int(base_y))
        for i, day in enumerate(self.days):
            last = i == len(self.days) - 1
            x = rect.left() + i * slot
            width = min(44.0, slot * 0.56)
            height = plot_h * day.visits / peak
            bar = QRectF(x + (slot - width) / 2, base_y - height, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#1565c0" if last else "#90b4e0"))
            painter.drawRoundedRect(bar, 4, 4)
            font.setPixelSize(14)
            font.setBold(last)
            painter.setFont(font)
            painter.setPen(QColor("#102a43"))
            painter.drawText(QRectF(x, bar.top() - value_h, slot, value_h),
                             int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom), str(day.visits))
            font.setPixelSize(12)
            font.setBold(False)
            painter.setFont(font)
            painter.setPen(QColor("#52606d"))
            text = f"{'今天' if last else '周' + _WEEKDAYS[day.day.weekday()]}\n{day.day:%m-%d}"
            painter.drawText(QRectF(x, base_y + 4, slot, label_h - 4), int(Qt.AlignmentFlag.AlignHCenter), text)
        painter.end()
