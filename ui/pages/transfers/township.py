"""The township's tabs of 调拨与报量 for its villages: 报量审核 (requisitions waiting → a draft 调拨单),
调拨出库 (drafts: pick list, 打印配货单, 出库, 作废; new 调拨单 and 调剂), 在途, and 退货验收."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QStackedWidget, QVBoxLayout

from ui.dialogs.stock_confirm import ConfirmDialog
from ui.models.stock import money, yuan
from ui.pages.transfers.base import (
    TransfersTab,
    current_row,
    fit,
    keep_selection,
    list_table,
    stacked,
)
from ui.pages.transfers.models import (
    SHIPMENT_KINDS,
    PickModel,
    RequisitionLinesModel,
    RequisitionsModel,
    ReturnsModel,
    ShipmentLinesModel,
    ShipmentsModel,
    shipment_status,
    shortfall_text,
    when,
)
from ui.pages.transfers.township_dialogs import (
    DraftShipmentDialog,
    ReviewDialog,
    ShipDialog,
)
from ui.widgets.layout import button, hint, row, shortcut
from ui.workers import Op


def village_box(all_label: str = "全部村卫生室") -> QComboBox:
    box = QComboBox()
    box.setObjectName("villageFilter")
    box.addItem(all_label, None)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(11)
    return box


def fill_villages(box: QComboBox, villages: list[tuple[str, str]]) -> None:
    keep = box.currentData()
    box.blockSignals(True)
    while box.count() > 1:
        box.removeItem(1)
    for name, site_id in villages:
        box.addItem(name, site_id)
    box.setCurrentIndex(max(0, box.findData(keep)))
    box.blockSignals(False)


class ReviewTab(TransfersTab):
    """报量审核: the villages' requisitions (waiting first); Enter reviews the selected one."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.village = village_box()
        self.status = QComboBox()
        for label, value in (("待审核", "waiting"), ("已审核", "answered"), ("已撤回", "cancelled"), ("全部", None)):
            self.status.addItem(label, value)
        for box in (self.village, self.status):
            box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.review_button = button("审核 (Enter)", self.review, primary=True)
        self.count = hint()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(row(self.village, self.status, self.count, None, self.review_button, spacing=8))
        self.model = RequisitionsModel(self, with_village=True)
        self.view = list_table(self.model, "reviewTable")
        fit(self.view, (0, 2, 3, 4, 5, 6), (1,))
        self.view.activated.connect(lambda _i: self.review())
        self.view.selectionModel().currentRowChanged.connect(lambda _c, _p: self.load_lines())
        self.lines = RequisitionLinesModel(self)
        self.lines_view = list_table(self.lines, "reviewLines")
        fit(self.lines_view, (1, 2, 3, 4, 5), (0,))
        layout.addWidget(stacked(self.view, self.lines_view), 1)

    def refresh(self) -> None:
        transfers, status, site = self.sv.transfers, self.status.currentData(), self.village.currentData()
        self.load_list(lambda: transfers.requisitions(status=status, site_id=site))

    def listed(self, rows: list[Any]) -> None:
        keep_selection(self.view, rows, lambda r: r.id)
        waiting = sum(1 for r in rows if r.status == "waiting")
        self.count.setText(f"共 {len(rows)} 张" + (f"，待审核 {waiting} 张" if waiting else "") if rows else
                           "没有符合条件的报量单")
        self.review_button.setEnabled(waiting > 0)
        if not rows:
            self.lines.set_rows([])

    def detail_call(self) -> Any:
        return self.sv.transfers.requisition

    def review(self) -> None:
        chosen = current_row(self.view)
        if chosen is None or chosen.status != "waiting" or not self.ctx.allows("transfers.review_requisition"):
            return
        transfers = self.sv.transfers
        Op(self, lambda: transfers.requisition(chosen.id)).success(self._open_review).run()

    def _open_review(self, detail: Any) -> None:
        self.open_dialog(ReviewDialog(self.sv, detail, self), lambda shipment_id: self._reviewed(detail, shipment_id))

    def _reviewed(self, detail: Any, shipment_id: str) -> None:
        self.page.report(f"{detail.info.site_name} 报量单 {detail.info.requisition_no} 已审核，生成待出库的调拨单")
        self.page.show_shipment(shipment_id)



