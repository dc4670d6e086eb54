"""调拨与报量 dialogs, each a table of lines typed from the keyboard and one service call (Ctrl+Enter):

- ``RequisitionDialog`` (村, 报量): suggested quantities for N months, quantities editable, drugs added by
  pinyin search;
- ``CountDialog`` (村, 调拨入库): the counted quantity of each line (scanned trace codes count packs), a
  reason for any line counted short;
- ``ReviewDialog`` (乡镇, 报量审核): the approved quantity of each line → a draft 调拨单;
- ``DraftShipmentDialog`` (乡镇, 新调拨单 / 调剂): a village, drugs and quantities;
- ``ShipDialog`` (乡镇, 出库): the FEFO pick list, optional trace-code scanning per drug;
- ``PurchaseReturnDialog`` (乡镇, 采购退货): quantities to return per line of a receipt, a reason.

A refusal of the service is shown in red in the dialog, which stays open with what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import CunyiError, ValidationError
from ui.pages.transfers.base import LinesTable, ScanBox, fit, list_table
from ui.pages.transfers.models import (
    ApproveModel,
    CountModel,
    DraftLinesModel,
    EditLine,
    EditLinesModel,
    PickModel,
    SuggestModel,
    drug_text,
    line_qty,
    lot_cell,
    pack_text,
    picked_drug,
    when,
)
from ui.widgets.forms import ErrorLabel
from ui.widgets.layout import hint, row, shortcut
from ui.widgets.search_box import DrugSearchBox
from ui.workers import Op


class LinesDialog(QDialog):
    """The frame of every dialog here: a heading, the body, a note, a red error line and the buttons;
    Ctrl+Enter runs ``submit``, Esc cancels. ``done_with(result)`` fires after the service said yes."""

    done_with = Signal(object)

    def __init__(self, parent: QWidget | None, title: str, ok_text: str, *, width: int = 960,
                 height: int = 600) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(width, height)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(20, 16, 20, 14)
        self.layout_.setSpacing(10)
        self.heading = QLabel()
        self.heading.setProperty("role", "section")
        self.heading.setWordWrap(True)
        self.layout_.addWidget(self.heading)
        self.note = QLineEdit()
        self.note.setPlaceholderText("备注（可不填）")
        self.summary = hint()
        self.summary.setWordWrap(True)
        self.error = ErrorLabel()
        self.buttons = QDialogButtonBox()
        self.ok_button: QPushButton = self.buttons.addButton(f"{ok_text} (Ctrl+Enter)",
                                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setProperty("kind", "primary")
        self.ok_button.setAutoDefault(False)
        cancel = self.buttons.addButton("取消 (Esc)", QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setAutoDefault(False)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut(self, keys, self.submit)
        self.result_value: Any = None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.ok_button.setDefault(False)  # the button box made it default: Enter is the table's, Ctrl+Enter confirms

    def lines_changed(self, model: EditLinesModel) -> None:
        """A typed cell changed: the red line goes once no line is wrong any more."""
        if model.first_error() is None:
            self.error.clear_error()

    def finish_layout(self, note: bool = True) -> None:
        if note:
            self.layout_.addWidget(self.note)
        self.layout_.addWidget(self.summary)
        self.layout_.addWidget(self.error)
        self.layout_.addWidget(self.buttons)

    def submit(self) -> None:
        raise NotImplementedError

    def run(self, fn: Callable[[], Any], busy: str = "") -> None:
        if not self.ok_button.isEnabled():
            return
        self.error.clear_error()
        self.ok_button.setEnabled(False)
        Op(self, fn).success(self._done).failure(self.failed).busy(busy or None).changes("transfers", "stock").run()

    def _done(self, result: Any) -> None:
        self.result_value = result
        self.accept()
        self.done_with.emit(result)

    def failed(self, error: CunyiError | str) -> None:
        self.ok_button.setEnabled(True)
        self.error.show_error(str(error))

    def refuse_lines(self, model: EditLinesModel, table: LinesTable) -> bool:
        """Show the first red line's problem and put the cursor on it; True when there was one."""
        found = model.first_error()
        if found is None:
            return False
        line, message = found
        self.error.show_error(message)
        table.start(line, model.error_column(model.lines()[line]))
        return True


def _fit(view: QTableView, numbers: tuple[int, ...], elide: tuple[int, ...] = (0,)) -> None:
    edit = getattr(view, "edit_column", None)
    fit(view, numbers, elide, wide={edit: 110} if edit is not None else None)


