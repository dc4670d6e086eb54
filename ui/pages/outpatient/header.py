"""The top card of 门诊收费: who the patient is (and their coverage), the diagnosis, the chronic pool
and 委托代购.

Picking a resident loads ``ResidentService.coverage`` through ``Op``; coverage problems (未参保,
等待期至…) show in red at once, before anything else is entered.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.domain import clock
from app.domain.errors import CunyiError
from app.domain.money import fen_to_yuan
from app.services.residents.types import CoverageInfo, ResidentInfo
from ui.dialogs.resident import id_summary
from ui.models.residents import short_address
from ui.pages.outpatient.diagnosis import DiagnosisBox
from ui.widgets.resident_box import ResidentBox
from ui.workers import Op

STYLE = """
#visitHeader { background: #ffffff; border: 1px solid #dde3ea; border-radius: 10px; }
#visitHeader QLabel { background: transparent; }
QLabel#residentLine { font-size: 17px; color: #102a43; }
QLabel#residentLine[empty="true"] { font-size: 14px; color: #7b8794; }
QLabel#coverageLine { font-size: 14px; color: #334e68; }
QLabel#coverageWarning { font-size: 15px; font-weight: bold; color: #ffffff; background: #c62828;
                         border-radius: 5px; padding: 2px 10px; }
