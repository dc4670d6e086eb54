"""style.qss: a focused table or tree shows an unbroken 2px focus border that no cell overdraws."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHBoxLayout, QLineEdit, QTableView, QTreeView, QWidget

FOCUS = QColor("#1a73e8")


def _model(rows: int = 10) -> QStandardItemModel:
    model = QStandardItemModel(rows, 3)
    model.setHorizontalHeaderLabels(["药品", "数量", "金额"])
    for r in range(rows):
        for c in range(3):
            model.setItem(r, c, QStandardItem(f"第{r}行"))
    return model


@pytest.mark.parametrize("view_class", [QTableView, QTreeView])
def test_focus_border_is_not_overdrawn_by_alternate_rows(qtbot, view_class) -> None:  # noqa: ANN001
    host = QWidget()
    qtbot.addWidget(host)
    layout = QHBoxLayout(host)
    view = view_class()
    view.setModel(_model())
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if isinstance(view, QTableView):
        view.verticalHeader().hide()  # the cells run along the left border, as in most of our tables
    other = QLineEdit()
    layout.addWidget(view)
    layout.addWidget(other)
    host.resize(520, 360)
    host.show()
    qtbot.waitExposed(host)
    other.setFocus()
    QApplication.processEvents()
    view.setFocus(Qt.FocusReason.TabFocusReason)  # polished unfocused, then focused: the case that broke
    QApplication.processEvents()
    assert view.hasFocus()

    image = view.grab().toImage()
    rows = min(view.visualRect(view.model().index(view.model().rowCount() - 1, 0)).bottom(),
               view.viewport().height() - 1)
    top = view.viewport().geometry().top()
    assert rows > 150  # several white and alternate rows
    # both pixels of the left and right border, beside every row (white and alternate ones alike)
    for y in range(top, top + rows, 3):
        for x in (0, 1, image.width() - 2, image.width() - 1):
            assert image.pixelColor(x, y) == FOCUS, (x, y, image.pixelColor(x, y).name())
    # the cells start right inside the border: nothing of the viewport under it
    assert view.viewport().geometry().left() == 2

    other.setFocus()
    QApplication.processEvents()
    image = view.grab().toImage()
    assert image.pixelColor(0, top + 20) != FOCUS and image.pixelColor(1, top + 20) != FOCUS
    assert view.viewport().geometry().left() == 2  # the same place focused or not: nothing jumps