# -- 报量 ---------------------------------------------------------------------------------------
class RequisitionDialog(LinesDialog):
    """报量 (Ctrl+N): the suggestion for ``目标月数`` months, quantities editable ('3' packs or '14片')."""

    def __init__(self, sv: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent, "报量", "提交报量", width=980, height=620)
        self.sv = sv
        self.heading.setText("向乡镇卫生院报量：建议量 = 月均用量 × 目标月数 − 库存 − 在途，按整包装取整")
        self.months = QSpinBox()
        self.months.setObjectName("targetMonths")
        self.months.setRange(1, 6)
        self.months.setValue(1)
        self.months.setSuffix(" 个月")
        self.months.valueChanged.connect(lambda _v: self.load())
        self.drug_box = DrugSearchBox(self, sv.catalog.search, clear_on_pick=True,
                                      placeholder="添加药品：拼音码 / 药名 / 条码")
        self.drug_box.picked.connect(self.add_drug)
        self.layout_.addLayout(row(QLabel("目标月数(&M)"), self.months, self.drug_box, spacing=8))
        self.model = SuggestModel(self)
        self.model.changed_cb = self._changed
        self.table = LinesTable(self.model, "suggestTable", 5)
        _fit(self.table, (1, 2, 3, 4, 5))
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(hint("报量一栏直接输入：3 表示 3 盒（包装），14片 表示 14 片；回车到下一行；0 表示不报"))
        self.finish_layout()
        self.loaded = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.loaded:
            self.loaded = True
            self.load()

    def load(self) -> None:
        months, transfers = self.months.value(), self.sv.transfers
        Op(self, lambda: transfers.suggest_requisition(months)).success(self._suggested).failure(self.failed).run()

    def _suggested(self, lines: list[Any]) -> None:
        typed = {r.source.drug_id: r.texts for r in self.model.lines() if r.texts.get("edited")}
        rows = []
        for s in lines:
            texts = typed.pop(s.drug_id, None) or {"qty": pack_text(s, s.suggested_units)}
            rows.append(EditLine(s, dict(texts)))
        extra = [r for r in self.model.lines() if r.source.drug_id in typed]
        self.model.set_lines(rows + extra)
        self._changed()
        self.table.start(next((i for i, r in enumerate(rows) if r.source.suggested_units), 0))

    def add_drug(self, drug: Any) -> None:
        found = self.model.find(lambda r: r.source.drug_id == drug.id)
        if found < 0:
            lines = self.model.lines() + [EditLine(picked_drug(drug), {"qty": "1", "edited": "1"})]
            self.model.set_lines(lines)
            found = len(lines) - 1
            self._changed()
        self.table.start(found)

    def _changed(self) -> None:
        self.lines_changed(self.model)
        for line in self.model.lines():
            if line.texts.get("qty") != pack_text(line.source, line.source.suggested_units):
                line.texts["edited"] = "1"
        try:
            count = len(self.model.wanted())
        except ValidationError:
            count = 0
        self.summary.setText(f"共 {self.model.rowCount()} 个品种，本次报 {count} 个品种")

    def submit(self) -> None:
        if self.refuse_lines(self.model, self.table):
            return
        lines = self.model.wanted()
        if not lines:
            self.error.show_error("报量：没有数量大于 0 的药品，请在“报量”一栏填写数量")
            self.table.start()
            return
        months, note, transfers = self.months.value(), self.note.text().strip(), self.sv.transfers
        self.run(lambda: transfers.create_requisition(lines, target_months=months, note=note), "正在提交报量…")


