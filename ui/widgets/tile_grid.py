"""Dashboard tiles as widgets: a focusable card per ``ui.tiles.Tile`` in a grid, arrow-key navigable."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..tiles import Tile


class TileWidget(QFrame):
    """A card: title, big figure, subtitle; coloured by severity; click or Enter activates it."""

    activated = Signal(object)  # the Tile

    def __init__(self, tile: Tile, clickable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tile = tile
        self.clickable = clickable
        self.setObjectName("tile")
        self.setProperty("severity", tile.severity)
        self.setProperty("clickable", clickable)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus if clickable else Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(128)
        if clickable:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setToolTip(f"{tile.title}：按 Enter 或单击打开明细")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 14, 20, 14)
        layout.setSpacing(2)
        self.title_label = QLabel(tile.title)
        self.title_label.setObjectName("tileTitle")
        self.figure_label = QLabel(tile.figure)
        self.figure_label.setObjectName("tileFigure")
        self.subtitle_label = QLabel(tile.subtitle)
        self.subtitle_label.setObjectName("tileSubtitle")
        self.subtitle_label.setWordWrap(True)
        layout.addWidget(self.title_label)
        layout.addWidget(self.figure_label)
        layout.addWidget(self.subtitle_label)
        layout.addStretch(1)
        self.setAccessibleName(f"{tile.title} {tile.figure} {tile.subtitle}")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self.clickable and event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit(self.tile)
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if self.clickable and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.tile)
            return
        grid = self.parentWidget()
        if isinstance(grid, TileGrid) and grid.move_focus(self, event.key()):
            return
        super().keyPressEvent(event)


class TileGrid(QWidget):
    """Tiles in rows of ``columns``; arrow keys move between the clickable ones."""

    activated = Signal(object)  # the Tile

    def __init__(self, columns: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(16)
        self._grid.setVerticalSpacing(16)
        self.tiles: list[TileWidget] = []

    def set_tiles(self, tiles: list[Tile], openable: set[str]) -> None:
        """Replace the tiles; a tile is clickable when its area is in ``openable``."""
        had_focus = any(w.hasFocus() for w in self.tiles)
        for widget in self.tiles:
            self._grid.removeWidget(widget)
            widget.deleteLater()
        self.tiles = []
        for i, tile in enumerate(tiles):
            widget = TileWidget(tile, tile.area in openable, self)
            widget.activated.connect(self.activated)
            self._grid.addWidget(widget, i // self.columns, i % self.columns)
            widget.show()  # now, not on the next event loop pass: the focus may move to it at once
            self.tiles.append(widget)
        for col in range(self.columns):
            self._grid.setColumnStretch(col, 1)
        if had_focus:
            self.focus_first()

    def focus_first(self) -> bool:
        for widget in self.tiles:
            if widget.clickable:
                widget.setFocus(Qt.FocusReason.TabFocusReason)
                return True
        return False

    def move_focus(self, current: TileWidget, key: int) -> bool:
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -self.columns,
                Qt.Key.Key_Down: self.columns}.get(Qt.Key(key))
        if step is None or current not in self.tiles:
            return False
        i = self.tiles.index(current) + step
        while 0 <= i < len(self.tiles):
            if self.tiles[i].clickable:
                self.tiles[i].setFocus(Qt.FocusReason.TabFocusReason)
                return True
            i += step
        return True
