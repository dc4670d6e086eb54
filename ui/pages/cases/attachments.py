"""The 附件 of the case shown beside the list: scans and photos of its material.

``AttachmentsPanel`` lists them (文件名; 类型 · 大小 · 添加人 · 添加时间) with 添加附件 (Ctrl+U, on the page) and
打开 (Enter or a double-click on a row); a refusal is shown in red under the list. The page runs the
service calls through ``Op``.

A stored file is named by the SHA-256 of its bytes, without an extension, so it is opened as a copy that
has the attachment's own file name (``ui.widgets.file_copies``, removed when the program quits).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain import clock
from app.services.cases.attachments import TYPES
from ui.widgets.forms import ErrorLabel
from ui.widgets.layout import hint, row, section

#: the file dialog's filter
FILE_FILTER = "图片和PDF (*.jpg *.jpeg *.png *.pdf)"
#: where the file dialog starts (the last folder a file was picked from)
FOLDER_SETTING = "cases/attachment_folder"
#: rows shown before the list scrolls
VISIBLE_ROWS = 5


def size_text(size: int) -> str:
    """A file size as people read it: ``820 KB``, ``2.4 MB``."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def added_text(when: datetime) -> str:
    """When an attachment was added, short: ``06-15 09:30`` this year, ``2025-11-03`` before."""
    return f"{when:%m-%d %H:%M}" if when.year == clock.today().year else f"{when:%Y-%m-%d}"


def type_text(media_type: str) -> str:
    """``PNG 图片`` → ``PNG``: the short name of a stored type."""
    return TYPES[media_type][2].split()[0] if media_type in TYPES else media_type


class AttachmentsPanel(QWidget):
    """The 附件 section of the case detail; ``rows`` are the shown ``AttachmentInfo``.

    Each attachment takes two lines, its file name and then 类型 · 大小 · 添加人 · 添加时间, so that a
    long name stays readable in the narrow detail."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.add_button = QPushButton("添加附件 (Ctrl+U)")
        self.add_button.setToolTip("扫描件或照片：JPEG、PNG 图片或 PDF 文件")
        self.add_button.setObjectName("case_attach")
        self.open_button = QPushButton("打开")
        self.open_button.setToolTip("打开选中的附件（Enter 或双击）")
        self.open_button.setObjectName("case_open_attachment")
        self.title = section("附件")
        layout.addLayout(row(self.title, None, self.add_button, self.open_button, spacing=8))
        self.table = QListWidget()
        self.table.setObjectName("caseAttachments")
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # 收费…票据.png: the extension stays
        self.table.setAlternatingRowColors(True)
        layout.addWidget(self.table)
        self.empty = hint("还没有附件")
        layout.addWidget(self.empty)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        self.set_rows([])

    @staticmethod
    def line(a: Any) -> str:
        """An attachment's two lines."""
        return (f"{a.file_name}\n{type_text(a.media_type)} · {size_text(a.size)} · {a.user_name or '—'}"
                f" · {added_text(a.added_at)}")

    def set_rows(self, rows: Sequence[Any]) -> None:
        keep = self.current()
        self.rows = list(rows)
        table = self.table
        table.clear()
        for a in self.rows:
            item = QListWidgetItem(self.line(a))
            tip = f"{a.file_name}\n添加于 {a.added_at:%Y-%m-%d %H:%M}"
            item.setToolTip(tip if a.present else tip + "\n文件还在乡镇同步服务上，打开时取回")
            table.addItem(item)
        shown = min(len(self.rows), VISIBLE_ROWS)
        height = sum(table.sizeHintForRow(r) for r in range(shown))
        table.setFixedHeight(height + 2 * table.frameWidth() + 4)
        table.setVisible(bool(self.rows))
        self.empty.setVisible(not self.rows)
        self.open_button.setEnabled(bool(self.rows))
        if self.rows:
            ids = [a.attachment_id for a in self.rows]
            table.setCurrentRow(ids.index(keep.attachment_id) if keep and keep.attachment_id in ids else 0)

    def current(self) -> Any:
        """The selected attachment, or None."""
        r = self.table.currentRow() if self.rows else -1
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def select(self, attachment_id: str) -> None:
        for r, a in enumerate(self.rows):
            if a.attachment_id == attachment_id:
                self.table.setCurrentRow(r)
