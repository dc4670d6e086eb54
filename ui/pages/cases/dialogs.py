"""帮办代办 dialogs: 受理 a new case (``OpenCaseDialog``) and one step of the timeline (``StepDialog``:
报送, 退回补件, 办结, 不予办理, 补齐材料重新报送).

Both call the case service through ``Op``; a ``ValidationError``/``RuleViolation`` is shown in red under
the form and the field it names gets the focus. Nothing is kept when the service refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.cases import CLOSE_RELATIVE_GROUPS
from app.domain.enums import CaseType
from app.domain.errors import CunyiError
from app.services.cases.types import CaseForm
from ui.widgets.forms import ErrorLabel, focus_field
from ui.widgets.layout import EnterAdvances, form_layout, hint, shortcut
from ui.widgets.resident_box import ResidentBox, resident_line
from ui.workers import Op

#: where the clinic's phone for the papers is kept on this computer
PHONE_SETTING = "cases/phone"


def saved_phone(site_phone: str = "") -> str:
    """The phone for the papers: the one typed last on this computer, else the clinic's own (its site row)."""
    return str(QSettings().value(PHONE_SETTING, "") or "") or site_phone


class _Checklist(QGroupBox):
    """One checkbox per checklist item."""

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self._layout = QVBoxLayout(self)
        self._layout.setSpacing(4)
        self.boxes: list[QCheckBox] = []

    def set_items(self, items: Sequence[str], ticked: Sequence[str] = ()) -> None:
        for box in self.boxes:
            box.hide()
            self._layout.removeWidget(box)
            box.deleteLater()
        self.boxes = []
        for item in items:
            box = QCheckBox(item)
            box.setChecked(item in ticked)
            self._layout.addWidget(box)
            self.boxes.append(box)

    def ticked(self) -> tuple[str, ...]:
        return tuple(b.text() for b in self.boxes if b.isChecked())