# -- 调拨入库 清点 ------------------------------------------------------------------------------
class CountDialog(LinesDialog):
    """调拨入库: count each line (default: as shipped); scan trace codes; a reason for every shortfall."""

    def __init__(self, sv: Any, detail: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent, "调拨入库", "确认入库", width=1080, height=620)
        self.sv = sv
        self.detail = detail
        info = detail.info
        self.heading.setText(f"调拨单 {info.shipment_no} · {when(info.shipped_at)} 出库 · {len(detail.lines)} 行 · "
                             "逐行清点实收数量")
        self.scan = ScanBox()
        self.scan.setMinimumWidth(380)
        self.scan.scanned.connect(self.scanned)
        self.scan_said = hint()
        self.layout_.addLayout(row(QLabel("扫码(&S)"), self.scan, self.scan_said, spacing=8))
        self.model = CountModel(self)
        self.model.changed_cb = self._changed
        self.model.set_lines([EditLine(line, {"counted": pack_text(line, line.quantity), "reason": ""})
                              for line in detail.lines])
        self.table = LinesTable(self.model, "countTable", 4)
        _fit(self.table, (2, 3, 4, 5, 7), (6, 0, 1))
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(hint("实收默认为发出数量；少收时改实收（3 = 3 盒，14片 = 14 片）并在“短少原因”写明，"
                                    "如 破损、缺件。扫描追溯码时按扫到的盒数计实收。"))
        self.finish_layout()
        self._changed()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.table.start()

    def scanned(self, code: str) -> None:
        found, why = self.model.add_code(code)
        if found < 0:
            self.scan_said.setText(why)
            self.scan_said.setStyleSheet("color: #b42318;")
            return
        line = self.model.lines()[found]
        self.scan_said.setStyleSheet("")
        self.scan_said.setText(f"{drug_text(line.source)}：已扫 {len(line.codes)}/{len(line.source.trace_codes)}")
        self.table.setCurrentIndex(self.model.index(found, 4))

    def _changed(self) -> None:
        self.lines_changed(self.model)
        short, _bad = self.model.totals()
        lost = [f"{drug_text(r.source)} {line_qty(r.source, self.model.shortfall(r))}" for r in self.model.lines()
                if self.model.shortfall(r)]
        self.summary.setText(f"共 {self.model.rowCount()} 行" + (f" · 短少 {short} 行：" + "；".join(lost) if short else
                                                                  " · 全部按发出数量实收"))

    def submit(self) -> None:
        if self.refuse_lines(self.model, self.table):
            return
        counted = {r.source.id: r.texts.get("counted", "") for r in self.model.lines()}
        reasons = {r.source.id: r.texts["reason"] for r in self.model.lines()
                   if self.model.shortfall(r) and r.texts.get("reason")}
        codes = {r.source.id: list(r.codes) for r in self.model.lines() if r.codes}
        note, transfers, shipment_id = self.note.text().strip(), self.sv.transfers, self.detail.info.id
        self.run(lambda: transfers.receive_shipment(shipment_id, counted, reasons=reasons, trace_codes=codes, note=note),
                 "正在入库…")


# -- 报量审核 -----------------------------------------------------------------------------------
class ReviewDialog(LinesDialog):
    """审核报量: the approved quantity of each line (default: as requested) → 生成调拨单."""

    def __init__(self, sv: Any, detail: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent, "审核报量", "生成调拨单", width=1120, height=620)
        self.sv = sv
        self.detail = detail
        info = detail.info
        self.heading.setText(f"{info.site_name} · 报量单 {info.requisition_no} · {when(info.requested_at)} · "
                             f"目标 {info.target_months} 个月 · {len(detail.lines)} 个品种")
        self.model = ApproveModel(self)
        self.model.changed_cb = self._changed
        self.model.set_lines([EditLine(line, {"qty": pack_text(line, line.requested_units)}) for line in detail.lines])
        self.table = LinesTable(self.model, "approveTable", 7)
        _fit(self.table, (1, 2, 3, 4, 5, 6, 7))
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(hint("核准一栏逐行填写（3 = 3 盒，14片 = 14 片，0 = 不配送）；回车到下一行。"
                                    "乡镇库存不足的品种标红，核准数多于库存的标橙"))
        self.finish_layout()
        self._changed()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.table.start()

    def _changed(self) -> None:
        self.lines_changed(self.model)
        over = sum(1 for r in self.model.lines() if self.model.over_stock(r))
        zero = 0
        for r in self.model.lines():
            try:
                zero += self.model.units(r) == 0
            except ValidationError:
                pass
        text = f"共 {self.model.rowCount()} 个品种"
        if zero:
            text += f" · {zero} 个核准为 0"
        if over:
            text += f" · {over} 个核准数多于乡镇现有库存（出库前需先采购入库）"
        self.summary.setText(text)

    def submit(self) -> None:
        if self.refuse_lines(self.model, self.table):
            return
        approved, note = self.model.approved(), self.note.text().strip()
        transfers, requisition_id = self.sv.transfers, self.detail.info.id
        self.run(lambda: transfers.review_requisition(requisition_id, approved, note=note), "正在生成调拨单…")


