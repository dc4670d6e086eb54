"""A village clinic's dialogs of 调拨与报量, each a table of lines typed from the keyboard and one service call
(Ctrl+Enter):

- ``RequisitionDialog`` (报量): suggested quantities for N months, quantities editable, drugs added by pinyin
  search;
- ``CountDialog`` (调拨入库): the counted quantity of each line (scanned trace codes count packs), a reason for any
  line counted short.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QSpinBox, QWidget

from app.domain.errors import ValidationError
from ui.pages.transfers.base import LinesTable, ScanBox
from ui.pages.transfers.dialogs import LinesDialog, _fit
from ui.pages.transfers.line_models import (
    CountModel,
    EditLine,
    SuggestModel,
    picked_drug,
)
from ui.pages.transfers.models import drug_text, line_qty, pack_text, when
from ui.widgets.layout import hint, row
from ui.widgets.search_box import DrugSearchBox
from ui.workers import Op


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