SHIPMENT_FILTERS = (("待出库", "draft"), ("在途", "in_transit"), ("已入库", "received"), ("已作废", "cancelled"),
                    ("全部", None))


class ShipmentsTab(TransfersTab):
    """调拨出库: 调拨单 by status; a draft shows its FEFO pick list, a shipped one its lines."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self._select: str | None = None
        self.village = village_box()
        self.status = QComboBox()
        self.status.setObjectName("shipmentStatus")
        for label, value in SHIPMENT_FILTERS:
            self.status.addItem(label, value)
        for box in (self.village, self.status):
            box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.new_button = button("新建调拨 (Ctrl+N)", lambda: self.new_shipment("ad_hoc"))
        self.swap_button = button("调剂", lambda: self.new_shipment("redistribution"),
                                  tip="近效期药品在村卫生室之间调剂：先由村卫生室退回乡镇，再调拨给需要的村")
        self.print_button = button("打印配货单 (Ctrl+P)", self.print_pick_list)
        self.ship_button = button("出库 (Ctrl+Enter)", self.ship, primary=True)
        self.cancel_button = button("作废 (Del)", self.cancel_shipment)
        self.count = hint()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(row(self.village, self.status, self.count, None, self.new_button, self.swap_button,
                             self.print_button, self.cancel_button, self.ship_button, spacing=8))
        self.model = ShipmentsModel(self)
        self.view = list_table(self.model, "shipmentTable")
        fit(self.view, (0, 2, 4, 5, 6, 7, 8, 9), (1, 3))
        self.view.selectionModel().currentRowChanged.connect(lambda _c, _p: self.load_detail())
        self.view.activated.connect(lambda _i: self.ship())
        self.picks = PickModel(self)
        self.picks_view = list_table(self.picks, "pickTable")
        self.picks_view.hideColumn(5)  # 已扫码: scanned in the 出库 dialog
        fit(self.picks_view, (0, 2, 3, 4, 5), (1,))
        self.lines = ShipmentLinesModel(self)
        self.lines_view = list_table(self.lines, "shipmentLines")
        fit(self.lines_view, (1, 2, 3, 4, 5, 6, 7), (0,))
        self.detail = QStackedWidget()
        self.detail.addWidget(self.picks_view)
        self.detail.addWidget(self.lines_view)
        self.detail_title = hint("选中一张调拨单查看配货单或明细")
        layout.addWidget(stacked(self.view, self.detail, (250, 250)), 1)
        layout.addWidget(self.detail_title)
        shortcut(self, "Ctrl+N", lambda: self.new_shipment("ad_hoc"))
        shortcut(self, "Ctrl+P", self.print_pick_list)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut(self, keys, self.ship)
        shortcut(self.view, "Delete", self.cancel_shipment)

    def refresh(self) -> None:
        transfers, status, site = self.sv.transfers, self.status.currentData(), self.village.currentData()
        self.load_list(lambda: transfers.shipments(status=status, to_site_id=site))

    def listed(self, rows: list[Any]) -> None:
        keep_selection(self.view, rows, lambda r: r.id, self._select)
        self._select = None
        self.count.setText(f"共 {len(rows)} 张" if rows else "没有符合条件的调拨单")
        if not rows:
            self.picks.set_rows([])
            self.lines.set_rows([])
            self.detail_title.setText("")
        self._buttons()

    def _buttons(self) -> None:
        chosen = current_row(self.view)
        draft = chosen is not None and chosen.status == "draft"
        for b in (self.ship_button, self.cancel_button, self.print_button):
            b.setEnabled(draft)
        self.print_button.setEnabled(chosen is not None and chosen.status != "cancelled")

    def select(self, shipment_id: str) -> None:
        """Show the drafts and select ``shipment_id`` once listed."""
        self._select = shipment_id
        self.status.blockSignals(True)
        self.status.setCurrentIndex(self.status.findData("draft"))
        self.status.blockSignals(False)
        self.village.setCurrentIndex(0)
        self.refresh()

    def load_detail(self) -> None:
        self._buttons()
        chosen = current_row(self.view)
        if chosen is None:
            return
        transfers = self.sv.transfers
        if chosen.status == "draft":
            Op(self, lambda: transfers.pick_list(chosen.id)).success(lambda picks: self._show_picks(chosen, picks)) \
                .failure(lambda error: self._detail_failed(chosen, error)).run()
        else:
            self.load_lines()

    def _show_picks(self, info: Any, picks: list[Any]) -> None:
        chosen = current_row(self.view)
        if chosen is None or chosen.id != info.id:
            return
        self.picks.set_rows(picks)
        self.detail.setCurrentWidget(self.picks_view)
        kind = SHIPMENT_KINDS.get(info.kind, info.kind)
        self.detail_title.setStyleSheet("")
        self.detail_title.setText(f"配货单（先到期先出）· 调拨给 {info.to_site_name} · {kind} · {len(picks)} 个批次 · "
                                  "拣货后 Ctrl+Enter 出库")

    def _detail_failed(self, info: Any, error: Any) -> None:
        self.picks.set_rows([])
        self.detail.setCurrentWidget(self.picks_view)
        self.detail_title.setStyleSheet("color: #b42318;")
        self.detail_title.setText(f"配货单：{error}")

    def detail_call(self) -> Any:
        return self.sv.transfers.shipment

    def lines_shown(self, detail: Any) -> None:
        self.detail.setCurrentWidget(self.lines_view)
        info = detail.info
        text = f"调拨单 {info.shipment_no} · {shipment_status(info)} · 出库 {when(info.shipped_at)}"
        if info.received_at:
            text += f" · 村卫生室入库 {when(info.received_at)}"
            short = shortfall_text(detail.lines)
            if short:
                text += f" · 短少：{short}（记为乡镇卫生院的损耗）"
        self.detail_title.setStyleSheet("")
        self.detail_title.setText(text)

    # -- actions ----------------------------------------------------------------------------------
    def new_shipment(self, kind: str) -> None:
        if not self.ctx.allows("transfers.draft_shipment"):
            return
        Op(self, self.page.villages).success(lambda villages: self._open_new(villages, kind)).run()

    def _open_new(self, villages: list[tuple[str, str]], kind: str) -> None:
        self.open_dialog(DraftShipmentDialog(self.sv, villages, self, kind=kind),
                         lambda shipment_id: (self.page.report("已生成待出库的调拨单"), self.select(shipment_id)))

    def ship(self) -> None:
        chosen = current_row(self.view)
        if chosen is None or chosen.status != "draft" or not self.ctx.allows("transfers.ship"):
            return
        transfers = self.sv.transfers
        Op(self, lambda: transfers.pick_list(chosen.id)).success(lambda picks: self._open_ship(chosen, picks)).run()

    def _open_ship(self, info: Any, picks: list[Any]) -> None:
        dialog = ShipDialog(self.sv, info, picks, self)
        dialog.print_asked.connect(lambda: self.page.print_pick_list(info))
        self.open_dialog(dialog, self._shipped)

    def _shipped(self, done: Any) -> None:
        self.page.report(f"调拨单 {done.shipment_no} 已出库：{done.line_count} 行，金额 ¥{yuan(done.amount_fen)}，"
                         "在途等村卫生室入库")
        self._select = done.shipment_id
        self.status.setCurrentIndex(self.status.findData("in_transit"))

    def print_pick_list(self) -> None:
        chosen = current_row(self.view)
        if chosen is not None and chosen.status != "cancelled":
            self.page.print_pick_list(chosen)

    def cancel_shipment(self) -> None:
        chosen = current_row(self.view)
        if chosen is None or chosen.status != "draft" or not self.ctx.allows("transfers.cancel_shipment"):
            return
        transfers = self.sv.transfers
        self.dialog = ConfirmDialog(
            self, "作废调拨单", f"作废调拨给 {chosen.to_site_name} 的调拨单？尚未出库，库存不变。",
            lambda reason: lambda: transfers.cancel_shipment(chosen.id, reason),
            on_done=lambda _r: self.page.report(f"已作废调拨给 {chosen.to_site_name} 的调拨单"),
            reason_label="作废原因", reason_choices=("库存不足", "村卫生室不需要了", "重新开单"), confirm_text="作废",
            danger=True, changes=("transfers",))
        self.dialog.open()


class InTransitTab(TransfersTab):
    """在途: shipped, not yet received, oldest first; lines of the selected one below."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.village = village_box()
        self.village.currentIndexChanged.connect(lambda _i: self.refresh())
        self.count = hint()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(row(self.village, self.count, None, spacing=8))
        self.model = ShipmentsModel(self)
        self.view = list_table(self.model, "inTransitTable")
        fit(self.view, (0, 2, 4, 5, 6, 7, 8, 9), (1, 3))
        self.view.selectionModel().currentRowChanged.connect(lambda _c, _p: self.load_lines())
        self.lines = ShipmentLinesModel(self)
        self.lines_view = list_table(self.lines, "inTransitLines")
        fit(self.lines_view, (1, 2, 3, 4, 5, 6, 7), (0,))
        layout.addWidget(stacked(self.view, self.lines_view), 1)

    def refresh(self) -> None:
        transfers, site = self.sv.transfers, self.village.currentData()
        self.load_list(lambda: transfers.in_transit(to_site_id=site))

    def listed(self, rows: list[Any]) -> None:
        keep_selection(self.view, rows, lambda r: r.id)
        amount = sum(r.amount_fen or 0 for r in rows)
        villages = len({r.to_site_id for r in rows})
        self.count.setText(f"在途 {len(rows)} 张 · {villages} 个村卫生室 · 金额 ¥{money(amount)}" if rows else
                           "没有在途的调拨单")
        if not rows:
            self.lines.set_rows([])

    def detail_call(self) -> Any:
        return self.sv.transfers.shipment


