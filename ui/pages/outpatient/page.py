"""门诊收费: the screen a village doctor lives in (DESIGN §11).

Top: the patient (search box, coverage in red when there is a problem), diagnosis, 慢特病 pool,
委托代购. Middle: the prescription (drug box + lines) and 今日结算. Bottom: 一般诊疗费, the engine's
split (refreshed on every change, debounced, via ``Op``) and the big 结算 button.

Keys: F9 or Ctrl+Enter settles and prints the receipt; Esc clears (twice when lines are entered);
F3 today's list (Alt+←/→ there: an earlier day), F4 处方笺, F6 补打, F8 冲正/退费; Ctrl+N a new resident.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemDelegate, QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain import clock
from app.domain.digits import FULL_WIDTH, is_ascii_digits
from app.domain.errors import CunyiError
from app.domain.money import fen_to_yuan
from app.services.residents.types import ResidentInfo
from app.services.settlement.types import Preview, ReversalInfo, SettlementInfo, VisitDraft
from ui import errors
from ui.dialogs.resident import ResidentDialog
from ui.dialogs.reversal import ReversalDialog
from ui.pages.outpatient.header import VisitHeader
from ui.pages.outpatient.prescription import PrescriptionCard
from ui.pages.outpatient.print_jobs import PrintJobs
from ui.pages.outpatient.split import SplitPanel
from ui.pages.outpatient.today import TodayPanel
from ui.printing import PrintOutcome
from ui.widgets.forms import focus_field
from ui.widgets.page import Page
from ui.workers import Op

PREVIEW_DEBOUNCE_MS = 200
ESC_AGAIN_MS = 2500

BANNER = """
QLabel#banner { border-radius: 8px; padding: 8px 14px; font-size: 15px; }
QLabel#banner[kind="ok"] { background: #e7f5ea; color: #1b5e20; border: 1px solid #b7dfc0; }
QLabel#banner[kind="info"] { background: #e8f0fe; color: #0d47a1; border: 1px solid #c6d8fb; }
QLabel#banner[kind="warn"] { background: #fff4e5; color: #8d4b00; border: 1px solid #ffd8a8; }
QPushButton#settleButton { font-size: 18px; padding: 12px 22px; }
QCheckBox#generalFee { font-size: 15px; font-weight: bold; }
"""


class OutpatientPage(Page):
    area = "outpatient"
    watches = ("outpatient", "residents", "stock", "settings")

    def __init__(self, ctx, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(ctx, parent)
        sv = ctx.sv
        self.setStyleSheet(BANNER)
        self.body().setContentsMargins(18, 12, 18, 10)
        self.body().setSpacing(8)
        self.add_header("F9 结算并打印 · Esc 清空 · F3 今日结算 · F4 处方笺 · F6 补打 · F8 冲正 · Ctrl+N 新建居民")
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        self.body().addWidget(self.banner)

        self.header = VisitHeader(sv)
        self.body().addWidget(self.header)
        self.rx = PrescriptionCard(sv)
        self.today = TodayPanel(sv, admin=ctx.allows("settlement.reverse_earlier_day"))
        self.today.setFixedWidth(276)
        middle = QHBoxLayout()
        middle.setSpacing(10)
        middle.addWidget(self.rx, 1)
        middle.addWidget(self.today)
        self.body().addLayout(middle, 1)

        self.general_fee = QCheckBox("一般诊疗费")
        self.general_fee.setObjectName("generalFee")
        self.general_fee.setChecked(True)
        self.general_fee.toggled.connect(lambda _on: self.schedule_preview())
        self.split = SplitPanel()
        self.settle_button = QPushButton("结算并打印  F9")
        self.settle_button.setObjectName("settleButton")
        self.settle_button.setProperty("kind", "primary")
        self.settle_button.clicked.connect(self.settle)
        self.clear_button = QPushButton("清空  Esc")
        self.clear_button.clicked.connect(self.clear_visit)
        buttons = QVBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.settle_button)
        buttons.addWidget(self.clear_button)
        bottom = QHBoxLayout()
        bottom.setSpacing(12)
        bottom.addWidget(self.general_fee)
        bottom.addWidget(self.split, 1)
        bottom.addLayout(buttons)
        self.body().addLayout(bottom)

        self.prints = PrintJobs(sv, self)
        self.prints.done.connect(self._printed)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DEBOUNCE_MS)
        self._preview_timer.timeout.connect(self.preview_now)
        self._preview_generation = 0
        self._preview_shown = 0  # the generation the split shows (a preview, a refusal or a hint)
        self._settling = False
        self._esc_armed = False
        self._pending_banner: list[str] = []
        self._pending_report = ""  # the status bar's line once the print of a 补打/处方笺 is out
        self.dialog: QWidget | None = None
        self.last_settlement: SettlementInfo | None = None

        self.header.resident_changed.connect(self._resident_changed)
        self.header.changed.connect(self.schedule_preview)
        self.header.diagnosis_done.connect(self.rx.focus_drug_box)
        self.header.resident_box.not_found.connect(lambda _t, message: self.show_banner(message, "warn"))
        self.rx.changed.connect(self.schedule_preview)
        self.today.reprint.connect(lambda s: self.reprint(s))
        self.today.prescription.connect(lambda s: self.print_prescription(s))
        self.today.reverse.connect(lambda s: self.reverse(s))
        self._tab_order()
        self._shortcuts()

    def _tab_order(self) -> None:
        """Tab follows the visit: resident → diagnosis → drugs → 一般诊疗费 → 结算; then 清空, the header's
        extras (慢特病, 委托代购) and 今日结算. The date selector is off the way (Alt+←/→ in the list)."""
        h, t = self.header, self.today
        chain = (h.resident_box, h.diagnosis, self.rx.drug_box, self.rx.table, self.general_fee, self.settle_button,
                 self.clear_button, h.chronic, h.agent_check, h.agent_name, h.agent_id, t.table, t.reprint_button,
                 t.prescription_button, t.reverse_button)
        for first, second in zip(chain, chain[1:]):
            self.setTabOrder(first, second)
        t.date_edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        for button in (t.previous_button, t.next_button, t.today_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def _shortcuts(self) -> None:
        keys = {"F9": self.settle, "Ctrl+Return": self.settle, "Ctrl+Enter": self.settle, "Esc": self.escape,
                "F3": self.today.focus_list, "F4": lambda: self._on_current(self.print_prescription),
                "F6": lambda: self._on_current(self.reprint), "F8": lambda: self._on_current(self.reverse),
                "Ctrl+N": self.new_resident}
        for key, slot in keys.items():
            shortcut = QShortcut(QKeySequence(key), self, slot)
            # F9 settles wherever the focus is while the page shows (the side bar, the status bar too)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut if key == "F9"
                                else Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # -- page ---------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.today.reload()
        self.header.load_coverage()
        self.rx.reload_batches()
        self.schedule_preview()

    def focus_first(self) -> None:
        self.header.resident_box.setFocus(Qt.FocusReason.OtherFocusReason)
        self.header.resident_box.selectAll()

    def open_target(self, target: str | None) -> None:
        if target == "today":
            self.today.focus_list()

    def show_banner(self, text: str, kind: str = "info") -> None:
        self.banner.setText(text)
        self.banner.setProperty("kind", kind)
        self.banner.style().unpolish(self.banner)
        self.banner.style().polish(self.banner)
        self.banner.show()

    # -- preview --------------------------------------------------------------------------------
    def _resident_changed(self, resident: ResidentInfo | None) -> None:
        if resident is not None:
            self.banner.hide()
            self.header.diagnosis.setFocus(Qt.FocusReason.OtherFocusReason)
        self.schedule_preview()

    def draft(self) -> VisitDraft | None:
        resident = self.header.resident
        if resident is None:
            return None
        agent_name, agent_id = self.header.agent()
        return VisitDraft(
            resident_id=resident.id, visit_date=clock.today(), diagnosis=self.header.diagnosis_text(),
            diagnosis_code=self.header.diagnosis_code(), chronic_code=self.header.chronic_code(),
            general_fee=self.general_fee.isChecked(), lines=self.rx.model.draft_lines(),
            agent_name=agent_name, agent_id_number=agent_id,
        )

    def schedule_preview(self) -> None:
        self._preview_timer.start()

    def preview_pending(self) -> bool:
        """True while the split lags behind the form: the debounce runs, or its preview has not come back."""
        return self._preview_timer.isActive() or self._preview_shown != self._preview_generation

    def preview_now(self) -> None:
        self._preview_timer.stop()
        self._preview_generation += 1
        generation = self._preview_generation
        draft = self.draft()
        if draft is None:
            self._preview_shown = generation
            total = self.rx.model.total_fen()
            text = "请先选择参保人" + (f"（药品合计 {fen_to_yuan(total)} 元）" if total else "")
            self.split.show_message(text)
            return
        settlement = self.ctx.sv.settlement
        Op(self, lambda: settlement.preview_detail(draft)) \
            .success(lambda p: self._previewed(generation, p)) \
            .failure(lambda e: self._preview_failed(generation, e)).run()

    def _previewed(self, generation: int, preview: Preview) -> None:
        if generation != self._preview_generation:
            return
        self._preview_shown = generation
        self.split.show_preview(preview, "；".join(self.rx.model.stock_problems()))
        fee = preview.general_fee_fen or 0
        self.general_fee.setText(f"一般诊疗费 {fen_to_yuan(fee)}" if fee else "一般诊疗费")

    def _preview_failed(self, generation: int, error: CunyiError) -> None:
        if generation == self._preview_generation:  # a half-typed agent ID keeps the last figures
            self._preview_shown = generation
            self.split.show_message(str(error), problem=True,
                                    keep_figures=error.field in ("代办人姓名", "代办人身份证号"))

    # -- settle ---------------------------------------------------------------------------------
    def settle(self) -> None:
        if self._settling:
            return
        self.rx.table.commit_open_editor()
        draft = self.draft()
        if draft is None:
            self.show_banner("请先查找并选择参保人（输入身份证号、姓名或拼音后按 Enter）", "warn")
            self.focus_first()
            return
        if not draft.lines:
            self.show_banner("处方为空：请在药品框输入拼音码或扫条码，按 Enter 添加药品", "warn")
            self.rx.focus_drug_box()
            return
        self._settling = True
        self.settle_button.setEnabled(False)
        settlement = self.ctx.sv.settlement
        Op(self, lambda: settlement.settle(draft)).success(self._settled).failure(self._settle_failed) \
            .busy("正在结算…").changes("outpatient", "stock").run()

    def _settle_failed(self, error: CunyiError) -> None:
        self._settling = False
        self.settle_button.setEnabled(True)
        errors.show_error(self, error, "不能结算")
        fields = {"参保人": self.header.resident_box, "诊断": self.header.diagnosis, "慢特病": self.header.chronic,
                  "代办人姓名": self.header.agent_name, "代办人身份证号": self.header.agent_id,
                  "数量": self.rx.table, "药品": self.rx.drug_box, "处方": self.rx.drug_box, "用法用量": self.rx.table}
        focus_field(error, fields, self.rx.drug_box)
        if error.field == "用法用量":
            self.rx.select_usage_problem()

    def _settled(self, info: SettlementInfo) -> None:
        self._settling = False
        self.settle_button.setEnabled(True)
        cash = fen_to_yuan(info.split.patient_pays_fen)
        fund = fen_to_yuan(info.split.fund_total_fen)
        self._pending_banner = [f"✓ 已结算：{escape(info.resident_name)}　票据号 <b>{info.receipt_no}</b>　"
                                f"合计 {fen_to_yuan(info.split.total_fen)}，统筹 {fund}，<b>应收现金 ¥{cash}</b>"]
        self.show_banner(self._pending_banner[0] + "　正在打印收据…", "ok")
        self.report(f"已结算 {info.receipt_no} · 现金 ¥{cash}")
        self.last_settlement = info
        self.reset_visit()
        self.today.show_day(None, select_id=info.id)  # back to today's list, were an earlier day shown
        self.prints.receipt(info.id)

    def _printed(self, outcome: PrintOutcome) -> None:
        head = self._pending_banner.pop(0) if self._pending_banner else ""
        text = f"{head}<br>{escape(outcome.message)}" if head else escape(outcome.message)
        self.show_banner(text, "warn" if outcome.fallback else "ok")
        if self._pending_report:
            self.report(self._pending_report + (" · 已送打印机" if outcome.printed else " · 已存为 PDF"))
            self._pending_report = ""

    # -- clearing -------------------------------------------------------------------------------
    def unsaved_work(self) -> str | None:
        """An entered prescription that is not settled yet."""
        lines = self.rx.model.rowCount()
        return f"门诊收费：一张未结算的处方（{lines} 种药品）" if lines else None

    def escape(self) -> None:
        """Esc closes an open list or cell editor first; else it clears the visit (twice when lines are entered)."""
        table = self.rx.table
        if table.state() == table.State.EditingState:
            editor = table.focusWidget()
            table.closeEditor(editor, QAbstractItemDelegate.EndEditHint.RevertModelCache)
            table.setFocus()
            return
        for box in (self.header.resident_box, self.header.diagnosis, self.rx.drug_box):
            if box.popup_visible():
                box.hide_popup()
                return
        if self.rx.model.rowCount() and not self._esc_armed:
            self._esc_armed = True
            QTimer.singleShot(ESC_AGAIN_MS, self._disarm)
            self.show_banner("再按一次 Esc 清空本次处方（未结算的内容将丢失）", "warn")
            return
        self.clear_visit()

    def _disarm(self) -> None:
        self._esc_armed = False

    def reset_visit(self) -> None:
        """Empty the form for the next patient (focus back in the resident box)."""
        self._esc_armed = False
        self.header.clear()
        self.rx.clear()
        self.general_fee.setChecked(True)
        self.split.show_message("选择参保人并添加药品后，这里显示统筹报销与应收现金")
        self.focus_first()

    def clear_visit(self) -> None:
        self.banner.hide()
        self.reset_visit()

    # -- today's list ---------------------------------------------------------------------------
    def _on_current(self, action) -> None:  # noqa: ANN001
        current = self.today.current()
        if current is None:
            day = self.today.day()
            self.show_banner("今天还没有结算记录" if day == clock.today() else f"{day:%Y-%m-%d} 没有结算记录", "info")
            return
        action(current)

    def reprint(self, settlement: SettlementInfo) -> None:
        self._pending_banner = [f"补打 {settlement.resident_name} 票据号 {settlement.receipt_no}"]
        self._pending_report = f"已补打 {settlement.receipt_no}" + ("（已冲正）" if settlement.reversed else "")
        self.prints.receipt(settlement.id)

    def print_prescription(self, settlement: SettlementInfo) -> None:
        self._pending_banner = [f"处方笺 {settlement.resident_name} {settlement.receipt_no}"]
        self._pending_report = f"已打印处方笺 {settlement.receipt_no}"
        self.prints.prescription(settlement.id)

    def reverse(self, settlement: SettlementInfo) -> ReversalDialog | None:
        refusal = self.today.reverse_refusal(settlement)
        if refusal is not None:  # F8 on a row whose 冲正 button is disabled: say why
            self.show_banner(refusal, "warn")
            return None
        dialog = ReversalDialog(self.ctx.sv, settlement, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.reversed.connect(self._reversed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _reversed(self, info: ReversalInfo) -> None:
        self._pending_banner = [f"✓ 已冲正 票据号 {info.original_receipt_no}，冲正凭证号 <b>{info.receipt_no}</b>，"
                                f"<b>退还现金 ¥{fen_to_yuan(info.refund_fen)}</b>"]
        self.show_banner(self._pending_banner[0] + "　正在打印冲正凭证…", "ok")
        self.report(f"已冲正 {info.original_receipt_no} · 冲正凭证 {info.receipt_no} · 退现金 ¥{fen_to_yuan(info.refund_fen)}")
        self.today.reload(select_id=info.settlement_id)
        self.prints.receipt(info.settlement_id, reversal=True)
        self.today.focus_list()

    # -- residents ------------------------------------------------------------------------------
    def new_resident(self) -> ResidentDialog:
        typed = self.header.resident_box.text().translate(FULL_WIDTH).strip()
        id_number = typed if is_ascii_digits(typed[:-1]) and len(typed) in (15, 18) else ""
        dialog = ResidentDialog(self.ctx.sv, self, None, id_number)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._resident_created)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _resident_created(self, resident: ResidentInfo) -> None:
        self.header.resident_box.setText(resident.name)
        self.header.set_resident(resident)
