"""A village clinic's tabs of 调拨与报量: 报量 (its requisitions; Ctrl+N 报量, Del 撤回) and 调拨入库 (shipments on
their way here, Enter to count them in; the receipts so far with their shortfalls)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QVBoxLayout

from ui.dialogs.stock_confirm import ConfirmDialog
from ui.pages.transfers.base import (
    TransfersTab,
    current_row,
    fit,
    keep_selection,
    list_table,
    stacked,
)
from ui.pages.transfers.models import (
    RequisitionLinesModel,
    RequisitionsModel,
    ShipmentLinesModel,
    ShipmentsModel,
    drug_text,
    line_qty,
)
from ui.pages.transfers.village_dialogs import CountDialog, RequisitionDialog
from ui.widgets.layout import button, hint, row, section, shortcut
from ui.workers import Op

REQUISITION_FILTERS = (("全部报量单", None), ("待审核", "waiting"), ("已审核/已配送", "answered"), ("已撤回", "cancelled"))


class RequisitionsTab(TransfersTab):
    """报量: my requisitions and the lines of the selected one."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self._select: str | None = None
        self.new_button = button("报量 (Ctrl+N)", self.new_requisition, primary=True)
        self.cancel_button = button("撤回 (Del)", self.cancel_requisition)
        self.status = QComboBox()
        for label, value in REQUISITION_FILTERS:
            self.status.addItem(label, value)
        self.status.currentIndexChanged.connect(lambda _i: self.refresh())
        self.count = hint()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(row(self.new_button, self.cancel_button, self.status, None, self.count, spacing=8))
        self.model = RequisitionsModel(self)
        self.view = list_table(self.model, "requisitionTable")
        fit(self.view, (0, 1, 2, 3, 4), (5,))
        self.view.selectionModel().currentRowChanged.connect(lambda _c, _p: self.load_lines())
        self.lines = RequisitionLinesModel(self)
        self.lines_view = list_table(self.lines, "requisitionLines")
        fit(self.lines_view, (1, 2, 3, 4, 5), (0,))
        self.detail = hint("选中一张报量单查看明细")
        layout.addWidget(stacked(self.view, self.lines_view, (240, 280)), 1)
        layout.addWidget(self.detail)
        shortcut(self, "Ctrl+N", self.new_requisition)
        shortcut(self.view, "Delete", self.cancel_requisition)

    def refresh(self) -> None:
        transfers, status = self.sv.transfers, self.status.currentData()
        self.load_list(lambda: transfers.requisitions(status=status))

    def listed(self, rows: list[Any]) -> None:
        keep_selection(self.view, rows, lambda r: r.id, self._select)
        self._select = None
        waiting = sum(1 for r in rows if r.status == "waiting")
        self.count.setText(f"共 {len(rows)} 张" + (f" · 待审核 {waiting} 张" if waiting else "") if rows else
                           "还没有报量单：Ctrl+N 按建议量报量")
        if not rows:
            self.lines.set_rows([])
            self.detail.setText("")
        self._buttons()

    def _buttons(self) -> None:
        chosen = current_row(self.view)
        self.cancel_button.setEnabled(chosen is not None and chosen.status == "waiting")

    def detail_call(self) -> Any:
        return self.sv.transfers.requisition

    def load_lines(self) -> None:
        self._buttons()
        super().load_lines()

    def lines_shown(self, detail: Any) -> None:
        info = detail.info
        text = f"报量单 {info.requisition_no} · {len(detail.lines)} 个品种 · 目标 {info.target_months} 个月"
        if info.shipment_no:
            text += f" · 调拨单 {info.shipment_no}"
        self.detail.setText(text)

    def new_requisition(self) -> RequisitionDialog | None:
        if not self.ctx.allows("transfers.create_requisition"):
            return None
        return self.open_dialog(RequisitionDialog(self.sv, self), self._created)

    def _created(self, done: Any) -> None:
        self._select = done.requisition_id
        self.page.report(f"已提交报量单 {done.requisition_no}，等乡镇卫生院审核")
        self.status.setCurrentIndex(0)
        self.refresh()

    def cancel_requisition(self) -> None:
        chosen = current_row(self.view)
        if chosen is None or chosen.status != "waiting":
            return
        transfers = self.sv.transfers
        self.dialog = ConfirmDialog(
            self, "撤回报量单", f"撤回报量单 {chosen.requisition_no}？乡镇卫生院审核前可以撤回。",
            lambda reason: lambda: transfers.cancel_requisition(chosen.id, reason),
            on_done=lambda _r: self.page.report(f"已撤回报量单 {chosen.requisition_no}"),
            reason_label="撤回原因", reason_choices=("报错了数量", "不需要了", "重新报量"), confirm_text="撤回",
            changes=("transfers",))
        self.dialog.open()


