"""Layout helpers shared by pages and dialogs: tables, shortcuts, buttons and hints, exports, Enter-advances."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QWidget,
)

from ui.widgets.tables import read_only_rows

EXPORT_FILTERS = {"pdf": "PDF 文件 (*.pdf)", "xlsx": "Excel 表格 (*.xlsx)"}


def setup_table(view: QTableView, *, stretch: int | None = None) -> QTableView:
    """Row selection, no editing, alternating rows, Tab leaves the table (keyboard-first)."""
    read_only_rows(view, 32)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setMinimumSectionSize(40)
    header.setDefaultSectionSize(60)  # a stretched last column never shrinks below this
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(stretch is None)
    view.setTabKeyNavigation(False)
    return view


def size_columns(view: QTableView, widths: Sequence[int], stretch: int | None = None) -> None:
    """Starting widths (px) per column; ``stretch`` (default: the last column) takes what is left.

    Reapplied after every model reset (a reset forgets per-section resize modes).
    """
    header = view.horizontalHeader()

    def apply() -> None:
        for col, width in enumerate(widths):
            if col != stretch:
                view.setColumnWidth(col, width)
        last = view.model().columnCount() - 1 if view.model() is not None else -1
        header.setStretchLastSection(stretch is None or stretch == last)
        if stretch is not None and stretch != last:
            header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)

    apply()
    if view.model() is not None:
        view.model().modelReset.connect(apply)


def shortcut(widget: QWidget, keys: str, slot: Callable[[], object]) -> QShortcut:
    """A shortcut active while the focus is anywhere inside ``widget``."""
    sc = QShortcut(QKeySequence(keys), widget)
    sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    sc.activated.connect(slot)
    return sc


def button(text: str, slot: Callable[[], object], *, tip: str = "", primary: bool = False) -> QPushButton:
    b = QPushButton(text)
    if tip:
        b.setToolTip(tip)
    if primary:
        b.setProperty("kind", "primary")
    b.clicked.connect(lambda _=False: slot())
    return b


def hint(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "hint")
    return label


def section(text: str) -> QLabel:
    """A section heading (``role=section``)."""
    label = QLabel(text)
    label.setProperty("role", "section")
    return label


def success_label() -> QLabel:
    """Where a form says what it just wrote (``role=success``, wrapped)."""
    label = QLabel()
    label.setProperty("role", "success")
    label.setWordWrap(True)
    return label


def form_layout() -> QFormLayout:
    """The stock forms' layout: labels right-aligned, 16 px to the field, 10 px between rows."""
    form = QFormLayout()
    form.setHorizontalSpacing(16)
    form.setVerticalSpacing(10)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return form


def row(*widgets: QWidget | int | None, spacing: int = 10) -> QHBoxLayout:
    """A horizontal row; an int adds that much stretch, None adds stretch 1."""
    layout = QHBoxLayout()
    layout.setSpacing(spacing)
    for w in widgets:
        if w is None:
            layout.addStretch(1)
        elif isinstance(w, int):
            layout.addStretch(w)
        else:
            layout.addWidget(w)
    return layout


def combo(items: Sequence[tuple[str, object]], tip: str = "") -> QComboBox:
    box = QComboBox()
    for label, value in items:
        box.addItem(label, value)
    if tip:
        box.setToolTip(tip)
    return box


def ask_save_path(parent: QWidget, title: str, kind: str, default_name: str) -> Path | None:
    """A save dialog for a .pdf or .xlsx file, starting in the last folder used; None if cancelled."""
    settings = QSettings()
    folder = str(settings.value("stock/export_folder", str(Path.home())))
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(Path(folder) / f"{default_name}.{kind}"),
                                            EXPORT_FILTERS[kind])
    if not chosen:
        return None
    path = Path(chosen)
    if path.suffix.lower() != f".{kind}":
        path = path.with_suffix(f".{kind}")
    settings.setValue("stock/export_folder", str(path.parent))
    return path


class EnterAdvances(QObject):
    """Enter in one of ``fields`` moves the focus to the next one; on the last it calls ``submit``.

    Line edits and combo boxes only; a plain-text edit keeps its Enter (one trace code per line).
    """

    def __init__(self, fields: Sequence[QWidget], submit: Callable[[], object] | None = None) -> None:
        super().__init__(fields[0] if fields else None)
        self.fields = list(fields)
        self.submit = submit
        for field in self.fields:
            field.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier
            ):
                if isinstance(watched, QComboBox) and watched.view().isVisible():
                    return False
                if isinstance(watched, QPlainTextEdit):
                    return False
                if watched in self.fields and not getattr(watched, "handles_enter", False):
                    self.advance(watched)  # type: ignore[arg-type]
                    return True
        return super().eventFilter(watched, event)

    def advance(self, current: QWidget) -> None:
        i = self.fields.index(current)
        for nxt in self.fields[i + 1:]:
            if nxt.isEnabled() and nxt.isVisible():
                nxt.setFocus(Qt.FocusReason.TabFocusReason)
                if isinstance(nxt, QLineEdit):
                    nxt.selectAll()
                return
        if self.submit is not None:
            self.submit()
