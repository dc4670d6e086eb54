"""The right-hand card of 居民档案: who the selected resident is, coverage this year, household,
chronic qualifications and recent settlements — loaded in one ``Op``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from app.domain import clock
from app.domain.errors import CunyiError
from app.domain.money import fen_to_yuan
from app.services.residents.types import CoverageInfo, ResidentInfo
from app.services.settlement.types import SettlementInfo
from ui.workers import Op


@dataclass(frozen=True)
class ResidentDetail:
    resident: ResidentInfo
    coverage: CoverageInfo | None
    coverage_error: str
    household: tuple[ResidentInfo, ...]
    settlements: tuple[SettlementInfo, ...]


def load_detail(sv: Any, resident: ResidentInfo, today: date) -> ResidentDetail:
    """Everything the card shows (database thread)."""
    try:
        coverage, problem = sv.residents.coverage(resident.id, today), ""
    except CunyiError as exc:  # e.g. the policy file is missing: still show the rest
        coverage, problem = None, str(exc)
    members = tuple(sv.residents.household_members(resident.household_id)) if resident.household_id else ()
    settlements = tuple(sv.settlement.for_resident(resident.id, limit=6))
    return ResidentDetail(resident, coverage, problem, members, settlements)


def _row(label: str, value: str) -> str:
    return f"<tr><td style='color:#52606d; padding:2px 12px 2px 0'>{label}</td><td>{value}</td></tr>"


def detail_html(d: ResidentDetail, today: date) -> str:
    r = d.resident
    rows = [
        _row("身份证号", escape(r.masked_id)),
        _row("出生日期", f"{r.birth_date.isoformat()}（{r.age_on(today)}岁）"),
        _row("手机号", escape(r.phone) or "—"),
        _row("住址", escape(r.address) or "—"),
    ]
    if r.insurance_no:
        rows.append(_row("医保号", escape(r.insurance_no)))
    if d.coverage is not None:
        c = d.coverage
        state = f"<span style='color:#b3261e; font-weight:bold'>{escape(c.warning)}</span>" if c.warning else \
            f"<span style='color:#1b5e20; font-weight:bold'>已参保{c.year}，可享受门诊统筹</span>"
        rows.append(_row("本年参保", state))
        if c.enrolled:
            rows.append(_row("统筹额度", f"已用 {fen_to_yuan(c.fund_used_fen)} / {fen_to_yuan(c.annual_cap_fen)} 元，"
                                       f"剩余 <b>{fen_to_yuan(c.cap_left_fen)}</b> 元"))
        if c.assistance_label:
            rows.append(_row("医疗救助", f"{escape(c.assistance_label)}，本年已救助 {fen_to_yuan(c.assistance_used_fen)} 元"))
    elif d.coverage_error:
        rows.append(_row("本年参保", f"<span style='color:#b3261e'>{escape(d.coverage_error)}</span>"))
    years = "、".join(str(e.year) for e in r.enrollments) or "无记录"
    rows.append(_row("参保年度", years))
    if r.chronic:
        items = []
        for q in r.chronic:
            valid = q.valid_on(today)
            colour = "#102a43" if valid else "#b3261e"
            items.append(f"<span style='color:{colour}'>{escape(q.name)} {escape(q.code)}"
                         f"（{q.valid_from:%Y-%m-%d} 至 {q.valid_to:%Y-%m-%d}{'' if valid else '，已失效'}）</span>")
        rows.append(_row("慢特病", "<br>".join(items)))
    if d.household:
        members = "<br>".join(
            f"{escape(m.relation_to_head)}：{'<b>' + escape(m.name) + '</b>' if m.id == r.id else escape(m.name)}"
            f" {m.sex_label} {m.age_on(today)}岁" for m in d.household)
        rows.append(_row("家庭户", members))
    visits = []
    for s in d.settlements:
        mark = "（已冲正）" if s.reversed else ""
        visits.append(f"{s.settled_at:%Y-%m-%d} ¥{fen_to_yuan(s.split.total_fen)}"
                      f"（统筹 {fen_to_yuan(s.split.fund_total_fen)}）{mark}")
    rows.append(_row("最近结算", "<br>".join(visits) if visits else "无"))
    title = (f"<div style='font-size:20px; font-weight:bold; color:#102a43'>{escape(r.name)} "
             f"<span style='font-size:14px; color:#52606d; font-weight:normal'>{r.sex_label} · "
             f"{escape(r.relation_to_head)}{'' if r.owned_here else ' · 其他机构档案（只读）'}</span></div>")
    return f"{title}<table style='margin-top:8px'>{''.join(rows)}</table>"


class ResidentCard(QFrame):
    """Shows one resident (or a hint when none is selected)."""

    def __init__(self, sv: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sv = sv
        self.setObjectName("card")
        self.resident: ResidentInfo | None = None
        self._generation = 0
        self.body = QLabel()
        self.body.setObjectName("residentDetail")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addWidget(self.body, 1)
        self.show_resident(None)

    def show_resident(self, resident: ResidentInfo | None) -> None:
        self.resident = resident
        self._generation += 1
        if resident is None:
            self.body.setText("<span style='color:#52606d'>在左侧选择一位居民，这里显示参保、额度、家庭户和最近结算。"
                              "<br><br>Enter 编辑 · Ctrl+N 新建 · Ctrl+F 回到查找框</span>")
            return
        generation, sv, today = self._generation, self.sv, clock.today()
        Op(self, lambda: load_detail(sv, resident, today)).success(
            lambda detail: self._loaded(generation, detail, today)).run()

    def _loaded(self, generation: int, detail: ResidentDetail, today: date) -> None:
        if generation == self._generation:
            self.body.setText(detail_html(detail, today))