class OpenCaseDialog(QDialog):
    """受理: the resident, the type, an optional 代办人, the material already collected."""

    opened = Signal(object, object)  # CaseOpened, phone text

    def __init__(self, sv: Any, types: Any, parent: QWidget | None = None, site_phone: str = "") -> None:
        super().__init__(parent)
        self.sv = sv
        self.types = types
        self.resident: Any = None
        self.setWindowTitle("受理帮办代办事项")
        self.setMinimumWidth(600)
        layout = QVBoxLayout(self)
        form = form_layout()
        self.resident_box = ResidentBox(sv.residents.search)
        self.resident_box.picked.connect(self._picked)
        self.resident_box.not_found.connect(lambda _t, message: self.error.show_error(message))
        self.resident_label = hint("输入姓名、拼音首字母或身份证号，Enter 选择")
        self.type_box = QComboBox()
        for case_type in CaseType:
            spec = types[case_type]
            self.type_box.addItem(f"{spec.label}（{spec.due_workdays} 个工作日）", case_type.value)
        self.type_box.setCurrentIndex(self.type_box.findData(CaseType.MANUAL_REIMBURSEMENT.value))
        self.agent_name = QLineEdit()
        self.agent_name.setPlaceholderText("本人办理时不填")
        self.agent_id = QLineEdit()
        self.agent_id.setPlaceholderText("18 位身份证号")
        self.agent_relation = QComboBox()
        self.agent_relation.setEditable(True)
        self.agent_relation.addItems(["", *CLOSE_RELATIVE_GROUPS, "邻居", "村干部"])
        self.agent_relation.lineEdit().setPlaceholderText("如 子女、配偶")
        self.note = QLineEdit()
        self.note.setPlaceholderText("可不填")
        self.phone = QLineEdit(saved_phone(site_phone))
        self.phone.setPlaceholderText("印在回执和告知单上，如 0371-5550123")
        form.addRow("居民", self.resident_box)
        form.addRow("", self.resident_label)
        form.addRow("事项类型", self.type_box)
        form.addRow("代办人姓名", self.agent_name)
        form.addRow("代办人身份证号", self.agent_id)
        form.addRow("与居民关系", self.agent_relation)
        form.addRow("备注", self.note)
        form.addRow("联系电话", self.phone)
        layout.addLayout(form)
        self.checklist = _Checklist("已收材料（一次性告知清单，勾选已经收到的）")
        layout.addWidget(self.checklist)
        self.type_note = hint()
        self.type_note.setWordWrap(True)
        layout.addWidget(self.type_note)
        self.print_after = QCheckBox("受理后打印受理回执和一次性告知单")
        self.print_after.setChecked(True)
        layout.addWidget(self.print_after)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton("受理", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setProperty("kind", "primary")
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.type_box.currentIndexChanged.connect(lambda _i: self._type_changed())
        self._type_changed()
        self.fields: dict[str, QWidget] = {
            "居民": self.resident_box, "事项类型": self.type_box, "代办人": self.agent_name,
            "代办人姓名": self.agent_name, "代办人身份证号": self.agent_id, "与居民关系": self.agent_relation,
            "备注": self.note, "已收材料": self.checklist,
        }
        EnterAdvances([self.type_box, self.agent_name, self.agent_id, self.agent_relation, self.note, self.phone],
                      self.submit)

    def case_type(self) -> CaseType:
        return CaseType(self.type_box.currentData())

    def _type_changed(self) -> None:
        spec = self.types[self.case_type()]
        self.checklist.set_items(spec.materials)
        family = self.case_type() is CaseType.FAMILY_ACCOUNT
        self.type_note.setText(
            "家庭共济：代办人填出资的职工医保参保人，只限近亲属（" + "、".join(CLOSE_RELATIVE_GROUPS) + "）"
            if family else f"受理后 {spec.due_workdays} 个工作日内办结（节假日不计）")

    def _picked(self, resident: Any) -> None:
        self.resident = resident
        self.resident_label.setText(resident_line(resident))
        self.error.clear_error()
        self.type_box.setFocus()

    def set_resident(self, resident: Any) -> None:
        self.resident_box.setText(resident.name)
        self._picked(resident)

    def form(self) -> CaseForm:
        return CaseForm(resident_id=self.resident.id if self.resident else "", case_type=self.case_type(),
                        agent_name=self.agent_name.text().strip(), agent_id_number=self.agent_id.text().strip(),
                        agent_relation=self.agent_relation.currentText().strip(), collected=self.checklist.ticked(),
                        note=self.note.text().strip())

    def submit(self) -> None:
        if self.resident is None:
            self.error.show_error("请先选择居民（输入姓名或身份证号后按 Enter）")
            self.resident_box.setFocus()
            return
        self.error.clear_error()
        form, phone = self.form(), self.phone.text().strip()
        QSettings().setValue(PHONE_SETTING, phone)
        self.ok_button.setEnabled(False)
        cases = self.sv.cases
        Op(self, lambda: cases.open(form)).success(lambda got: self._done(got, phone)).failure(self._failed) \
            .busy().changes("cases").run()

    def _done(self, opened: Any, phone: str) -> None:
        self.opened.emit(opened, phone)
        self.accept()

    def _failed(self, error: CunyiError) -> None:
        self.ok_button.setEnabled(True)
        self.error.show_error(str(error))
        focus_field(error, self.fields, self.resident_box)


class StepDialog(QDialog):
    """One step of a case's timeline: optional checklist items to tick, a note (required when asked)."""

    stepped = Signal(object)  # the CaseInfo after the step

    def __init__(self, parent: QWidget | None, title: str, action: str, *, prompt: str = "",
                 items: Sequence[str] = (), ticked: Sequence[str] = (), items_title: str = "",
                 note_label: str = "备注", note_required: bool = False,
                 run: Callable[[tuple[str, ...], str], Any], field: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        self._run = run
        self.note_required = note_required
        self.note_label = note_label
        layout = QVBoxLayout(self)
        if prompt:
            label = QLabel(prompt)
            label.setWordWrap(True)
            layout.addWidget(label)
        self.checklist = _Checklist(items_title)
        self.checklist.set_items(items, ticked)
        self.checklist.setVisible(bool(items))
        layout.addWidget(self.checklist)
        layout.addWidget(QLabel(note_label + ("（必填）" if note_required else "（可不填）") + " · Ctrl+Enter 确定"))
        self.note = QPlainTextEdit()
        self.note.setFixedHeight(72)
        layout.addWidget(self.note)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setProperty("kind", "primary")
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.fields: dict[str, QWidget] = {note_label: self.note, field or "缺少材料": self.checklist,
                                           "已收材料": self.checklist}
        self.ok_button.setToolTip(f"{action}（Ctrl+Enter）")
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut(self, keys, self.submit)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        first = self.checklist.boxes[0] if self.checklist.boxes else self.note
        first.setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        note = self.note.toPlainText().strip()
        if self.note_required and not note:
            self.error.show_error(f"请填写{self.note_label}")
            self.note.setFocus()
            return
        items = self.checklist.ticked()
        self.error.clear_error()
        self.ok_button.setEnabled(False)
        run = self._run
        Op(self, lambda: run(items, note)).success(self._done).failure(self._failed).busy().changes("cases").run()

    def _done(self, case: Any) -> None:
        self.stepped.emit(case)
        self.accept()

    def _failed(self, error: CunyiError) -> None:
        self.ok_button.setEnabled(True)
        self.error.show_error(str(error))
        focus_field(error, self.fields, self.note)
