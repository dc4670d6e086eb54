"""A confirmation dialog for stock writes (冲正, 报损, 退回乡镇, 取消盘点), optionally asking for a reason.

It runs the write itself through ``Op`` when confirmed and stays open with the message in red if the
service refuses, so nothing is lost and the user can correct the reason or cancel. It is opened with
``open()`` (window-modal, not blocking); Enter confirms, Esc cancels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import CunyiError, ValidationError

from ..widgets.forms import ErrorLabel
from ..workers import Op


class OpDialog(QDialog):
    """A dialog whose OK runs one service call through ``Op``.

    On success the result is kept in ``result_value``, the dialog closes and ``on_done(result)`` is
    called; refused, it stays open with the message in red, OK enabled again and the focus where
    ``refocus`` puts it. Subclasses build ``self.error`` and the buttons (``ok_cancel``).
    """

    error: ErrorLabel
    ok_button: QPushButton
    on_done: Callable[[Any], None] | None = None
    result_value: Any = None

    def ok_cancel(self, ok_text: str, cancel_text: str, on_ok: Callable[[], None]) -> QDialogButtonBox:
        """确认/取消 buttons: OK is the primary, default button and runs ``on_ok``; Cancel (Esc) rejects."""
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setProperty("kind", "primary")
        self.ok_button.setDefault(True)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(cancel_text)
        buttons.accepted.connect(on_ok)
        buttons.rejected.connect(self.reject)
        return buttons

    def run_op(self, fn: Callable[[], Any], busy: str | None = None, changes: Sequence[str] = ()) -> None:
        """Run ``fn`` on the database thread with OK disabled until it is done."""
        self.ok_button.setEnabled(False)
        Op(self, fn).success(self.succeeded).failure(self.failed).busy(busy).changes(*changes).run()

    def succeeded(self, result: Any) -> None:
        self.result_value = result
        self.accept()
        if self.on_done is not None:
            self.on_done(result)

    def failed(self, error: CunyiError) -> None:
        self.ok_button.setEnabled(True)
        self.error.show_error(str(error))
        self.refocus(error)

    def refocus(self, error: CunyiError) -> None:
        """Where the focus goes after a refusal (the field the message names, when there is one)."""
        raise NotImplementedError


class ConfirmDialog(OpDialog):
    """Title, what will happen, details (label → value), an optional reason; 确认 runs ``action``.

    Args:
        action: ``action(reason)`` returns the function to run on the database thread.
        on_done: called with that function's result after the dialog has closed.
        reason_label: ask for a reason with this label (required unless ``reason_optional``).
        reason_choices: preset reasons offered in an editable combo box.
        changes: ``data_changed`` areas emitted on success.
    """

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        text: str,
        action: Callable[[str], Callable[[], Any]],
        *,
        on_done: Callable[[Any], None] | None = None,
        details: Sequence[tuple[str, str]] = (),
        reason_label: str | None = None,
        reason_choices: Sequence[str] = (),
        reason_optional: bool = False,
        confirm_text: str = "确认",
        danger: bool = False,
        changes: Sequence[str] = ("stock",),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("stockConfirm")
        self.setMinimumWidth(460)
        self.action = action
        self.on_done = on_done
        self.changes = tuple(changes)
        self.reason_label = reason_label
        self.reason_optional = reason_optional
        message = QLabel(text)
        message.setWordWrap(True)
        message.setProperty("role", "section" if danger else "")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addWidget(message)
        form = QFormLayout()
        form.setHorizontalSpacing(18)
        form.setVerticalSpacing(8)
        for label, value in details:
            shown = QLabel(value)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, shown)
        self.reason: QLineEdit | None = None
        if reason_label:
            if reason_choices:
                box = QComboBox()
                box.setEditable(True)
                box.addItems(list(reason_choices))
                box.setCurrentIndex(-1)
                self.reason = box.lineEdit()
                form.addRow(f"{reason_label}(&R)", box)
            else:
                self.reason = QLineEdit()
                form.addRow(f"{reason_label}(&R)", self.reason)
            self.reason.setPlaceholderText("可不填" if reason_optional else "必填：请写明原因")
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        self.buttons = self.ok_cancel(confirm_text, "取消 (Esc)", self.confirm)
        layout.addWidget(self.buttons)
        (self.reason or self.ok_button).setFocus()

    def reason_text(self) -> str:
        return self.reason.text().strip() if self.reason is not None else ""

    def confirm(self) -> None:
        if not self.ok_button.isEnabled():
            return
        reason = self.reason_text()
        if self.reason is not None and not reason and not self.reason_optional:
            self.failed(ValidationError(f"{self.reason_label}不能为空，请写明原因", self.reason_label))
            return
        self.ok_button.setEnabled(False)
        self.run_op(self.action(reason), changes=self.changes)

    def refocus(self, error: CunyiError) -> None:
        if self.reason is not None:
            self.reason.setFocus()
