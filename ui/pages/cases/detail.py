"""One case beside the list: who, what, when due, the checklist (✓ collected, □ still missing), its 附件
(``ui.pages.cases.attachments``), the timeline (办理记录: each step with its note, user and time) and the
buttons of the steps this user may take now."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.domain.enums import CaseStatus
from ui.pages.cases.attachments import AttachmentsPanel
from ui.pages.cases.models import due_text
from ui.widgets.layout import hint, row, section

_STATUS_COLOURS = {
    CaseStatus.ACCEPTED: "#1a73e8", CaseStatus.SUBMITTED: "#1a73e8", CaseStatus.RETURNED: "#b54708",
    CaseStatus.APPROVED: "#067647", CaseStatus.REJECTED: "#667085",
}


def _masked(number: str) -> str:
    return number[:3] + "*" * (len(number) - 7) + number[-4:] if len(number) >= 8 else number


class CaseDetail(QScrollArea):
    """The selected case; ``buttons`` maps an action key to its button (the page connects them)."""

    def __init__(self, actions: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseDetail")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.case: Any = None
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(12, 4, 8, 4)
        layout.setSpacing(8)
        self.title = QLabel()
        self.title.setProperty("role", "section")
        self.title.setWordWrap(True)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.facts = QLabel()
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons: dict[str, QPushButton] = {}
        for key, text in actions:
            button = QPushButton(text)
            button.setObjectName(f"case_{key}")
            self.buttons[key] = button
        self.checklist_title = section("材料清单")
        self.checklist = QLabel()
        self.checklist.setTextFormat(Qt.TextFormat.RichText)
        self.checklist.setWordWrap(True)
        self.attachments = AttachmentsPanel()
        self.timeline_title = section("办理记录")
        self.timeline = QLabel()
        self.timeline.setObjectName("caseTimeline")
        self.timeline.setTextFormat(Qt.TextFormat.RichText)
        self.timeline.setWordWrap(True)
        self.timeline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty = hint("在左边选择一件事项")
        layout.addWidget(self.empty)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(self.facts)
        keys = list(self.buttons)
        for start in range(0, len(keys), 2):
            layout.addLayout(row(*(self.buttons[k] for k in keys[start:start + 2]), None, spacing=8))
        layout.addWidget(self.checklist_title)
        layout.addWidget(self.checklist)
        layout.addWidget(self.attachments)
        layout.addWidget(self.timeline_title)
        layout.addWidget(self.timeline)
        layout.addStretch(1)
        self.setWidget(inner)
        self.show_case(None)

    def show_case(self, case: Any, enabled: dict[str, bool] | None = None) -> None:
        self.case = case
        shown = case is not None
        for w in (self.title, self.status, self.facts, self.checklist_title, self.checklist, self.attachments,
                  self.timeline_title, self.timeline, *self.buttons.values()):
            w.setVisible(shown)
        self.empty.setVisible(not shown)
        if not shown:
            return
        for key, button in self.buttons.items():
            button.setEnabled(bool((enabled or {}).get(key)))
        self.title.setText(f"{case.type_label} · {case.case_no}")
        colour = "#b42318" if case.overdue else _STATUS_COLOURS[case.status]
        badge = f"<b style='color:{colour}'>{html.escape(case.status_label)}</b>"
        if case.overdue:
            badge += "<span style='color:#b42318'>（已超期）</span>"
        self.status.setText(f"办理状态：{badge}")
        e = html.escape
        lines = [f"居民：<b>{e(case.resident_name)}</b>　{e(_masked(case.resident_id_number))}"]
        if case.agent_name:
            lines.append(f"代办人：{e(case.agent_name)}（{e(case.agent_relation)}）　{e(_masked(case.agent_id_number))}")
        lines.append(f"村卫生室：{e(case.site_name)}")
        lines.append(f"受理日期：{case.accepted_on:%Y-%m-%d}　负责人：{e(case.responsible_name or '—')}")
        due = e(due_text(case))
        due = f"<span style='color:#b42318'>{due}</span>" if case.overdue else due
        lines.append(f"办结时限：{due}（{case.due_workdays} 个工作日）")
        if case.due_fallback:
            lines.append("<span style='color:#b54708'>该年节假日安排未收录，时限按周一至周五计算</span>")
        if case.closed_on:
            lines.append(f"办结日期：{case.closed_on:%Y-%m-%d}")
        if case.note:
            lines.append(f"备注：{e(case.note)}")
        self.facts.setText("<br>".join(lines))
        items = []
        for item in case.checklist:
            got = item in case.collected
            mark = ("<b style='color:#067647'>✓ 已收</b>" if got else "<b style='color:#b54708'>○ 待补</b>")
            items.append(f"{mark}　{e(item)}")
        self.checklist.setText("<br>".join(items))
        events = []
        for ev in reversed(case.events):
            colour = _STATUS_COLOURS[ev.status]
            text = (f"<b style='color:{colour}'>{e(ev.status_label)}</b>　{e(ev.user_name or '—')}"
                    f"　<span style='color:#667085'>{ev.occurred_at:%Y-%m-%d %H:%M}</span>")
            if ev.missing:
                text += f"<br>　缺少材料：{e('、'.join(ev.missing))}"
            if ev.note:
                text += f"<br>　{e(ev.note)}"
            events.append(text)
        self.timeline.setText("<br><br>".join(events) or "（还没有办理记录）")
