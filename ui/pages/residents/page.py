"""居民档案: the site's residents at a glance (households together, fetched page by page as the list
scrolls), found by ID number, name, pinyin initials, phone or 医保电子凭证 scan; one resident's card;
create (Ctrl+N) and edit (Enter) them in ``ui.dialogs.resident.ResidentDialog``.

An empty search box shows the whole list; typing narrows it to the matches (at most ``SEARCH_LIMIT``),
clearing the box brings the list back with the same resident selected.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QWidget,
)

from app.domain.digits import FULL_WIDTH, is_ascii_digits
from app.services.residents.types import ResidentInfo
from ui.dialogs.resident import ResidentDialog
from ui.models.residents import ResidentsModel
from ui.pages.residents.card import ResidentCard
from ui.widgets.page import Page
from ui.widgets.tables import read_only_rows
from ui.workers import Op

SEARCH_DEBOUNCE_MS = 250
SEARCH_LIMIT = 200


class _ResultTable(QTableView):
    """Enter opens the selected resident."""

    def __init__(self, page: ResidentsPage) -> None:
        super().__init__()
        self.page = page

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.page.edit_current()
            return
        super().keyPressEvent(event)


class _SearchEdit(QLineEdit):
    """↓ moves into the result list; Enter searches at once (a scanner ends with Enter)."""

    def __init__(self, page: ResidentsPage) -> None:
        super().__init__()
        self.page = page

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Down and self.page.model.rowCount():
            self.page.table.setFocus()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.page.search_now(open_single=True)
            return
        super().keyPressEvent(event)


class ResidentsPage(Page):
    area = "residents"
    watches = ("residents", "outpatient")

    def __init__(self, ctx, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(ctx, parent)
        self.new_button = QPushButton("新建居民 (Ctrl+N)")
        self.new_button.setProperty("kind", "primary")
        self.new_button.clicked.connect(lambda: self.new_resident())
        self.add_header("按身份证号、姓名、拼音首字母、手机号查找，或扫描医保电子凭证", self.new_button)

        self.search = _SearchEdit(self)
        self.search.setObjectName("residentSearch")
        self.search.setPlaceholderText("身份证号 / 姓名 / 拼音首字母（如 zs）/ 手机号后四位 / 扫码")
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self.count_label.setProperty("role", "hint")
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.count_label)
        self.body().addLayout(row)

        self.model = ResidentsModel(self, loader=self._load_page)
        self.table = _ResultTable(self)
        self.table.setObjectName("residentTable")
        self.table.setModel(self.model)
        read_only_rows(self.table, 32)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ResidentsModel.ADDRESS, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(ResidentsModel.ADDRESS, 150)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self.edit_current())
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        self.card = ResidentCard(ctx.sv)
        self.card.setMinimumWidth(320)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.card)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([770, 330])
        self.body().addWidget(splitter, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)
        self.search.textEdited.connect(lambda _t: self._timer.start())
        self._generation = 0
        self._select_id: str | None = None
        self.dialog: ResidentDialog | None = None
        for keys, slot in (("Ctrl+N", self.new_resident), ("Ctrl+F", self.focus_first)):
            shortcut = QShortcut(QKeySequence(keys), self, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.count_label.setText("正在读取…")

    # -- the list and searching -----------------------------------------------------------------
    def refresh(self) -> None:
        self.search_now()

    def search_now(self, open_single: bool = False) -> None:
        self._timer.stop()
        text = self.search.text().strip()
        self._generation += 1
        generation = self._generation
        residents = self.ctx.sv.residents
        if not text:
            # as many records as were loaded before (a refresh keeps the place in a scrolled list), and
            # at least up to the resident to select again
            page = self.model.page_size
            count = max(page, self.model.loaded() if self.model.is_listing() else 0)
            keep = self._keep_id()

            def listing() -> tuple[tuple[str, ...], list[ResidentInfo]]:
                ids = residents.site_roster()
                through = ids.index(keep) + 1 if keep in ids else 0
                return ids, residents.many(ids[:max(count, -(-through // page) * page)])

            Op(self, listing).success(lambda got: self._found(generation, got[1], open_single, got[0])).run()
            return
        Op(self, lambda: residents.search(text, SEARCH_LIMIT)).success(
            lambda found: self._found(generation, found, open_single)).run()

    def _load_page(self, ids: list[str], done) -> None:  # noqa: ANN001 - Callable[[list[ResidentInfo]], None]
        many = self.ctx.sv.residents.many
        Op(self, lambda: many(ids)).success(done).run()

    def _found(self, generation: int, found: list[ResidentInfo], open_single: bool,
               roster: tuple[str, ...] | None = None) -> None:
        if generation != self._generation:
            return
        keep = self._keep_id()
        self._select_id = None
        if roster is None:
            self.model.set_residents(found)
            self._show_count(len(found))
        else:
            self.model.set_roster(roster, found)
            self._show_count(None)
        row = self.model.row_of(keep) if keep else -1
        if found:
            self.select_row(max(row, 0))
        else:
            self.card.show_resident(None)
        if open_single and len(found) == 1:
            self.table.setFocus()

    def _keep_id(self) -> str | None:
        """The resident to select after the list changes: the one just saved, else the one shown."""
        return self._select_id or (self.card.resident.id if self.card.resident else None)

    def _show_count(self, count: int | None) -> None:
        """``None``: the site's list (its total and how to search); else the number of matches."""
        if count is None:
            total = self.model.total()
            self.count_label.setText(f"共 {total} 人 · 按户排列，输入即查找" if total else "还没有居民档案，Ctrl+N 新建")
        elif count == 0:
            self.count_label.setText("没有找到，Ctrl+N 新建")
        else:
            more = f"（只显示前 {SEARCH_LIMIT} 人，请输入更多字）" if count >= SEARCH_LIMIT else ""
            self.count_label.setText(f"找到 {count} 人{more}")

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def _current_changed(self, current, _previous) -> None:  # noqa: ANN001
        self.card.show_resident(self.model.resident(current.row()))

    # -- dialogs --------------------------------------------------------------------------------
    def current(self) -> ResidentInfo | None:
        return self.model.resident(self.table.currentIndex().row())

    def new_resident(self, id_number: str = "") -> ResidentDialog:
        typed = self.search.text().translate(FULL_WIDTH).strip()
        if not id_number and is_ascii_digits(typed[:-1]) and len(typed) in (15, 18):
            id_number = typed
        return self._open(ResidentDialog(self.ctx.sv, self, None, id_number))

    def edit_current(self) -> ResidentDialog | None:
        resident = self.current()
        return self._open(ResidentDialog(self.ctx.sv, self, resident)) if resident else None

    def _open(self, dialog: ResidentDialog) -> ResidentDialog:
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._saved)
        dialog.open()
        return dialog

    def _saved(self, resident: ResidentInfo) -> None:
        self._select_id = resident.id
        if self.model.row_of(resident.id) < 0:  # a new resident: shown by its ID number
            self.search.setText(resident.id_number)
        self.search_now()
        self.table.setFocus()

    # -- navigation -----------------------------------------------------------------------------
    def open_target(self, target: str | None) -> None:
        if target == "new":
            self.new_resident()
        elif target:
            self.search.setText(target)
            self.search_now()

    def focus_first(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