class IncomingTab(TransfersTab):
    """调拨入库: shipments on their way here (Enter counts one in), and the receipts so far."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self._select: str | None = None
        self.receive_button = button("清点入库 (Enter)", self.open_count, primary=True)
        self.waiting = hint()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(row(section("待入库的调拨单"), self.waiting, None, self.receive_button, spacing=8))
        self.incoming = ShipmentsModel(self, with_village=False)
        self.incoming_view = list_table(self.incoming, "incomingTable")
        fit(self.incoming_view, (0, 1, 3, 4, 5, 6, 7, 8), (2,))
        self.incoming_view.activated.connect(lambda _i: self.open_count())
        self.incoming_view.setMaximumHeight(190)
        layout.addWidget(self.incoming_view)
        self.result = hint()
        self.result.setWordWrap(True)
        self.result.setObjectName("receiptResult")
        layout.addWidget(self.result)
        layout.addWidget(section("入库记录（下方为选中调拨单的明细）"))
        self.history = ShipmentsModel(self, with_village=False)
        self.history_view = list_table(self.history, "receivedTable")
        fit(self.history_view, (0, 1, 3, 4, 5, 6, 7, 8), (2,))
        self.history_view.selectionModel().currentRowChanged.connect(lambda _c, _p: self.load_lines_of(self.history_view))
        self.incoming_view.selectionModel().currentRowChanged.connect(lambda _c, _p: self.load_lines_of(self.incoming_view))
        self.lines = ShipmentLinesModel(self)
        self.lines_view = list_table(self.lines, "receivedLines")
        fit(self.lines_view, (1, 2, 3, 4, 5, 6, 7), (0,))
        layout.addWidget(stacked(self.history_view, self.lines_view, (180, 180)), 1)

    def refresh(self) -> None:
        transfers = self.sv.transfers
        self.load_list(lambda: (transfers.incoming(), transfers.shipments(status="received")))

    def listed(self, rows: tuple[list[Any], list[Any]]) -> None:
        incoming, received = rows
        keep_selection(self.incoming_view, incoming, lambda r: r.id)
        received = sorted(received, key=lambda r: r.received_at or r.shipped_at, reverse=True)
        keep_selection(self.history_view, received, lambda r: r.id, self._select)
        self._select = None
        self.waiting.setText(f"{len(incoming)} 张在途，到货后选中按 Enter 清点" if incoming else "没有在途的调拨单")
        self.receive_button.setEnabled(bool(incoming))
        if not received and not incoming:
            self.lines.set_rows([])
        elif incoming:
            self.load_lines_of(self.incoming_view)  # what is coming, before it is counted

    def load_lines_of(self, view: Any) -> None:
        """The lines of the shipment selected in ``view`` (on its way here, or received) in the table below."""
        chosen = current_row(view)
        if chosen is None:
            return
        self._lines_of = chosen.id
        transfers = self.sv.transfers
        Op(self, lambda: transfers.shipment(chosen.id)).success(self._lines_read).run()

    def _lines_read(self, detail: Any) -> None:
        if getattr(self, "_lines_of", None) == detail.info.id:
            self.lines.set_rows(detail.lines)

    def open_count(self) -> None:
        chosen = current_row(self.incoming_view)
        if chosen is None or not self.ctx.allows("transfers.receive_shipment"):
            return
        transfers = self.sv.transfers
        Op(self, lambda: transfers.shipment(chosen.id)).success(self._count).run()

    def _count(self, detail: Any) -> None:
        dialog = CountDialog(self.sv, detail, self)
        self.open_dialog(dialog, lambda done: self._received(detail, dialog.model, done))

    def _received(self, detail: Any, model: Any, done: Any) -> None:
        info = detail.info
        got = "、".join(f"{drug_text(r.source)} {line_qty(r.source, model.counted(r) or 0)}" for r in model.lines())
        short = "；".join(f"{drug_text(r.source)} {line_qty(r.source, model.shortfall(r))}（{r.texts.get('reason', '')}）"
                         for r in model.lines() if model.shortfall(r))
        text = f"调拨单 {info.shipment_no} 已入库。实收：{got}"
        if done.lost_units:
            text += f"。短少：{short}，记为乡镇卫生院的损耗"
        self.result.setText(text)
        self.result.setStyleSheet("color: #b42318;" if done.lost_units else "color: #067647;")
        self.page.report(f"调拨单 {info.shipment_no} 已入库" + (f"，短少：{short}" if done.lost_units else ""))
        self._select = info.id
        self.refresh()

    def focus_first(self) -> None:
        self.incoming_view.setFocus(Qt.FocusReason.ShortcutFocusReason)