QLabel#diagnosisCode { color: #0d47a1; font-weight: bold; min-width: 48px; }
QLabel[field="caption"] { color: #486581; font-weight: bold; }
QLabel#agentCheck[ok="false"] { color: #b3261e; }
QLabel#agentCheck[ok="true"] { color: #1b5e20; }
"""


def coverage_text(c: CoverageInfo) -> str:
    """``已参保2026 · 统筹已用 123.40/400.00 · 特困人员 · 高血压(至2027-06)`` (DESIGN §11)."""
    if not c.enrolled:
        parts = [f"未参保{c.year}"]
    else:
        parts = [f"已参保{c.year}", f"统筹已用 {fen_to_yuan(c.fund_used_fen)}/{fen_to_yuan(c.annual_cap_fen)}"]
    if c.assistance_label:
        parts.append(c.assistance_label)
    parts += [f"{q.name}(至{q.valid_to:%Y-%m})" for q in c.chronic]
    return " · ".join(parts)


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("field", "caption")
    return label


class VisitHeader(QFrame):
    """Resident search and coverage line, diagnosis (+ ICD-10), 慢特病 pool, 委托代购 agent."""

    #: a resident was picked (ResidentInfo) or cleared (None)
    resident_changed = Signal(object)
    #: the chronic pool or the agent changed (the split may change)
    changed = Signal()
    #: Enter in the diagnosis: go on to the drugs
    diagnosis_done = Signal()

    def __init__(self, sv: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sv = sv
        self.setObjectName("visitHeader")
        self.setStyleSheet(STYLE)
        self.resident: ResidentInfo | None = None
        self.coverage: CoverageInfo | None = None
        self._chronic_touched = False
        self._generation = 0

        self.resident_box = ResidentBox(sv.residents.search)
        self.resident_box.setFixedWidth(300)
        self.resident_box.picked.connect(self.set_resident)
        self.resident_line = QLabel("请先查找参保人：输入身份证号、姓名、拼音首字母或扫医保电子凭证，按 Enter 选择")
        self.resident_line.setObjectName("residentLine")
        self.resident_line.setProperty("empty", True)
        self.coverage_line = QLabel()
        self.coverage_line.setObjectName("coverageLine")
        self.warning = QLabel()
        self.warning.setObjectName("coverageWarning")
        self.warning.hide()

        self.diagnosis = DiagnosisBox()
        self.diagnosis.setObjectName("diagnosis")
        self.diagnosis.code_changed.connect(self._code_changed)
        self.diagnosis.done.connect(self.diagnosis_done)
        self.code_label = QLabel()
        self.code_label.setObjectName("diagnosisCode")
        self.code_label.setToolTip("ICD-10 编码（从常用诊断中选择时自动填入）")

        self.chronic = QComboBox()
        self.chronic.setObjectName("chronicPool")
        self.chronic.setMinimumWidth(190)
        self.chronic.activated.connect(self._chronic_activated)
        self._fill_chronic(())

        self.agent_check = QCheckBox("委托代购")
        self.agent_check.toggled.connect(self._agent_toggled)
        self.agent_name = QLineEdit()
        self.agent_name.setPlaceholderText("代办人姓名")
        self.agent_name.setMaxLength(32)
        self.agent_name.setFixedWidth(130)
        self.agent_id = QLineEdit()
        self.agent_id.setPlaceholderText("代办人身份证号")
        self.agent_id.setMaxLength(20)
        self.agent_id.setFixedWidth(220)
        self.agent_info = QLabel()
        self.agent_info.setObjectName("agentCheck")
        self.agent_id.textChanged.connect(self._agent_id_changed)
        self.agent_name.textChanged.connect(lambda _t: self.changed.emit())

        for label in (self.resident_line, self.coverage_line, self.agent_info):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # clip, never widen
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(_caption("居民"))
        top.addWidget(self.resident_box)
        who = QVBoxLayout()
        who.setSpacing(2)
        who.addWidget(self.resident_line)
        cover = QHBoxLayout()
        cover.setSpacing(10)
        cover.addWidget(self.warning)
        cover.addWidget(self.coverage_line, 1)
        who.addLayout(cover)
        top.addLayout(who, 1)
        second = QHBoxLayout()
        second.setSpacing(10)
        second.addWidget(_caption("诊断"))
        second.addWidget(self.diagnosis, 1)
        second.addWidget(self.code_label)
        second.addSpacing(8)
        second.addWidget(_caption("慢特病"))
        second.addWidget(self.chronic)
        second.addSpacing(8)
        second.addWidget(self.agent_check)
        self.agent_row = QWidget()
        agent = QHBoxLayout(self.agent_row)
        agent.setContentsMargins(0, 0, 0, 0)
        agent.setSpacing(10)
        agent.addWidget(_caption("代办人"))
        agent.addWidget(self.agent_name)
        agent.addWidget(_caption("身份证号"))
        agent.addWidget(self.agent_id)
        agent.addWidget(self.agent_info, 1)
        grid = QGridLayout(self)
        grid.setContentsMargins(16, 10, 16, 10)
        grid.setVerticalSpacing(8)
        grid.addLayout(top, 0, 0)
        grid.addLayout(second, 1, 0)
        grid.addWidget(self.agent_row, 2, 0)
        self._agent_toggled(False)

    # -- resident -------------------------------------------------------------------------------
    def set_resident(self, resident: ResidentInfo | None) -> None:
        self.resident = resident
        self.coverage = None
        self._generation += 1
        self._chronic_touched = False
        self._fill_chronic(())
        self.warning.hide()
        self.resident_line.setProperty("empty", resident is None)
        self.resident_line.style().unpolish(self.resident_line)
        self.resident_line.style().polish(self.resident_line)
        if resident is None:
            self.resident_line.setText("请先查找参保人：输入身份证号、姓名、拼音首字母或扫医保电子凭证，按 Enter 选择")
            self.coverage_line.setText("")
            self.resident_changed.emit(None)
            return
        today = clock.today()
        parts = [f"<b>{escape(resident.name)}</b>", resident.sex_label, f"{resident.age_on(today)}岁",
                 escape(short_address(resident.address)), f"<span style='color:#52606d; font-weight:normal'>"
                 f"{resident.masked_id}</span>"]
        self.resident_line.setText("&nbsp;&nbsp;".join(p for p in parts if p))
        self.coverage_line.setText("正在读取参保信息…")
        self.resident_changed.emit(resident)
        self.load_coverage()

    def load_coverage(self) -> None:
        if self.resident is None:
            return
        generation, resident_id, residents = self._generation, self.resident.id, self.sv.residents
        Op(self, lambda: residents.coverage(resident_id, clock.today())) \
            .success(lambda c: self._coverage_loaded(generation, c)) \
            .failure(lambda e: self._coverage_failed(generation, e)).run()

    def _coverage_loaded(self, generation: int, coverage: CoverageInfo) -> None:
        if generation != self._generation:
            return
        self.coverage = coverage
        self.coverage_line.setText(coverage_text(coverage))
        self.coverage_line.setToolTip(
            f"统筹年度限额 {fen_to_yuan(coverage.annual_cap_fen)}，已用 {fen_to_yuan(coverage.fund_used_fen)}，"
            f"剩余 {fen_to_yuan(coverage.cap_left_fen)}" + (f"；医疗救助剩余 {fen_to_yuan(coverage.assistance_cap_left_fen)}"
                                                         if coverage.assistance_label else ""))
        self.warning.setText(self._warning_text(coverage))
        self.warning.setVisible(bool(coverage.warning))
        self._fill_chronic(coverage.chronic)
        self._auto_chronic()
        self.changed.emit()

    @staticmethod
    def _warning_text(c: CoverageInfo) -> str:
        if not c.warning:
            return ""
        if not c.enrolled:
            return f"{c.warning}：不享受统筹，全部自付"
        return f"{c.warning}：不享受统筹"

    def _coverage_failed(self, generation: int, error: CunyiError) -> None:
        if generation == self._generation:
            self.coverage_line.setText("")
            self.warning.setText(str(error))
            self.warning.show()

    # -- diagnosis and chronic pool ------------------------------------------------------------
    def _code_changed(self, code: str) -> None:
        self.code_label.setText(code)
        self._auto_chronic()

    def _fill_chronic(self, qualifications: tuple) -> None:
        self.chronic.clear()
        self.chronic.addItem("普通门诊", None)
        for q in qualifications:
            self.chronic.addItem(f"{q.name} {q.code}（至{q.valid_to:%Y-%m-%d}）", q.code)
        self.chronic.setEnabled(bool(qualifications))

    def _auto_chronic(self) -> None:
        """A diagnosis of a qualified chronic disease settles in its pool (unless the doctor chose)."""
        code = self.diagnosis.code
        if self._chronic_touched or not code:
            return
        for i in range(1, self.chronic.count()):
            if code.startswith(str(self.chronic.itemData(i))):
                self.chronic.setCurrentIndex(i)
                self.changed.emit()
                return

    def _chronic_activated(self, _index: int) -> None:
        self._chronic_touched = True
        self.changed.emit()

    # -- agent ----------------------------------------------------------------------------------
    def _agent_toggled(self, on: bool) -> None:
        for widget in (self.agent_name, self.agent_id):
            widget.setEnabled(on)
        self.agent_row.setVisible(on)
        if on:
            self.agent_name.setFocus()
        self.changed.emit()

    def _agent_id_changed(self, text: str) -> None:
        ok, message = id_summary(text)
        self.agent_info.setText("" if ok is None else ("✓" if ok else message.split("：")[-1]))
        self.agent_info.setToolTip(message)
        self.agent_info.setProperty("ok", "true" if ok else "false")
        self.agent_info.style().unpolish(self.agent_info)
        self.agent_info.style().polish(self.agent_info)
        self.changed.emit()

    # -- values ---------------------------------------------------------------------------------
    def diagnosis_text(self) -> str:
        return self.diagnosis.text().strip()

    def diagnosis_code(self) -> str:
        return self.diagnosis.code

    def chronic_code(self) -> str | None:
        return self.chronic.currentData()

    def agent(self) -> tuple[str, str]:
        if not self.agent_check.isChecked():
            return "", ""
        return self.agent_name.text().strip(), self.agent_id.text().strip()

    def clear(self) -> None:
        self.resident_box.clear()
        self.resident_box.hide_popup()
        self.diagnosis.clear_diagnosis()
        self.agent_check.setChecked(False)
        self.agent_name.clear()
        self.agent_id.clear()
        self.set_resident(None)
