"""药品目录: the catalog list; admins and township pharmacists add, edit and import (CSV/XLSX)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QCheckBox, QFileDialog, QTableView, QVBoxLayout

from app.domain.errors import CunyiError
from app.domain.permissions import allowed
from app.services.catalog.service import DrugInfo, ImportRejected, ImportResult
from ui import errors
from ui.dialogs.stock_drug import DrugDialog, ImportProblemsDialog
from ui.models.sorting import pinyin_key
from ui.models.stock_catalog import CatalogModel
from ui.pages.stock.tabs import StockListTab
from ui.widgets.layout import button, hint, row, setup_table, shortcut, size_columns
from ui.workers import Op

#: why the catalog's write buttons are off at a village enrolled under a township
TOWNSHIP_KEEPS = "药品目录由乡镇统一维护"
IMPORT_COLUMNS = "通用名、规格、包装单位、最小单位、转换比、生产企业、医保药品编码、医保类别、集采药品、进价(元) 等"


class CatalogTab(StockListTab):
    """Search the catalog; 新增 (Ctrl+N), 编辑 (Enter), 导入 (Ctrl+I) for those who maintain it."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.search = self._search_box("拼音码 / 药名 / 条码 / 医保编码（Ctrl+F）", 280)
        self.inactive = QCheckBox("含停用")
        self.model = CatalogModel(self)
        self.view = setup_table(QTableView())
        self.view.setModel(self.model)
        size_columns(self.view, (186, 90, 80, 204, 46, 100, 54, 68, 86, 52))
        self.add_button = button("新增药品 (Ctrl+N)", self.ask_add, primary=True)
        self.edit_button = button("编辑 (Enter)", self.ask_edit)
        self.import_button = button("导入 CSV/Excel (Ctrl+I)", self.ask_import)
        self.summary = hint()
        self.note = hint("")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.setSpacing(10)
        layout.addLayout(row(self.search, self.inactive, None, self.add_button, self.edit_button, self.import_button))
        layout.addWidget(self.view, 1)
        layout.addLayout(row(self.summary, None, self.note))
        self._apply_rights()
        self._search_as_typed()
        self.inactive.toggled.connect(lambda _on: self.refresh())
        self.view.activated.connect(lambda _i: self.ask_edit())
        shortcut(self, "Ctrl+F", self.focus_first)
        shortcut(self, "Ctrl+N", self.ask_add)  # both do nothing for whom the catalog is read only
        shortcut(self, "Ctrl+I", self.ask_import)

    def _apply_rights(self) -> None:
        """Who may write the catalog here; read again at every refresh, so joining a township (设置 →
        加入乡镇同步服务) turns the write buttons off without a restart."""
        self.editable = self.page.can_edit_catalog
        # a maintainer at a village enrolled under a township sees why the catalog is read only here
        ctx = self.page.ctx
        self.held_by_township = (not self.editable and ctx.site.enrolled
                                 and allowed("catalog.update", ctx.role, ctx.site_kind))
        for b in (self.add_button, self.edit_button, self.import_button):
            b.setHidden(not (self.editable or self.held_by_township))
            b.setEnabled(self.editable)
            b.setToolTip(TOWNSHIP_KEEPS if self.held_by_township else "")
        if self.editable:
            self.import_button.setToolTip(f"表头第一行为列名：{IMPORT_COLUMNS}；整个文件检查无误后才导入")
        self.note.setText("Enter 编辑选中药品 · 导入时逐行检查，有错则一行也不导入" if self.editable
                          else TOWNSHIP_KEEPS + "并同步下发；如需修改请联系乡镇药管员 · Enter 查看库存台账")

    def refresh(self) -> None:
        self._debounce.stop()
        self._apply_rights()
        token, catalog = self._next_token(), self.sv.catalog
        text, inactive = self.search.text().strip(), self.inactive.isChecked()
        Op(self, lambda: catalog.search(text, limit=5000, include_inactive=inactive)).success(
            lambda rows: self._loaded(token, rows)).run()

    def _loaded(self, token: int, rows: list[DrugInfo]) -> None:
        if token != self._token:
            return
        if not self.search.text().strip():
            # grouped by 分类, each in pinyin order (the categories too: 心血管 after 抗感染, not by code)
            rows = sorted(rows, key=lambda d: (pinyin_key(d.category), d.pinyin_sort, d.generic_name, d.id))
        self._show_rows(rows, lambda d: d.id)
        missing = sum(1 for d in rows if not d.national_code)
        vbp = sum(1 for d in rows if d.is_vbp)
        text = f"共 {len(rows)} 种 · 集采 {vbp} 种"
        self.summary.setText(text + (f" · {missing} 种未填医保编码" if missing else ""))

    # -- editing ----------------------------------------------------------------------------------
    def ask_add(self) -> None:
        if self.editable:
            self.dialog = DrugDialog(self, self.sv, None, on_saved=self._saved)
            self.dialog.open()

    def ask_edit(self) -> None:
        drug = self.current()
        if drug is None:
            return
        if not self.editable:
            self.page.show_card(drug.id)
            return
        self.dialog = DrugDialog(self, self.sv, drug, on_saved=self._saved)
        self.dialog.open()

    def _saved(self, drug: DrugInfo) -> None:
        self.refresh()
        if drug.warnings:
            errors.show_info(self, "已保存。请注意：\n" + "\n".join(drug.warnings), "已保存")

    # -- import -----------------------------------------------------------------------------------
    def ask_import(self) -> None:
        if not self.editable:
            return
        settings = QSettings()
        folder = str(settings.value("stock/import_folder", str(Path.home())))
        chosen, _ = QFileDialog.getOpenFileName(self, "导入药品目录", folder, "药品目录 (*.csv *.xlsx)")
        if chosen:
            settings.setValue("stock/import_folder", str(Path(chosen).parent))
            self.import_path(Path(chosen))

    def import_path(self, path: Path) -> None:
        """Import a CSV/XLSX file; bad rows are listed in a dialog and nothing is imported."""
        catalog = self.sv.catalog
        op = Op(self, lambda: catalog.import_file(path, progress=op.report))
        op.busy("正在检查并导入…").success(self._imported).failure(
            lambda exc: self._import_failed(path, exc)).changes("catalog").run()

    def _imported(self, result: ImportResult) -> None:
        text = f"导入完成：新增 {result.created} 种，更新 {result.updated} 种。"
        if result.warnings:
            shown = "\n".join(result.warnings[:10])
            more = f"\n……另有 {len(result.warnings) - 10} 条" if len(result.warnings) > 10 else ""
            text += f"\n\n请注意（{len(result.warnings)} 条）：\n{shown}{more}"
        errors.show_info(self, text, "导入完成")
        self.refresh()

    def _import_failed(self, path: Path, error: CunyiError) -> None:
        if isinstance(error, ImportRejected):
            self.problems_dialog = ImportProblemsDialog(self, str(path), error.problems)
            self.problems_dialog.open()
        else:
            errors.show_error(self, error, "导入失败")