class ReturnsTab(TransfersTab):
    """退货验收: what the villages sent back (退回乡镇); Enter 验收 puts it into the township's store."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.village = village_box()
        self.status = QComboBox()
        for label, value in (("待验收", "waiting"), ("已验收", "received"), ("全部", None)):
            self.status.addItem(label, value)
        for box in (self.village, self.status):
            box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.receive_button = button("验收入库 (Enter)", self.receive, primary=True)
        self.count = hint()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(row(self.village, self.status, self.count, None, self.receive_button, spacing=8))
        self.model = ReturnsModel(self)
        self.view = list_table(self.model, "returnsTable")
        fit(self.view, (1, 3, 4, 5, 7), (6, 2, 0))
        self.view.activated.connect(lambda _i: self.receive())
        self.view.selectionModel().currentRowChanged.connect(lambda _c, _p: self._buttons())
        layout.addWidget(self.view, 1)
        layout.addWidget(hint("村卫生室在“药品库存 → 报损/退回”退回乡镇的药品，同步到这里；实物到后验收，按原批号进乡镇库存。"
                              "近效期调剂：验收后在“调拨出库”开调剂单给需要的村"))

    def refresh(self) -> None:
        transfers, status, site = self.sv.transfers, self.status.currentData(), self.village.currentData()
        self.load_list(lambda: transfers.returns(status=status, site_id=site))

    def listed(self, rows: list[Any]) -> None:
        keep_selection(self.view, rows, lambda r: r.id)
        waiting = sum(1 for r in rows if getattr(r, "status", "") == "waiting")
        self.count.setText(f"共 {len(rows)} 条" + (f"，待验收 {waiting} 条" if waiting else "") if rows else
                           "没有符合条件的退回")
        self._buttons()

    def _buttons(self) -> None:
        chosen = current_row(self.view)
        self.receive_button.setEnabled(chosen is not None and getattr(chosen, "status", "") == "waiting")

    def receive(self) -> None:
        chosen = current_row(self.view)
        if chosen is None or getattr(chosen, "status", "") != "waiting" or \
                not self.ctx.allows("transfers.receive_return"):
            return
        transfers = self.sv.transfers
        what = " ".join(str(x) for x in (getattr(chosen, "generic_name", ""), getattr(chosen, "batch_no", "")) if x)
        self.dialog = ConfirmDialog(
            self, "验收退回的药品", f"验收 {getattr(chosen, 'site_name', '')} 退回的 {what}？按原批号、原进价入乡镇库存。",
            lambda _reason: lambda: transfers.receive_return(chosen.id),
            on_done=lambda _r: self.page.report(f"已验收 {getattr(chosen, 'site_name', '')} 退回的 {what}"),
            details=[(label, self.model.cell(chosen, col)) for col, label in ((2, "药品"), (3, "批号"), (4, "效期"),
                                                                                  (5, "数量"), (6, "原因"))],
            confirm_text="验收入库", changes=("transfers", "stock"))
        self.dialog.open()

