"""库存台账: a drug picker on the left, its stock card on the right (paged), filters, export, 冲正."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDateEdit,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.enums import MOVEMENT_LABELS, MovementKind
from app.paths import resource
from app.services.stock.queries import OnHandRow
from ui import errors
from ui.dialogs.stock_confirm import ConfirmDialog
from ui.models.stock import count, qty
from ui.models.stock_card import PAGE_SIZE, StockCardModel, doc_text
from ui.pages.stock.tabs import StockTab
from ui.widgets.layout import ask_save_path, button, combo, hint, row, setup_table, shortcut
from ui.widgets.search_box import DrugSearchBox
from ui.widgets.tables import fit_columns
from ui.workers import Op

NO_LIMIT = QDate(2000, 1, 1)
STOCK_ROLE = Qt.ItemDataRole.UserRole + 1
DATE_STYLE = (
    "QDateEdit { padding-right: 28px; }"
    "QDateEdit::drop-down { subcontrol-origin: padding; subcontrol-position: center right; width: 26px; border: none; }"
    "QDateEdit::down-arrow { image: url(@ICONS@/chevron-down.svg); width: 12px; height: 12px; }"
)
REVERSAL_REASONS = ("录入错误", "数量录错", "批号录错", "重复入库", "药品选错")


class _DrugDelegate(QStyledItemDelegate):
    """One line per drug: the name on the left, its stock in grey on the right."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        name, stock = opt.text, str(index.data(STOCK_ROLE) or "")
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        metrics = opt.fontMetrics
        rect = QRect(opt.rect).adjusted(10, 0, -10, 0)
        stock_width = metrics.horizontalAdvance(stock) + 12 if stock else 0
        painter.save()
        painter.setPen(QColor("#102a43"))
        name_rect = rect.adjusted(0, 0, -stock_width, 0)
        painter.drawText(name_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         metrics.elidedText(name, Qt.TextElideMode.ElideRight, name_rect.width()))
        painter.setPen(QColor("#52606d"))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), stock)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), 34))


def _date_edit(tip: str) -> QDateEdit:
    edit = QDateEdit()
    edit.setStyleSheet(DATE_STYLE.replace("@ICONS@", resource("icons").as_posix()))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumDate(NO_LIMIT)
    edit.setSpecialValueText("不限")
    edit.setDate(NO_LIMIT)
    edit.setToolTip(tip + "；退到最早即为“不限”")
    edit.setMinimumWidth(130)
    return edit


def _date_of(edit: QDateEdit) -> date | None:
    value = edit.date()
    return None if value <= NO_LIMIT else date(value.year(), value.month(), value.day())


