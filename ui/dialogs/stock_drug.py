"""药品目录 dialogs: add/edit one drug, and the bad rows of a refused import."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import CunyiError
from app.domain.money import fen_to_yuan
from app.services.catalog.service import DrugInfo, ImportProblem
from ui.widgets.layout import EnterAdvances, setup_table, shortcut

from ..widgets.forms import ErrorLabel, focus_field
from ..workers import Op

#: service field → label (the labels the service's messages name, so errors focus the right field)
TEXT_FIELDS = {
    "generic_name": "通用名", "brand_name": "商品名", "form": "剂型", "strength": "规格", "pack_unit": "包装单位",
    "base_unit": "最小单位", "maker": "生产企业", "approval_no": "批准文号", "barcode": "条码",
    "national_code": "医保药品编码", "vbp_round": "集采批次", "category": "分类", "shelf": "货位", "pinyin_abbr": "拼音码",
}
CLASSES = (("甲类", "A"), ("乙类", "B"), ("丙类(自费)", "C"))


def _spin(maximum: int, minimum: int = 0) -> QSpinBox:
    box = QSpinBox()
    box.setRange(minimum, maximum)
    box.setMinimumWidth(120)
    return box


class DrugDialog(QDialog):
    """Every catalog field in two columns; 保存 creates or updates through ``CatalogService``."""

    def __init__(self, parent: QWidget | None, sv: Any, drug: DrugInfo | None = None, on_saved: Any = None) -> None:
        super().__init__(parent)
        self.sv, self.drug, self.on_saved = sv, drug, on_saved
        self.saved: DrugInfo | None = None
        self.setWindowTitle("编辑药品" if drug else "新增药品")
        self.setObjectName("drugDialog")
        self.setMinimumWidth(760)
        self.edits: dict[str, QLineEdit] = {key: QLineEdit() for key in TEXT_FIELDS}
        self.edits["national_code"].setPlaceholderText("西药 X 开头 23 位，中成药 Z 开头 20 位；没有可留空")
        self.edits["pinyin_abbr"].setPlaceholderText("留空则按通用名自动生成")
        self.edits["pack_unit"].setPlaceholderText("盒")
        self.edits["base_unit"].setPlaceholderText("片")
        self.units_per_pack = _spin(100000, 1)
        self.coverage = QComboBox()
        for label, key in CLASSES:
            self.coverage.addItem(label, key)
        self.class_b = QLineEdit()
        self.class_b.setPlaceholderText("如 10%（留空用政策默认）")
        self.is_vbp = QCheckBox("集采药品")
        self.is_essential = QCheckBox("基本药物")
        self.price = QLineEdit()
        self.price.setPlaceholderText("每包装，元")
        self.zero_markup = QCheckBox("零差价（零售价 = 进价）")
        self.zero_markup.setChecked(True)
        self.retail = QLineEdit()
        self.retail.setPlaceholderText("每包装，元")
        self.min_stock = _spin(10_000_000)
        self.active = QCheckBox("启用")
        self.active.setChecked(True)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        left = [("通用名(&G)", self.edits["generic_name"]), ("商品名", self.edits["brand_name"]),
                ("剂型", self.edits["form"]), ("规格", self.edits["strength"]), ("包装单位", self.edits["pack_unit"]),
                ("最小单位", self.edits["base_unit"]), ("转换比", self.units_per_pack), ("生产企业", self.edits["maker"]),
                ("批准文号", self.edits["approval_no"]), ("条码", self.edits["barcode"])]
        right = [("医保药品编码", self.edits["national_code"]), ("医保类别", self.coverage), ("乙类先行自付", self.class_b),
                 ("", self.is_vbp), ("集采批次", self.edits["vbp_round"]), ("", self.is_essential),
                 ("进价(元)", self.price), ("", self.zero_markup), ("零售价(元)", self.retail),
                 ("最低库存(最小单位)", self.min_stock), ("分类", self.edits["category"]), ("货位", self.edits["shelf"]),
                 ("拼音码", self.edits["pinyin_abbr"]), ("", self.active)]
        for col, items in ((0, left), (2, right)):
            for r, (label, widget) in enumerate(items):
                caption = QLabel(label)
                caption.setBuddy(widget)  # Alt+letter jumps to the field; the label names it for screen readers
                grid.addWidget(caption, r, col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                grid.addWidget(widget, r, col + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.error = ErrorLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("保存 (Ctrl+S)")
        self.save_button.setProperty("kind", "primary")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消 (Esc)")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        shortcut(self, "Ctrl+S", self.save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 14)
        layout.addLayout(grid)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.coverage.currentIndexChanged.connect(lambda _i: self._sync_enabled())
        self.zero_markup.toggled.connect(lambda _on: self._sync_enabled())
        self.is_vbp.toggled.connect(lambda _on: self._sync_enabled())
        self.fields: dict[str, QWidget] = {label: self.edits[key] for key, label in TEXT_FIELDS.items()}
        self.fields.update({"转换比": self.units_per_pack, "医保类别": self.coverage, "乙类先行自付比例": self.class_b,
                            "进价": self.price, "零售价": self.retail, "最低库存": self.min_stock})
        order = [w for _label, w in left + right]
        self.enter = EnterAdvances(order, self.save)
        if drug is not None:
            self._fill(drug)
        self._sync_enabled()
        self.original = self.values()
        self.edits["generic_name"].setFocus()

    def _fill(self, d: DrugInfo) -> None:
        for key in TEXT_FIELDS:
            self.edits[key].setText(str(getattr(d, key) or ""))
        if not d.pinyin_overridden:  # empty = follows the name; typing one makes it a manual override
            self.edits["pinyin_abbr"].clear()
            self.edits["pinyin_abbr"].setPlaceholderText(f"自动：{d.pinyin_abbr}")
            self.edits["pinyin_abbr"].setToolTip("留空则按通用名自动生成；填写即为手工指定")
        self.units_per_pack.setValue(d.units_per_pack)
        self.coverage.setCurrentIndex(max(0, self.coverage.findData(d.coverage_class)))
        self.class_b.setText(f"{d.class_b_self_bp / 100:g}%" if d.class_b_self_bp is not None else "")
        self.is_vbp.setChecked(d.is_vbp)
        self.is_essential.setChecked(d.is_essential)
        self.price.setText(fen_to_yuan(d.price_fen))
        self.zero_markup.setChecked(d.zero_markup)
        self.retail.setText(fen_to_yuan(d.retail_price_fen))
        self.min_stock.setValue(d.min_stock_units)
        self.active.setChecked(d.active)

    def _sync_enabled(self) -> None:
        self.class_b.setEnabled(self.coverage.currentData() == "B")
        self.retail.setEnabled(not self.zero_markup.isChecked())
        self.edits["vbp_round"].setEnabled(self.is_vbp.isChecked())

    def values(self) -> dict[str, Any]:
        """The form as ``CatalogService`` fields (prices in yuan as ``price_yuan`` / ``retail_price_yuan``)."""
        out: dict[str, Any] = {key: edit.text().strip() for key, edit in self.edits.items()}
        out.update(units_per_pack=self.units_per_pack.value(), coverage_class=self.coverage.currentData(),
                   is_vbp=self.is_vbp.isChecked(), is_essential=self.is_essential.isChecked(),
                   zero_markup=self.zero_markup.isChecked(), min_stock_units=self.min_stock.value(),
                   active=self.active.isChecked(), price_yuan=self.price.text().strip() or "0")
        out["class_b_self_bp"] = self.class_b.text().strip() if out["coverage_class"] == "B" else None
        if not out["zero_markup"]:
            out["retail_price_yuan"] = self.retail.text().strip()
        if not out["is_vbp"]:
            out["vbp_round"] = ""
        if not out["pinyin_abbr"]:
            out.pop("pinyin_abbr")
        return out

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        values = self.values()
        catalog = self.sv.catalog
        if self.drug is None:
            def fn() -> DrugInfo:
                return catalog.create(**values)
        else:
            changed = {k: v for k, v in values.items() if self.original.get(k) != v}
            if "class_b_self_bp" in changed and changed["class_b_self_bp"] is None:
                changed.pop("class_b_self_bp")  # the service clears it when the class is not B
            drug_id = self.drug.id
            back_to_auto = self.drug.pinyin_overridden and "pinyin_abbr" not in values
            if not changed and not back_to_auto:
                self.reject()
                return

            def fn() -> DrugInfo:
                saved = catalog.update(drug_id, **changed) if changed else None
                if back_to_auto:  # the override was cleared: initials follow the name again
                    auto = catalog.reset_pinyin(drug_id)
                    return replace(auto, warnings=saved.warnings) if saved else auto
                assert saved is not None
                return saved
        self.save_button.setEnabled(False)
        Op(self, fn).success(self._done).failure(self._failed).busy().changes("catalog").run()

    def _done(self, drug: DrugInfo) -> None:
        self.saved = drug
        self.accept()
        if self.on_saved is not None:
            self.on_saved(drug)

    def _failed(self, error: CunyiError) -> None:
        self.save_button.setEnabled(True)
        self.error.show_error(str(error))
        focus_field(error, self.fields, self.edits["generic_name"])


class ImportProblemsDialog(QDialog):
    """Each bad row of a refused import: row number, field, what is wrong. Nothing was imported."""

    def __init__(self, parent: QWidget | None, path: str, problems: list[ImportProblem]) -> None:
        super().__init__(parent)
        self.setWindowTitle("导入失败：文件有错误")
        self.setObjectName("importProblems")
        self.resize(760, 460)
        heading = QLabel(f"共 {len(problems)} 处错误，未导入任何数据")
        heading.setProperty("role", "section")
        text = QLabel(f"文件：{path}\n请在表格软件中改正以下各行，保存后重新导入。")
        text.setWordWrap(True)
        text.setProperty("role", "hint")
        self.table = setup_table(QTableWidget(len(problems), 3))
        self.table.setWordWrap(True)
        self.table.setHorizontalHeaderLabels(["行号", "字段", "问题"])
        for r, p in enumerate(problems):
            for c, value in enumerate((str(p.row), p.field, p.message)):
                item = QTableWidgetItem(value)
                item.setToolTip(p.message)
                self.table.setItem(r, c, item)
        self.table.setColumnWidth(0, 64)
        self.table.setColumnWidth(1, 130)
        self.table.resizeRowsToContents()
        if problems:
            self.table.selectRow(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 14)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(text)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.table.setFocus()
