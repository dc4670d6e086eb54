"""The township's 采购入库 tab: a distributor's delivery (随货单号, 发票号) and its lines, each with a batch, an
expiry, a quantity, a price and its scanned trace codes, received into the township store at once. 采购记录 and
配送企业 are in ``purchase_records``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from app.domain.errors import CunyiError, ValidationError
from app.services.stock.service import NearExpiryError
from ui.dialogs.stock_confirm import ConfirmDialog
from ui.models.stock import money, yuan
from ui.pages.transfers.base import ScanBox, TransfersTab, fit, list_table
from ui.pages.transfers.line_models import PurchaseLinesModel, PurchaseRow
from ui.pages.transfers.models import drug_text
from ui.widgets.forms import ErrorLabel, focus_field
from ui.widgets.layout import (
    EnterAdvances,
    button,
    form_layout,
    hint,
    row,
    section,
    shortcut,
    success_label,
)
from ui.widgets.receiving import NO_DRUG, drug_summary, near_expiry_question, typed_lot
from ui.widgets.search_box import DrugSearchBox
from ui.workers import Op


class PurchaseTab(TransfersTab):
    """采购入库: the delivery's header, a line form (Enter moves on; an Enter on the empty 追溯码 box adds the
    line), the lines so far; Ctrl+Enter receives the whole delivery into the township store."""

    def __init__(self, page: Any) -> None:
        super().__init__(page)
        self.drug: Any = None
        self.codes: list[str] = []
        self.editing: int | None = None
        # header
        self.distributor = QComboBox()
        self.distributor.setObjectName("distributor")
        self.distributor.setMinimumWidth(260)
        self.distributor.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # a company's whole name
        self.note_no = QLineEdit()
        self.note_no.setPlaceholderText("随货同行单上的单号")
        self.note_no.setMinimumWidth(200)
        self.invoice_no = QLineEdit()
        self.invoice_no.setPlaceholderText("发票号（可后补）")
        self.invoice_no.setMinimumWidth(180)
        # the line form
        self.drug_box = DrugSearchBox(self, self.sv.catalog.search)
        self.drug_box.handles_enter = True
        self.drug_box.picked.connect(self.set_drug)
        self.drug_info = hint(NO_DRUG)
        self.drug_info.setWordWrap(True)
        self.batch_no = QLineEdit()
        self.batch_no.setPlaceholderText("药盒上的批号")
        self.expiry = QLineEdit()
        self.expiry.setPlaceholderText("如 2027-06-30、20270630 或 2027-06")
        self.quantity = QLineEdit()
        self.quantity.setPlaceholderText("如 10（盒）或 14片")
        self.price = QLineEdit()
        self.price.setPlaceholderText("每包装进价，元")
        self.no_codes = QCheckBox("无追溯码(&W)")
        self.scan = ScanBox("逐盒扫描追溯码；扫完在空框按回车加入明细")
        self.scan.scanned.connect(self.add_code)
        self.scan.empty.connect(self.add_line)
        self.codes_said = hint("已扫 0 个")
        form = form_layout()
        form.addRow("药品(&D)", self.drug_box)
        form.addRow("", self.drug_info)
        form.addRow("批号(&B)", self.batch_no)
        form.addRow("效期(&X)", self.expiry)
        form.addRow("数量(&Q)", self.quantity)
        form.addRow("进价(&C)", self.price)
        form.addRow("追溯码(&T)", self.scan)
        form.addRow("", row(self.codes_said, None, self.no_codes))
        self.line_error = ErrorLabel()
        self.add_button = button("加入明细 (Alt+A)", self.add_line)
        card = QFrame()
        card.setObjectName("card")
        card.setMaximumWidth(440)
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(16, 12, 16, 12)
        card_layout.addWidget(section("逐行录入"))
        card_layout.addLayout(form)
        card_layout.addWidget(self.line_error)
        card_layout.addLayout(row(self.add_button, None))
        card_layout.addStretch(1)
        # the lines
        self.lines = PurchaseLinesModel(self)
        self.lines_view = list_table(self.lines, "purchaseLines")
        fit(self.lines_view, (1, 2, 3, 4, 5, 6), (0,))
        self.lines_view.activated.connect(lambda index: self.edit_line(index.row()))
        self.total = hint("还没有明细")
        self.error = ErrorLabel()
        self.message = success_label()
        self.submit_button = button("入库 (Ctrl+Enter)", self.submit, primary=True)
        self.remove_button = button("删除行 (Del)", self.remove_line)
        self.clear_button = button("清空", self.clear_all)
        right = QVBoxLayout()
        right.addWidget(section("本次入库明细（Enter 修改选中行）"))
        right.addWidget(self.lines_view, 1)
        right.addWidget(self.total)
        right.addWidget(self.error)
        right.addWidget(self.message)
        right.addLayout(row(self.remove_button, self.clear_button, None, self.submit_button))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        header = row(QLabel("配送企业(&G)"), self.distributor, QLabel("随货单号(&H)"), self.note_no,
                     QLabel("发票号(&I)"), self.invoice_no, None, spacing=10)
        for label, buddy in ((0, self.distributor), (2, self.note_no), (4, self.invoice_no)):
            header.itemAt(label).widget().setBuddy(buddy)
        layout.addLayout(header)
        body = QHBoxLayout()
        body.setSpacing(16)
        body.addWidget(card, 5)
        body.addLayout(right, 7)
        layout.addLayout(body, 1)
        self.fields = {"配送企业": self.distributor, "随货单号": self.note_no, "发票号": self.invoice_no,
                       "药品": self.drug_box, "批号": self.batch_no, "效期": self.expiry, "数量": self.quantity,
                       "进价": self.price, "追溯码": self.scan, "药品追溯码": self.scan, "明细": self.drug_box}
        EnterAdvances([self.distributor, self.note_no, self.invoice_no, self.drug_box])
        EnterAdvances([self.batch_no, self.expiry, self.quantity, self.price, self.scan])
        shortcut(self, "Alt+A", self.add_line)
        for keys in ("Ctrl+Return", "Ctrl+Enter", "Ctrl+S"):
            shortcut(self, keys, self.submit)
        shortcut(self.lines_view, "Delete", self.remove_line)
        shortcut(self, "Ctrl+N", self.clear_all)

    # -- header -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        transfers = self.sv.transfers
        Op(self, lambda: transfers.distributors()).success(self._distributors).run()

    def _distributors(self, rows: list[Any]) -> None:
        keep = self.distributor.currentData()
        self.distributor.clear()
        for d in rows:
            self.distributor.addItem(d.name, d.id)
        if not rows:
            self.distributor.addItem("（请先在“配送企业”中添加）", None)
        self.distributor.setCurrentIndex(max(0, self.distributor.findData(keep)))

    # -- the line form ----------------------------------------------------------------------------
    def set_drug(self, drug: Any) -> None:
        self.drug = drug
        self.drug_info.setText(drug_summary(drug))
        if not self.price.text().strip():
            self.price.setText(yuan(drug.price_fen))
        self.batch_no.setFocus(Qt.FocusReason.OtherFocusReason)

    def add_code(self, code: str) -> None:
        if code in self.codes:
            self.codes_said.setText(f"追溯码 {code} 已经扫过 · 已扫 {len(self.codes)} 个")
            return
        self.codes.append(code)
        self.codes_said.setText(f"已扫 {len(self.codes)} 个 · 最后：{code}")

    def line_values(self) -> PurchaseRow:
        """The line form as a ``PurchaseRow``; raises ``ValidationError`` naming the field."""
        batch_no, expiry, units, price = typed_lot(self.drug, self.batch_no.text(), self.expiry.text(),
                                                   self.quantity.text(), self.price.text(), positive=True)
        if not self.codes and not self.no_codes.isChecked():
            raise ValidationError("追溯码：请逐盒扫描追溯码；药品没有追溯码时请勾选“无追溯码”", "追溯码")
        return PurchaseRow(self.drug, batch_no, expiry, self.quantity.text().strip(), units, price,
                           () if self.no_codes.isChecked() else tuple(self.codes))

    def add_line(self) -> None:
        try:
            line = self.line_values()
        except CunyiError as exc:
            self.line_error.show_error(str(exc))
            focus_field(exc, self.fields, self.drug_box)
            return
        if self.editing is not None and self.editing < self.lines.rowCount():
            self.lines.replace(self.editing, line)
        else:
            self.lines.append(line)
        self.editing = None
        self.clear_line()
        self._total()

    def edit_line(self, index: int) -> None:
        """Put a line back into the form to change it (Enter on the line)."""
        line: PurchaseRow = self.lines.row(index)
        self.editing = index
        self.drug = line.drug
        self.drug_box.current = line.drug
        self.drug_box.setText(self.drug_box.label_fn(line.drug))
        self.set_drug(line.drug)
        self.batch_no.setText(line.batch_no)
        self.expiry.setText(line.expiry.isoformat())
        self.quantity.setText(line.quantity)
        self.price.setText(yuan(line.pack_price_fen))
        self.codes = list(line.trace_codes)
        self.no_codes.setChecked(not line.trace_codes)
        self.codes_said.setText(f"已扫 {len(self.codes)} 个（修改第 {index + 1} 行）")
        self.batch_no.setFocus()

    def remove_line(self) -> None:
        index = self.lines_view.currentIndex()
        if index.isValid():
            self.lines.remove(index.row())
            self._total()

    def clear_line(self) -> None:
        self.drug = None
        self.drug_box.current = None
        for edit in (self.drug_box, self.batch_no, self.expiry, self.quantity, self.price, self.scan):
            edit.clear()
        self.codes = []
        self.no_codes.setChecked(False)
        self.codes_said.setText("已扫 0 个")
        self.drug_info.setText(NO_DRUG)
        self.line_error.clear_error()
        self.drug_box.setFocus(Qt.FocusReason.OtherFocusReason)

    def clear_all(self) -> None:
        self.lines.set_rows([])
        self.note_no.clear()
        self.invoice_no.clear()
        self.error.clear_error()
        self.editing = None
        self.clear_line()
        self._total()
        self.note_no.setFocus()

    def _total(self) -> None:
        rows: list[PurchaseRow] = self.lines.rows()
        total = sum(r.amount_fen for r in rows)
        self.total.setText(f"{len(rows)} 行 · 合计 ¥{money(total)}" if rows else "还没有明细：左边逐行录入后回车加入")

    # -- submit -----------------------------------------------------------------------------------
    def form(self) -> Any:
        from app.services.transfers.types import PurchaseForm, PurchaseLineForm

        lines = [PurchaseLineForm(r.drug.id, r.batch_no, r.expiry, r.quantity, r.pack_price_fen, r.trace_codes,
                                  accept_near_expiry=r.accept_near_expiry) for r in self.lines.rows()]
        return PurchaseForm(self.distributor.currentData() or "", self.note_no.text().strip(),
                            self.invoice_no.text().strip(), lines)

    def submit(self) -> None:
        if not self.submit_button.isEnabled():
            return
        self.message.clear()
        self.error.clear_error()
        if self.distributor.currentData() is None:
            self.error.show_error("配送企业：请先在“配送企业”中添加")
            return
        if not self.lines.rowCount():
            self.error.show_error("明细：还没有加入任何药品（左边录入后回车加入）")
            self.drug_box.setFocus()
            return
        form, transfers = self.form(), self.sv.transfers
        self.submit_button.setEnabled(False)
        Op(self, lambda: transfers.receive_purchase(form)).success(self._done).failure(self._refused).busy() \
            .changes("transfers", "stock").run()

    def _refused(self, error: CunyiError) -> None:
        self.submit_button.setEnabled(True)
        self.error.show_error(str(error))
        if isinstance(error, NearExpiryError):
            self.ask_near_expiry(error)
            return
        focus_field(error, self.fields, self.drug_box)

    def ask_near_expiry(self, error: NearExpiryError) -> None:
        """A near-expiry line is received only once confirmed, as on the 入库 form of the stock page."""
        index = self.lines.find(lambda r: r.batch_no == error.batch_no and r.expiry == error.expiry)
        if index < 0:
            return
        line: PurchaseRow = self.lines.row(index)
        text, details = near_expiry_question(error, drug_text(line.drug), line.quantity)

        def accept(_reason: str) -> Any:
            self.lines.replace(index, PurchaseRow(**{**line.__dict__, "accept_near_expiry": True}))
            return lambda: None

        self.dialog = ConfirmDialog(self, "近效期药品入库", text, accept, on_done=lambda _r: self.submit(), details=details,
                                    confirm_text="确认入库", changes=())
        self.dialog.open()

    def _done(self, done: Any) -> None:
        self.submit_button.setEnabled(True)
        rows = self.lines.rowCount()
        text = (f"已入库：采购单 {done.receipt_no} · {self.distributor.currentText()} · 随货单号 "
                f"{self.note_no.text().strip()} · {rows} 行 · 合计 ¥{money(done.total_fen)}")
        self.clear_all()
        self.message.setText(text)
        self.page.report(text)

    def unsaved_work(self) -> str | None:
        return "未入库的采购明细" if self.lines.rowCount() else None

    def focus_first(self) -> None:
        (self.note_no if not self.lines.rowCount() else self.drug_box).setFocus(Qt.FocusReason.ShortcutFocusReason)
