"""The township's dialogs of 调拨与报量, each a table of lines typed from the keyboard and one service call
(Ctrl+Enter):

- ``ReviewDialog`` (报量审核): the approved quantity of each line → a draft 调拨单;
- ``DraftShipmentDialog`` (新调拨单 / 调剂): a village, drugs and quantities;
- ``ShipDialog`` (出库): the FEFO pick list, optional trace-code scanning per drug;
- ``PurchaseReturnDialog`` (采购退货): quantities to return per line of a receipt, a reason.
"""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QWidget

from app.domain.errors import ValidationError
from ui.pages.transfers.base import LinesTable, ScanBox, list_table
from ui.pages.transfers.dialogs import LinesDialog, _fit
from ui.pages.transfers.line_models import (
    ApproveModel,
    DraftLinesModel,
    EditLine,
    EditLinesModel,
    picked_drug,
)
from ui.pages.transfers.models import (
    PickModel,
    drug_text,
    line_qty,
    lot_cell,
    pack_text,
    when,
)
from ui.widgets.layout import hint, row, shortcut
from ui.widgets.search_box import DrugSearchBox


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
