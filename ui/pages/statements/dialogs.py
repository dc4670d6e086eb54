"""统一结算 dialogs: 录入基药补助 (``SubsidyDialog``) and the one-step confirmations 定稿 and 确认
(``ConfirmDialog``). Each calls the statement service through ``Op``; a refusal stays in red under the form
(the field it names focused) and nothing is kept."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import CunyiError, ValidationError
from app.domain.money import fen_to_yuan, yuan_to_fen
from ui.widgets.forms import ErrorLabel, focus_field
from ui.widgets.layout import EnterAdvances, form_layout, hint, shortcut
from ui.workers import Op

AMOUNT_FIELD = "基药补助金额"


def parse_subsidy(text: str) -> int:
    """The amount typed in 元 as fen; refuses what is not an amount, and a negative one, naming the field."""
    fen = yuan_to_fen(text, AMOUNT_FIELD)
    if fen < 0:
        raise ValidationError(f"{AMOUNT_FIELD}不能为负数（输入的是 {text.strip()}）", AMOUNT_FIELD)
    return fen


def _ok_shortcuts(dialog: QDialog, slot: Callable[[], object]) -> None:
    for keys in ("Ctrl+Return", "Ctrl+Enter"):
        shortcut(dialog, keys, slot)


class SubsidyDialog(QDialog):
    """录入基药补助: village, month, amount in 元, note. Emits ``saved(site_id, month, fen)`` when written."""

    saved = Signal(str, str, int)

    def __init__(self, sv: Any, villages: Sequence[tuple[str, str]], months: Sequence[tuple[str, str]],
                 parent: QWidget | None = None, *, site_id: str | None = None, month: str | None = None) -> None:
        super().__init__(parent)
        self.sv = sv
        self.setWindowTitle("录入基药补助")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        intro = QLabel("乡镇按期拨付给村卫生室的基本药物补助。统一结算时先扣统筹应付，不足部分再从基药补助中扣。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = form_layout()
        self.village = QComboBox()
        for name, value in villages:
            self.village.addItem(name, value)
        self.month = QComboBox()
        for label, value in months:
            self.month.addItem(label, value)
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("如 1500.00")
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.current = hint()
        self.note = QLineEdit()
        self.note.setPlaceholderText("可不填，如 拨付文号")
        form.addRow("村卫生室", self.village)
        form.addRow("月份", self.month)
        form.addRow("基药补助金额（元）", self.amount)
        form.addRow("", self.current)
        form.addRow("备注", self.note)
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton("保存", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setProperty("kind", "primary")
        self.ok_button.setToolTip("保存（Enter / Ctrl+Enter）")
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.fields: dict[str, QWidget] = {AMOUNT_FIELD: self.amount, "基药补助": self.amount, "金额": self.amount,
                                           "村卫生室": self.village,
                                           "月份": self.month, "备注": self.note}
        if site_id is not None and self.village.findData(site_id) >= 0:
            self.village.setCurrentIndex(self.village.findData(site_id))
        if month is not None and self.month.findData(month) >= 0:
            self.month.setCurrentIndex(self.month.findData(month))
        self.village.currentIndexChanged.connect(lambda _i: self.load_current())
        self.month.currentIndexChanged.connect(lambda _i: self.load_current())
        EnterAdvances([self.village, self.month, self.amount, self.note], self.submit)
        _ok_shortcuts(self, self.submit)
        self.load_current()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.amount.setFocus(Qt.FocusReason.OtherFocusReason)
        self.amount.selectAll()

    def load_current(self) -> None:
        """Show (and start from) what is entered for the village and month already."""
        site_id, month = self.village.currentData(), self.month.currentData()
        statements = self.sv.statements
        if not site_id or not month:
            return

        def found(subsidies: list[Any]) -> None:
            if self.village.currentData() != site_id or self.month.currentData() != month:
                return
            got = next((s for s in subsidies if s.site_id == site_id), None)
            if got is None or got.amount_fen is None:
                self.current.setText("这个月还没有录入")
                return
            if getattr(got, "locked", False):
                self.current.setText(f"已录入 {fen_to_yuan(got.amount_fen)} 元；这个月的结算单已定稿，不能再修改")
            else:
                self.current.setText(f"已录入 {fen_to_yuan(got.amount_fen)} 元，保存将改为新金额（草稿随之重算）")
            if not self.amount.text().strip():
                self.amount.setText(fen_to_yuan(got.amount_fen))
                self.amount.selectAll()
            if not self.note.text().strip():
                self.note.setText(getattr(got, "note", "") or "")

        Op(self, lambda: statements.subsidies(month)).success(found).failure(lambda _e: None).run()

    def submit(self) -> None:
        self.error.clear_error()
        site_id, month = self.village.currentData(), self.month.currentData()
        if not site_id:
            self.error.show_error("请选择村卫生室")
            self.village.setFocus()
            return
        try:
            fen = parse_subsidy(self.amount.text())
        except ValidationError as error:
            self._failed(error)
            return
        note = self.note.text().strip()
        statements = self.sv.statements
        self.ok_button.setEnabled(False)

        def write() -> int:
            statements.set_subsidy(site_id, month, fen, note)
            return fen

        Op(self, write).success(lambda f: self._done(site_id, month, f)).failure(self._failed).busy() \
            .changes("statements").run()

    def _done(self, site_id: str, month: str, fen: int) -> None:
        self.saved.emit(site_id, month, fen)
        self.accept()

    def _failed(self, error: CunyiError) -> None:
        self.ok_button.setEnabled(True)
        self.error.show_error(str(error))
        self.adjustSize()
        focus_field(error, self.fields, self.amount)


class ConfirmDialog(QDialog):
    """定稿 or 确认: what will happen, an optional note, the action on Ctrl+Enter (Enter on the button).

    ``run(note)`` runs on the database thread; its result is emitted by ``completed``; a refusal is shown
    under the text, with ``advice(error)`` (what to do) when it gives one.
    """

    completed = Signal(object)

    def __init__(self, parent: QWidget | None, title: str, action: str, prompt: str, run: Callable[[str], Any], *,
                 note: bool = False, advice: Callable[[CunyiError], str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self._run = run
        self._advice = advice
        layout = QVBoxLayout(self)
        self.prompt = QLabel(prompt)
        self.prompt.setWordWrap(True)
        self.prompt.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.prompt)
        self.note: QPlainTextEdit | None = None
        if note:
            layout.addWidget(QLabel("备注（可不填）"))
            self.note = QPlainTextEdit()
            self.note.setFixedHeight(60)
            self.note.setTabChangesFocus(True)
            layout.addWidget(self.note)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        self.advice = hint()
        self.advice.setWordWrap(True)
        self.advice.hide()
        layout.addWidget(self.advice)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(f"{action} (Ctrl+Enter)", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setProperty("kind", "primary")
        self.ok_button.setToolTip(f"{action}（Ctrl+Enter）")
        buttons.addButton("取消 (Esc)", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        _ok_shortcuts(self, self.submit)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        (self.note or self.ok_button).setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        if not self.ok_button.isEnabled():
            return
        self.error.clear_error()
        self.advice.hide()
        note = self.note.toPlainText().strip() if self.note is not None else ""
        run = self._run
        self.ok_button.setEnabled(False)
        Op(self, lambda: run(note)).success(self._done).failure(self._failed).busy().changes("statements").run()

    def _done(self, result: Any) -> None:
        self.completed.emit(result)
        self.accept()

    def _failed(self, error: CunyiError) -> None:
        self.ok_button.setEnabled(True)
        self.error.show_error(str(error))
        what = self._advice(error) if self._advice else ""
        self.advice.setText(what)
        self.advice.setVisible(bool(what))
        self.adjustSize()  # the wrapped lines need their height: grow rather than squeeze them
