"""A small bar chart of one figure per month (村室药品 · 近 12 个月用药), painted directly.

``set_bars(title, bars)`` takes ``(label, value, text)`` per bar: the label under the bar (``06月``), the
value that sets its height, and the text above it (``¥1,234`` or ``560 片``). The last bar is the current
month and is drawn darker. The bars' texts are also the widget's accessible description.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

Bar = tuple[str, int, str]


class MonthBars(QWidget):
    """One bar per month with its value above it and the month below; an empty chart says so."""

    def __init__(self, parent: QWidget | None = None, empty_text: str = "没有用药记录") -> None:
        super().__init__(parent)
        self.title = ""
        self.bars: list[Bar] = []
        self.empty_text = empty_text
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_bars(self, title: str, bars: Sequence[Bar]) -> None:
        self.title = title
        self.bars = list(bars)
        self.setAccessibleName(title)
        self.setAccessibleDescription("；".join(f"{label} {text}" for label, _v, text in self.bars))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(520, 200)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        rect = QRectF(self.rect()).adjusted(6, 4, -6, -4)
        title_h = 26.0
        font.setPixelSize(14)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#102a43"))
        painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), title_h),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), self.title)
        rect.setTop(rect.top() + title_h)
        if not self.bars or not any(v for _l, v, _t in self.bars):
            font.setBold(False)
            font.setPixelSize(13)
            painter.setFont(font)
            painter.setPen(QColor("#7b8794"))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), self.empty_text)
            painter.end()
            return
        label_h, value_h = 22.0, 20.0
        plot_h = max(10.0, rect.height() - label_h - value_h)
        slot = rect.width() / len(self.bars)
        peak = max(1, max(v for _l, v, _t in self.bars))
        base_y = rect.top() + value_h + plot_h
        painter.setPen(QColor("#dde3ea"))
        painter.drawLine(int(rect.left()), int(base_y), int(rect.right()), int(base_y))
        small = slot < 58  # too narrow for every value: show the texts of the highest and the last bar
        shown = {len(self.bars) - 1, max(range(len(self.bars)), key=lambda i: self.bars[i][1])}
        for i, (label, value, text) in enumerate(self.bars):
            last = i == len(self.bars) - 1
            x = rect.left() + i * slot
            width = min(40.0, slot * 0.6)
            height = plot_h * max(value, 0) / peak
            bar = QRectF(x + (slot - width) / 2, base_y - height, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#1565c0" if last else "#90b4e0"))
            painter.drawRoundedRect(bar, 3, 3)
            font.setBold(last)
            if not small or i in shown:
                font.setPixelSize(12)
                painter.setFont(font)
                painter.setPen(QColor("#102a43"))
                painter.drawText(QRectF(x - slot / 2, bar.top() - value_h, slot * 2, value_h),
                                 int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom), text)
            font.setPixelSize(11)
            font.setBold(False)
            painter.setFont(font)
            painter.setPen(QColor("#52606d"))
            painter.drawText(QRectF(x, base_y + 3, slot, label_h - 3), int(Qt.AlignmentFlag.AlignHCenter), label)
        painter.end()
