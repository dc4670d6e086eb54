"""居民档案 dialog: create or edit one resident.

The ID number is checked while typing (GB 11643: length, region, birth date, check digit) and the
sex, birth date and age it encodes are shown at once; the phone number likewise. Household: a new
one headed by this resident, or join one found by its head. Enrollment years and chronic
qualifications are small editable tables. Saving goes through ``ResidentService`` (``Op``); a
namesake with the same birth date is warned about before saving and again after.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain import clock
from app.domain.enums import AssistanceCategory
from app.domain.errors import CunyiError, ValidationError
from app.domain.idcard import check_phone, parse_id_number
from app.services.residents.types import RELATIONS, ResidentForm, ResidentInfo, ResidentSaved

from .. import errors
from ..models.outpatient_diagnoses import chronic_names
from ..models.residents import ChronicModel, EnrollmentModel
from ..widgets.forms import ErrorLabel, focus_field
from ..widgets.resident_box import ResidentBox
from ..workers import Op

_OK = "color: #1b5e20;"
_BAD = "color: #b3261e;"
_HINT = "color: #52606d;"
_WARN = "color: #8d4b00; background: #fff4e5; border: 1px solid #ffd8a8; border-radius: 6px; padding: 6px 8px;"


def id_summary(text: str, today: date | None = None) -> tuple[bool | None, str]:
    """(ok, message) for the live ID check: None while still typing, True/False once it can be judged."""
    raw = "".join(text.split()).upper()
    today = today or clock.today()
    if len(raw) < 15 or len(raw) in (16, 17):
        return None, f"已输入 {len(raw)} 位，身份证号为 18 位" if raw else "输入 18 位身份证号，性别与出生日期自动识别"
    try:
        card = parse_id_number(raw, "身份证号", today)
    except ValidationError as exc:
        return False, exc.message
    sex = "男" if card.sex == "M" else "女"
    return True, f"✓ {sex} · {card.birth_date.isoformat()} 出生 · {card.age_on(today)}岁 · {card.province}"


def _table(model: Any, widths: tuple[int, ...]) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers & ~QAbstractItemView.EditTrigger.CurrentChanged)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for col, width in enumerate(widths):
        header.resizeSection(col, width)
    header.setStretchLastSection(True)
    view.verticalHeader().setDefaultSectionSize(30)
    view.setMinimumHeight(130)
    view.setMaximumHeight(170)
    view.setTabKeyNavigation(False)
    return view


class ResidentDialog(QDialog):
    """新建/编辑居民档案. ``saved(ResidentInfo)`` after a successful save (then the dialog closes)."""

    saved = Signal(object)

    def __init__(self, sv: Any, parent: QWidget | None = None, resident: ResidentInfo | None = None,
                 id_number: str = "") -> None:
        super().__init__(parent)
        self.sv = sv
        self.resident = resident
        self.household_head: ResidentInfo | None = None
        self.setObjectName("residentDialog")
        self.setWindowTitle("编辑居民档案" if resident else "新建居民档案")
        self.setMinimumWidth(900)

        self.id_edit = QLineEdit(id_number)
        self.id_edit.setMaxLength(20)
        self.id_edit.setPlaceholderText("18 位身份证号（15 位旧号码自动转换）")
        self.id_info = QLabel()
        self.id_info.setObjectName("idInfo")
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(32)
        self.phone_edit = QLineEdit()
        self.phone_edit.setPlaceholderText("手机号或固定电话，可不填")
        self.phone_info = QLabel()
        self.address_edit = QLineEdit()
        self.address_edit.setPlaceholderText("如 示例村3组")
        self.insurance_edit = QLineEdit()
        self.insurance_edit.setPlaceholderText("可不填")
        self.assistance = QComboBox()
        self.assistance.addItem("无", None)
        for category in AssistanceCategory:
            self.assistance.addItem(category.label, category.value)
        self.namesake = QLabel()
        self.namesake.setWordWrap(True)
        self.namesake.setStyleSheet(_WARN)
        self.namesake.hide()

        # household
        self.household_mode = QComboBox()
        if resident:
            self.household_mode.addItem("保持当前家庭户", "keep")
        else:
            self.household_mode.addItem("新建家庭户（本人为户主）", "new")
        self.household_mode.addItem("加入其他家庭户（按户主查找）", "join")
        self.head_box = ResidentBox(sv.residents.search, placeholder="输入户主姓名/拼音/身份证号，Enter 选择")
        self.head_box.picked.connect(self._head_picked)
        self.head_label = QLabel()
        self.relation = QComboBox()
        self.relation.addItems(RELATIONS)
        self.household_mode.currentIndexChanged.connect(self._household_mode_changed)

        # enrollment and chronic tables
        self.enrollments = EnrollmentModel(self)
        self.chronic = ChronicModel(self, chronic_names())
        self.enrollment_view = _table(self.enrollments, (64, 128, 96, 82, 60))
        self.chronic_view = _table(self.chronic, (50, 78, 96, 90))
        self._saved_rows = (0, 0)  # rows that exist in the database are never removed (synced)
        self.enrollments.problem.connect(self._show_problem)
        self.chronic.problem.connect(self._show_problem)
        add_year = QPushButton("添加参保年度")
        add_year.clicked.connect(self.add_enrollment)
        add_chronic = QPushButton("添加慢特病资格")
        add_chronic.clicked.connect(self.add_chronic)

        self.error = ErrorLabel()
        self.save_button = QPushButton("保存 (Ctrl+S)")
        self.save_button.setProperty("kind", "primary")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton("取消")
        cancel.clicked.connect(self.reject)

        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(8)
        id_column = QVBoxLayout()
        id_column.setSpacing(2)
        id_column.addWidget(self.id_edit)
        id_column.addWidget(self.id_info)
        form.addRow("身份证号 *", id_column)
        form.addRow("姓名 *", self.name_edit)
        phone_column = QVBoxLayout()
        phone_column.setSpacing(2)
        phone_column.addWidget(self.phone_edit)
        phone_column.addWidget(self.phone_info)
        form.addRow("手机号", phone_column)
        form.addRow("住址", self.address_edit)
        two = QHBoxLayout()
        two.addWidget(self.insurance_edit, 1)
        two.addWidget(QLabel("救助类别"))
        two.addWidget(self.assistance, 1)
        form.addRow("医保号", two)
        household = QGridLayout()
        household.setHorizontalSpacing(8)
        household.addWidget(self.household_mode, 0, 0)
        household.addWidget(QLabel("与户主关系"), 0, 1)
        household.addWidget(self.relation, 0, 2)
        household.addWidget(self.head_box, 1, 0)
        household.addWidget(self.head_label, 1, 1, 1, 2)
        household.setColumnStretch(0, 1)
        form.addRow("家庭户", household)

        tables = QGridLayout()
        tables.setHorizontalSpacing(16)
        for col, (title, view, button) in enumerate((("参保年度", self.enrollment_view, add_year),
                                                     ("门诊慢特病资格", self.chronic_view, add_chronic))):
            head = QHBoxLayout()
            label = QLabel(title)
            label.setProperty("role", "section")
            head.addWidget(label, 1)
            head.addWidget(button)
            tables.addLayout(head, 0, col)
            tables.addWidget(view, 1, col)
        tables.setColumnStretch(0, 3)
        tables.setColumnStretch(1, 2)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.setSpacing(10)
        layout.addLayout(form)
        layout.addWidget(self.namesake)
        layout.addLayout(tables)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        self.fields: dict[str, QWidget] = {
            "身份证号": self.id_edit, "姓名": self.name_edit, "手机号": self.phone_edit, "住址": self.address_edit,
            "医保号": self.insurance_edit, "救助类别": self.assistance, "与户主关系": self.relation,
            "家庭户": self.head_box, "参保年度": self.enrollment_view, "参保日期": self.enrollment_view,
            "补缴年数": self.enrollment_view, "慢特病编码": self.chronic_view, "慢特病名称": self.chronic_view,
            "慢特病有效期": self.chronic_view,
        }
        QShortcut(QKeySequence("Ctrl+S"), self, self.save)
        self.id_edit.textChanged.connect(self._id_changed)
        self.phone_edit.textChanged.connect(self._phone_changed)
        self._namesake_timer = QTimer(self)
        self._namesake_timer.setSingleShot(True)
        self._namesake_timer.setInterval(300)
        self._namesake_timer.timeout.connect(self._check_namesake)
        self.name_edit.textChanged.connect(lambda _t: self._namesake_timer.start())
        if resident:
            self._fill(resident)
        else:
            self.enrollments.set_records(())
            self.chronic.set_records(())
        self._id_changed(self.id_edit.text())
        self._phone_changed(self.phone_edit.text())
        self._household_mode_changed()
        (self.name_edit if id_number and not resident else self.id_edit).setFocus()

    # -- filling --------------------------------------------------------------------------------
    def _fill(self, r: ResidentInfo) -> None:
        self.id_edit.setText(r.id_number)
        self.name_edit.setText(r.name)
        self.phone_edit.setText(r.phone)
        self.address_edit.setText(r.address)
        self.insurance_edit.setText(r.insurance_no)
        self.assistance.setCurrentIndex(max(0, self.assistance.findData(r.assistance_category)))
        self.relation.setCurrentText(r.relation_to_head)
        self.enrollments.set_records(r.enrollments)
        self.chronic.set_records(r.chronic)
        self._saved_rows = (len(r.enrollments), len(r.chronic))
        if not r.owned_here:
            self.error.show_error("该居民档案属于其他机构，本机只能查看，不能修改")
            self.save_button.setEnabled(False)

    def add_enrollment(self) -> None:
        today = clock.today()
        year = today.year if today.year not in self.enrollments.years() else max(self.enrollments.years()) + 1
        row = self.enrollments.add_row([year, today, True, 0, False])
        self.enrollment_view.setCurrentIndex(self.enrollments.index(row, 1))
        self.enrollment_view.setFocus()

    def add_chronic(self) -> None:
        today = clock.today()
        row = self.chronic.add_row(["I10", "高血压", today, date(today.year + 1, 12, 31)])
        self.chronic_view.setCurrentIndex(self.chronic.index(row, 0))
        self.chronic_view.setFocus()

    # -- live checks ----------------------------------------------------------------------------
    def _id_changed(self, text: str) -> None:
        ok, message = id_summary(text)
        self.id_info.setText(message)
        self.id_info.setStyleSheet(_HINT if ok is None else _OK if ok else _BAD)
        self.id_info.setProperty("ok", ok)
        if ok:
            self._namesake_timer.start()

    def _phone_changed(self, text: str) -> None:
        if not text.strip():
            self.phone_info.setText("")
            return
        try:
            self.phone_info.setText(f"✓ {check_phone(text)}")
            self.phone_info.setStyleSheet(_OK)
        except ValidationError as exc:
            self.phone_info.setText(exc.message)
            self.phone_info.setStyleSheet(_BAD)

    def _household_mode_changed(self) -> None:
        join = self.household_mode.currentData() == "join"
        self.head_box.setVisible(join)
        self.head_label.setVisible(join)
        if not join and not self.resident:
            self.relation.setCurrentText("本人")
        self.relation.setEnabled(join or self.resident is not None)

    def _head_picked(self, head: ResidentInfo) -> None:
        self.household_head = head
        self.head_label.setText(f"户主：{head.name}（{head.masked_id}）{head.address}")
        if self.relation.currentText() == "本人":
            self.relation.setCurrentText("配偶")
        self.address_edit.setText(self.address_edit.text() or head.address)

    def _check_namesake(self) -> None:
        name = "".join(self.name_edit.text().split())
        ok, _ = id_summary(self.id_edit.text())
        if not name or not ok:
            self.namesake.hide()
            return
        born = parse_id_number(self.id_edit.text()).birth_date
        own = self.resident.id if self.resident else None
        search = self.sv.residents.search
        Op(self, lambda: search(name, 50)).success(lambda found: self._show_namesakes(found, name, born, own)).run()

    def _show_namesakes(self, found: list[ResidentInfo], name: str, born: date, own: str | None) -> None:
        same = [r for r in found if r.name == name and r.birth_date == born and r.id != own]
        if same:
            who = "、".join(f"{r.name}（{r.masked_id}，{r.address or '无住址'}）" for r in same)
            self.namesake.setText(f"注意：已有同名且出生日期相同的居民 {who}。请确认不是同一人重复建档。")
        self.namesake.setVisible(bool(same))

    def _show_problem(self, message: str) -> None:
        self.error.show_error(message)

    # -- saving ---------------------------------------------------------------------------------
    def form(self) -> ResidentForm:
        mode = self.household_mode.currentData()
        if mode == "join":
            if self.household_head is None or not self.household_head.household_id:
                raise ValidationError("加入其他家庭户：请先在户主栏输入户主姓名并按 Enter 选择户主", "家庭户")
            household_id = self.household_head.household_id
        else:
            household_id = None
        return ResidentForm(
            id_number=self.id_edit.text(), name=self.name_edit.text(), phone=self.phone_edit.text(),
            address=self.address_edit.text(), household_id=household_id, relation_to_head=self.relation.currentText(),
            assistance_category=self.assistance.currentData(), insurance_no=self.insurance_edit.text(),
            enrollments=self.enrollments.records(), chronic=self.chronic.records(),
        )

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        self.error.clear_error()
        try:
            parse_id_number(self.id_edit.text(), "身份证号")
            form = self.form()
        except CunyiError as exc:
            self._failed(exc)
            return
        residents, resident = self.sv.residents, self.resident
        fn = (lambda: residents.update(resident.id, form)) if resident else (lambda: residents.create(form))
        self.save_button.setEnabled(False)
        Op(self, fn).success(self._saved).failure(self._failed).busy().changes("residents").run()

    def _failed(self, error: CunyiError) -> None:
        self.save_button.setEnabled(True)
        self.error.show_error(str(error))
        focus_field(error, self.fields, self.id_edit)

    def _saved(self, result: ResidentSaved) -> None:
        self.save_button.setEnabled(True)
        if result.warnings:
            errors.show_info(self.parentWidget(), "\n".join(result.warnings), "请核对：可能重复建档")
        self.saved.emit(result.resident)
        self.accept()

    def keyPressEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        # Enter inside the tables edits a cell; elsewhere it saves (the default button)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and isinstance(self.focusWidget(), QTableView):
            return
        if event.key() == Qt.Key.Key_Delete and self.focusWidget() in (self.enrollment_view, self.chronic_view):
            self._delete_new_row(self.focusWidget())
            return
        super().keyPressEvent(event)

    def _delete_new_row(self, view: QTableView) -> None:
        """Del removes a row added in this dialog; saved rows stay (correct them instead)."""
        model, saved = ((self.enrollments, self._saved_rows[0]) if view is self.enrollment_view
                        else (self.chronic, self._saved_rows[1]))
        row = view.currentIndex().row()
        if row < 0:
            return
        if row < saved:
            self.error.show_error("已保存的记录不能删除（会同步到乡镇），请直接修改其内容")
            return
        model.remove_row(row)