class StockCardTab(StockTab):
    """The stock card of one drug: each movement with its running balance."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.drug_id: str | None = None
        self.units: tuple[str, str, int] = ("盒", "片", 1)
        self.picker = DrugSearchBox(self, self.sv.catalog.search, placeholder="拼音码 / 药名 / 条码（Ctrl+F）")
        self.picker.picked.connect(lambda d: self.open_drug(d.id))
        self.drugs = QListWidget()
        self.drugs.setObjectName("cardDrugs")
        self.drugs.setItemDelegate(_DrugDelegate(self.drugs))
        self.drugs.setUniformItemSizes(True)
        self.drugs.currentItemChanged.connect(self._drug_selected)
        self.drugs.itemActivated.connect(lambda _i: self.view.setFocus())
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 8, 0)
        left_layout.setSpacing(8)
        left_layout.addWidget(self.picker)
        left_layout.addWidget(hint("有库存的药品（↑↓ 选择，Enter 进入台账）"))
        left_layout.addWidget(self.drugs, 1)

        self.title = QLabel("请在左侧选择药品")
        self.title.setProperty("role", "section")
        self.balance = hint()
        self.date_from = _date_edit("开始日期")
        self.date_to = _date_edit("结束日期")
        kinds = [("全部类型", None)] + [(label, kind.value) for kind, label in MOVEMENT_LABELS.items()]
        self.kind = combo(kinds, "按出入库类型筛选")
        self.newest_first = QCheckBox("最新在前")
        self.newest_first.setChecked(True)
        self.model = StockCardModel(self)
        self.view = setup_table(QTableView())
        self.view.setModel(self.model)
        # dates and quantities whole; 原因, then 单据, then 批号 and 类型 give up width (elided) first
        fit_columns(self.view, (0, 4, 5, 6, 7, 8), (9, 2, 3, 1))
        self.status = hint()
        self.reverse_button = button("冲正 (Ctrl+R)", self.ask_reverse, tip="冲正选中的一条出入库记录（需写明原因）")
        self.pdf_button = button("导出 PDF (Ctrl+E)", lambda: self.ask_export("pdf"))
        self.xlsx_button = button("导出 Excel (Ctrl+Shift+E)", lambda: self.ask_export("xlsx"))
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        right_layout.setSpacing(10)
        right_layout.addLayout(row(self.title, self.balance, None))
        right_layout.addLayout(row(QLabel("从"), self.date_from, QLabel("至"), self.date_to, self.kind,
                                   self.newest_first, None))
        right_layout.addWidget(self.view, 1)
        right_layout.addLayout(row(self.status, None, self.reverse_button, self.pdf_button, self.xlsx_button))

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([236, 900])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.addWidget(splitter)

        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _d: self.reload())
        self.kind.currentIndexChanged.connect(lambda _i: self.reload())
        self.newest_first.toggled.connect(lambda _on: self.reload())
        self.model.rowsInserted.connect(lambda *_: self._show_status())
        shortcut(self, "Ctrl+F", self.focus_first)
        self.reverse_button.setHidden(not page.can_reverse_movement)
        if page.can_reverse_movement:
            shortcut(self, "Ctrl+R", self.ask_reverse)
        shortcut(self, "Ctrl+E", lambda: self.ask_export("pdf"))
        shortcut(self, "Ctrl+Shift+E", lambda: self.ask_export("xlsx"))
        self._total: int | None = None
        self._list_token = 0

    # -- the drug list -------------------------------------------------------------------------
    def refresh(self) -> None:
        # the list has its own token: loading a card (reload) must not throw the list's answer away
        self._list_token += 1
        token = self._list_token
        stock = self.sv.stock
        Op(self, lambda: stock.on_hand()).success(lambda rows: self._drugs_loaded(token, rows)).run()
        self.reload()

    def _drugs_loaded(self, token: int, rows: list[OnHandRow]) -> None:
        if token != self._list_token:
            return
        self.drugs.blockSignals(True)
        self.drugs.clear()
        for r in rows:
            self._add_drug(r.drug_id, f"{r.generic_name} {r.strength}".strip(),
                           qty(r.on_hand_units, r.pack_unit, r.base_unit, r.units_per_pack))
        self._select_in_list(self.drug_id)
        self.drugs.blockSignals(False)
        if self.drug_id is None and self.drugs.count():
            self.drugs.setCurrentRow(0)

    def _add_drug(self, drug_id: str, name: str, stock: str, at: int | None = None) -> QListWidgetItem:
        item = QListWidgetItem(name)
        item.setData(Qt.ItemDataRole.UserRole, drug_id)
        item.setData(STOCK_ROLE, stock)
        item.setToolTip(f"{name}：库存 {stock}" if stock else name)
        if at is None:
            self.drugs.addItem(item)
        else:
            self.drugs.insertItem(at, item)
        return item

    def _select_in_list(self, drug_id: str | None) -> bool:
        for i in range(self.drugs.count()):
            if self.drugs.item(i).data(Qt.ItemDataRole.UserRole) == drug_id:
                self.drugs.setCurrentRow(i)
                return True
        return False

    def _drug_selected(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is not None:
            drug_id = item.data(Qt.ItemDataRole.UserRole)
            if drug_id != self.drug_id:
                self.drug_id = drug_id
                self.reload()

    def open_drug(self, drug_id: str) -> None:
        """Show ``drug_id``'s card (the drug is added to the list if it has no stock)."""
        self.drug_id = drug_id
        self.drugs.blockSignals(True)
        if not self._select_in_list(drug_id):
            item = self._add_drug(drug_id, "（无库存）", "", at=0)
            self.drugs.setCurrentItem(item)
        self.drugs.blockSignals(False)
        self.reload()
        self.view.setFocus()

    def focus_first(self) -> None:
        self.picker.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.picker.selectAll()

    # -- the card -------------------------------------------------------------------------------
    def filters(self) -> dict[str, Any]:
        kind = self.kind.currentData()
        return {"date_from": _date_of(self.date_from), "date_to": _date_of(self.date_to),
                "kinds": [kind] if kind else None}

    def reload(self) -> None:
        """Fetch the first page of the card (through ``Op``); later pages come by scrolling."""
        self._total = None
        if not self.drug_id:
            self.model.clear()
            self._show_status()
            return
        token, stock, drug_id, store = self._next_token(), self.sv.stock, self.drug_id, self.page.store_id
        f, newest = self.filters(), self.newest_first.isChecked()

        def page_fn(after: int | None, limit: int) -> Any:
            return stock.stock_card_page(store, drug_id, after, limit, f["date_from"], f["date_to"], f["kinds"],
                                         newest_first=newest)

        catalog = self.sv.catalog

        def first() -> tuple:
            drug = catalog.get(drug_id)
            latest = stock.stock_card_page(store, drug_id, None, 1, newest_first=True)
            return drug, page_fn(None, PAGE_SIZE), latest.rows[0].balance_units if latest.rows else 0

        Op(self, first).success(lambda result: self._card_loaded(token, page_fn, *result)).run()
        Op(self, lambda: stock.stock_card_count(store, drug_id)).success(lambda n: self._counted(token, n)).run()

    def _card_loaded(self, token: int, page_fn: Any, drug: Any, first: Any, balance: int) -> None:
        if token != self._token:
            return
        self.units = (drug.pack_unit, drug.base_unit, drug.units_per_pack)
        self.title.setText(f"{drug.generic_name} {drug.strength}".strip())
        self.balance.setText(f"当前库存 {qty(balance, *self.units)}（{count(balance)}{drug.base_unit}）· 数量单位：{drug.base_unit}")
        item = self.drugs.currentItem()
        if item is not None and item.data(Qt.ItemDataRole.UserRole) == drug.id and item.text().startswith("（无库存）"):
            item.setText(f"{drug.generic_name} {drug.strength}".strip())
            item.setData(STOCK_ROLE, qty(balance, *self.units))
        self.model.reset_with(page_fn, first, self.units)
        if self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(0, 0))
        self._show_status()

    def _counted(self, token: int, total: int) -> None:
        if token == self._token:
            self._total = total
            self._show_status()

    def _show_status(self) -> None:
        loaded = self.model.rowCount()
        filtered = any(v for v in self.filters().values())
        if not self.drug_id:
            text = ""
        elif self._total is not None and not filtered:
            more = "，向下滚动加载更多" if not self.model.exhausted() else ""
            text = f"台账共 {count(self._total)} 条，已显示 {count(loaded)} 条{more}"
        else:
            more = "（向下滚动加载更多）" if not self.model.exhausted() else ""
            text = f"已显示 {count(loaded)} 条{more}"
        self.status.setText(text)

    # -- actions ----------------------------------------------------------------------------------
    def ask_reverse(self) -> None:
        index = self.view.currentIndex()
        if not index.isValid():
            errors.show_info(self, "请先在台账中选中要冲正的记录。")
            return
        m = self.model.movement(index.row())
        if m.kind == MovementKind.REVERSAL:
            errors.show_error(self, "这是一条冲正记录，不能再冲正；如需更正请做盘点调整。")
            return
        if self.model.is_reversed(m):
            errors.show_error(self, "该记录已经冲正过，不能重复冲正。")
            return
        stock = self.sv.stock
        change = qty(-m.quantity, *self.units)
        details = [("日期", m.occurred_at.strftime("%Y-%m-%d %H:%M")), ("类型", m.kind_label), ("单据", doc_text(m)),
                   ("批号", f"{m.batch_no}（效期 {m.expiry.isoformat()}）"),
                   ("原数量", qty(m.quantity, *self.units)), ("冲正后库存变化", change)]
        self.reverse_dialog = ConfirmDialog(
            self, "冲正", "冲正会新增一条方向相反的台账记录，原记录保留。确认冲正这条记录吗？",
            lambda reason: lambda: stock.reverse_movement(m.movement_id, reason),
            on_done=lambda _id: self.reload(), details=details, reason_label="冲正原因",
            reason_choices=REVERSAL_REASONS, confirm_text="确认冲正", danger=True,
        )
        self.reverse_dialog.open()

    def ask_export(self, kind: str) -> None:
        if not self.drug_id:
            errors.show_info(self, "请先选择药品。")
            return
        path = ask_save_path(self, "导出库存台账", kind, f"库存台账-{self.title.text()}")
        if path is not None:
            self.export_to(path)

    def export_to(self, path: Path) -> None:
        """Write the card with the current filters to ``path`` (.pdf or .xlsx), streamed page by page."""
        stock, drug_id, store, f = self.sv.stock, self.drug_id, self.page.store_id, self.filters()
        if not drug_id:
            return
        Op(self, lambda: stock.export_stock_card(drug_id, path, store_id=store, **f)).busy("正在导出台账…").success(
            lambda n: errors.show_info(self, f"已导出 {n} 条记录到：\n{path}", "导出完成")).run()