# -- 新调拨单 / 调剂 ------------------------------------------------------------------------------
class DraftShipmentDialog(LinesDialog):
    """A 调拨单 without a 报量: to a village, drugs by pinyin search, quantities; kind 临时调拨 or 调剂."""

    def __init__(self, sv: Any, villages: list[tuple[str, str]], parent: QWidget | None = None, *,
                 kind: str = "ad_hoc") -> None:
        super().__init__(parent, "新建调拨单", "生成调拨单", width=860, height=560)
        self.sv = sv
        self.heading.setText("临时调拨或近效期调剂：选村卫生室，添加药品和数量，生成待出库的调拨单")
        self.village = QComboBox()
        self.village.setObjectName("toVillage")
        for name, site_id in villages:
            self.village.addItem(name, site_id)
        self.kind = QComboBox()
        self.kind.addItem("临时调拨", "ad_hoc")
        self.kind.addItem("调剂（近效期）", "redistribution")
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.drug_box = DrugSearchBox(self, sv.catalog.search, clear_on_pick=True,
                                      placeholder="添加药品：拼音码 / 药名 / 条码，回车")
        self.drug_box.picked.connect(self.add_drug)
        self.layout_.addLayout(row(QLabel("村卫生室(&V)"), self.village, QLabel("类型"), self.kind, None, spacing=8))
        self.layout_.addWidget(self.drug_box)
        self.model = DraftLinesModel(self)
        self.model.changed_cb = self._changed
        self.table = LinesTable(self.model, "draftTable", 2)
        self.table.on_last_enter = lambda: self.drug_box.setFocus(Qt.FocusReason.OtherFocusReason)
        _fit(self.table, (1, 2))
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(hint("数量：3 = 3 盒，14片 = 14 片；回车回到药品框继续添加；Del 删除选中的行"))
        shortcut(self.table, "Delete", self.remove_line)
        self.finish_layout()
        self._changed()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        (self.drug_box if self.village.count() else self.village).setFocus(Qt.FocusReason.OtherFocusReason)

    def add_drug(self, drug: Any) -> None:
        found = self.model.add(picked_drug(drug))
        self.table.start(found)
        self.table.edit(self.table.currentIndex())

    def remove_line(self) -> None:
        self.model.remove(self.table.currentIndex().row())
        self._changed()

    def _changed(self) -> None:
        self.lines_changed(self.model)
        self.summary.setText(f"共 {self.model.rowCount()} 个品种")

    def submit(self) -> None:
        if self.village.currentData() is None:
            self.error.show_error("村卫生室：还没有村卫生室加入本乡镇")
            return
        if self.refuse_lines(self.model, self.table):
            return
        lines = self.model.wanted()
        if not lines:
            self.error.show_error("药品：请先添加药品（输入拼音码后回车）")
            self.drug_box.setFocus()
            return
        to, kind, note, transfers = self.village.currentData(), self.kind.currentData(), self.note.text().strip(), \
            self.sv.transfers
        self.run(lambda: transfers.draft_shipment(to, lines, note=note, kind=kind), "正在生成调拨单…")


