"""``ColumnsModel``: the table-model skeleton every table model shares (``COLUMNS`` over ``_rows``), and
``RowsModel``: the read-only table model over a list of frozen DTOs that the list models share.

``ColumnsModel`` counts the rows of ``_rows`` and the ``COLUMNS``, and gives the horizontal header
text; a subclass adds its own ``data``/``flags`` (and extends ``headerData`` for other roles).

A subclass names its ``COLUMNS`` and the ``NUMERIC`` ones (right-aligned, header too), and returns
each cell's text from ``cell``; ``foreground``, ``background`` and ``tooltip`` give the colour roles and
the tooltip per cell (None: the view's default). Rows are replaced whole (``set_rows``) or, for paged
models, appended by the subclass to ``_rows`` between ``beginInsertRows``/``endInsertRows``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

_INDEX = QModelIndex()
Index = QModelIndex | QPersistentModelIndex


class ColumnsModel(QAbstractTableModel):
    """A flat table of ``_rows`` (one per row) under the header texts ``COLUMNS``."""

    COLUMNS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def rowCount(self, parent: Index = _INDEX) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _INDEX) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None


class RowsModel(ColumnsModel):
    """A read-only table over a list of DTOs. Subclasses set ``COLUMNS`` and implement ``cell``."""

    #: columns shown right-aligned (numbers, money)
    NUMERIC: ClassVar[frozenset[int]] = frozenset()

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def row(self, index: int) -> Any:
        return self._rows[index]

    def find(self, predicate: Any) -> int:
        """The first row for which ``predicate(dto)`` is true, or -1."""
        return next((i for i, r in enumerate(self._rows) if predicate(r)), -1)

    # -- to override ------------------------------------------------------------------------------
    def cell(self, row: Any, column: int) -> str:
        raise NotImplementedError

    def foreground(self, row: Any, column: int) -> QColor | None:
        return None

    def background(self, row: Any, column: int) -> QColor | None:
        return None

    def tooltip(self, row: Any, column: int) -> str | None:
        return None

    # -- Qt -----------------------------------------------------------------------------------
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if (role == Qt.ItemDataRole.TextAlignmentRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(self.COLUMNS) and section in self.NUMERIC):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return super().headerData(section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        if not 0 <= index.column() < len(self.COLUMNS):
            return None
        row, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if col in self.NUMERIC else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(row, col)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self.background(row, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, col)
        return None