# -- 出库 -----------------------------------------------------------------------------------------
class ShipDialog(LinesDialog):
    """出库: the FEFO pick list of a draft; codes scanned go to the selected line's drug; Ctrl+Enter ships."""

    print_asked = Signal()

    def __init__(self, sv: Any, info: Any, picks: list[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent, "调拨出库", "确认出库", width=980, height=580)
        self.sv = sv
        self.info = info
        self.heading.setText(f"调拨给 {info.to_site_name} · {len(picks)} 个批次 · 按配货单（先到期先出）拣货后确认出库")
        self.scan = ScanBox("可选：选中一行后扫描这一药品的追溯码")
        self.scan.setMinimumWidth(380)
        self.scan.scanned.connect(self.scanned)
        self.scan_said = hint()
        print_button = QPushButton("打印配货单 (Ctrl+P)")
        print_button.setAutoDefault(False)
        print_button.clicked.connect(lambda _=False: self.print_asked.emit())
        shortcut(self, "Ctrl+P", self.print_asked.emit)
        scan_row = row(QLabel("扫码(&S)"), self.scan, self.scan_said, print_button, spacing=8)
        scan_row.setStretch(2, 1)
        self.layout_.addLayout(scan_row)
        self.model = PickModel(self)
        self.model.set_rows(picks)
        self.table = list_table(self.model, "shipPickTable")
        _fit(self.table, (0, 2, 3, 4, 5), (1,))
        if picks:
            self.table.setCurrentIndex(self.model.index(0, 0))
        self.layout_.addWidget(self.table, 1)
        self.finish_layout(note=False)
        short = self.model.short()
        if short:
            self.summary.setStyleSheet("color: #b42318;")
            self.summary.setText("乡镇库存（未过期）不足：" + "；".join(
                f"{drug_text(p)} 差 {line_qty(p, p.quantity)}" for p in short) + "。请先采购入库，或作废后重新开单")
        else:
            self.summary.setText("出库后数量从乡镇库存减去，调拨单变为“在途”，等村卫生室清点入库")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.scan.setFocus(Qt.FocusReason.OtherFocusReason)

    def scanned(self, code: str) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            self.scan_said.setText("请先在配货单中选中一行")
            return
        pick = self.model.row(index.row())
        codes = self.model.scanned.setdefault(pick.drug_id, [])
        if any(code in c for c in self.model.scanned.values()):
            self.scan_said.setText(f"追溯码 {code} 已经扫过")
            return
        codes.append(code)
        self.model.refresh_scanned()
        self.scan_said.setText(f"{drug_text(pick)}：已扫 {len(codes)} 个")

    def submit(self) -> None:
        codes = {k: list(v) for k, v in self.model.scanned.items() if v}
        transfers, shipment_id = self.sv.transfers, self.info.id
        self.run(lambda: transfers.ship(shipment_id, trace_codes=codes or None), "正在出库…")


# -- 采购退货 -------------------------------------------------------------------------------------
class ReturnLinesModel(EditLinesModel):
    """采购退货: 药品, 批号, 效期, 入库数量, 退货数量 (editable)."""

    COLUMNS = ("药品", "批号", "效期", "入库数量", "已退", "退货数量")
    NUMERIC = frozenset({3, 4, 5})
    EDITABLE: ClassVar[dict[int, str]] = {5: "qty"}

    def shown(self, line: EditLine, column: int) -> str:
        s = line.source
        if column < 3:
            return lot_cell(s, column)
        if column == 4:
            return line_qty(s, s.returned_units) if s.returned_units else ""
        return line_qty(s, s.quantity)

    def check(self, line: EditLine) -> str:
        s = line.source
        try:
            units = self.units(line)
        except ValidationError as exc:
            return f"{drug_text(s)}：{exc}"
        if units > s.quantity - s.returned_units:
            return f"{drug_text(s)}：最多还能退 {line_qty(s, s.quantity - s.returned_units)}"
        return ""


class PurchaseReturnDialog(LinesDialog):
    """采购退货 from one receipt: quantities per line and a reason."""

    def __init__(self, sv: Any, detail: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent, "采购退货", "确认退货", width=900, height=520)
        self.sv = sv
        self.detail = detail
        info = detail.info
        self.heading.setText(f"退给 {getattr(info, 'distributor_name', '')} · 采购单 {getattr(info, 'receipt_no', '')} · "
                             f"随货单号 {getattr(info, 'delivery_note_no', '')}")
        self.model = ReturnLinesModel(self)
        self.model.set_lines([EditLine(line, {"qty": "0"}) for line in detail.lines])
        self.table = LinesTable(self.model, "returnTable", 5)
        _fit(self.table, (1, 2, 3, 4, 5))
        self.layout_.addWidget(self.table, 1)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("必填：如 包装破损、配送错误")
        self.layout_.addLayout(row(QLabel("退货原因(&R)"), self.reason, spacing=8))
        self.finish_layout(note=False)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.table.start()

    def submit(self) -> None:
        if self.refuse_lines(self.model, self.table):
            return
        lines = []
        for r in self.model.lines():
            units = self.model.units(r)
            if units:
                lines.append((r.source.id, units))
        if not lines:
            self.error.show_error("退货数量：请至少填写一行大于 0 的退货数量")
            self.table.start()
            return
        reason = self.reason.text().strip()
        if not reason:
            self.error.show_error("退货原因不能为空，请写明原因")
            self.reason.setFocus()
            return
        transfers, receipt_id = self.sv.transfers, self.detail.info.id
        self.run(lambda: transfers.return_purchase(receipt_id, lines, reason), "正在退货…")
