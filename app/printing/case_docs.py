"""帮办代办 papers on A5 (DESIGN §6, §7): the 一次性告知单 and the 受理回执, with the bundled CJK font.

- 一次性告知单: the resident, the case type, the type's whole checklist (一次性告知材料清单) with what is
  already collected ticked (a drawn box with ✓, and 已收 / 待补 at the right), the due time in working
  days, the clinic, the person responsible and a phone, so the resident comes back once at most.
- 受理回执: case number, type, resident, date accepted, due date, person responsible and phone; a case
  whose due date was counted Monday–Friday (a year the holiday calendar does not know) says so.

The data is a plain ``CaseDocData`` (built by the UI from ``Services.cases.get``); drawing goes onto a
reportlab canvas or the desktop's QPainter adapter (``ui.printing.QtCanvas``), which speaks the same
few calls (``drawString``, ``line``, ``setFont``…).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm

from .prescription import a5_pdf_bytes
from .receipt import Pen

#: the box of a checklist line, in points
_BOX = 3.2 * mm


@dataclass(frozen=True)
class CaseDocData:
    """What both papers of a case show."""

    clinic: str
    case_no: str
    type_label: str
    resident_name: str
    masked_id: str
    accepted_on: date
    due_on: date
    due_workdays: int
    due_fallback: bool
    responsible: str
    phone: str
    checklist: tuple[str, ...]
    collected: tuple[str, ...]
    agent: str = ""  # "李四（儿子）" or ""
    note: str = ""


def _masked(id_number: str) -> str:
    text = id_number or ""
    return text[:3] + "*" * (len(text) - 7) + text[-4:] if len(text) >= 8 else text


def doc_data(case, clinic: str, phone: str) -> CaseDocData:
    """The papers' data of a case (``CaseInfo``) at ``clinic``, reachable at ``phone``."""
    agent = f"{case.agent_name}（{case.agent_relation}）" if case.agent_name else ""
    return CaseDocData(clinic, case.case_no, case.type_label, case.resident_name, _masked(case.resident_id_number),
                       case.accepted_on, case.due_on, case.due_workdays, case.due_fallback, case.responsible_name,
                       phone, tuple(case.checklist), tuple(case.collected), agent, case.note)


def _date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _phone(data: CaseDocData) -> str:
    return data.phone or "________________"


def _fallback_line(data: CaseDocData) -> str:
    return (f"注：{data.due_on.year}年的节假日安排本程序尚未收录，办结时限按周一至周五计算，遇法定节假日"
            "顺延，请以经办机构通知为准。")


def _box(canvas, x: float, y: float, ticked: bool, font: str) -> None:
    """A square at (x, y) (its bottom-left), with ✓ inside when ``ticked``."""
    canvas.setLineWidth(0.6)
    for x1, y1, x2, y2 in ((x, y, x + _BOX, y), (x + _BOX, y, x + _BOX, y + _BOX),
                           (x + _BOX, y + _BOX, x, y + _BOX), (x, y + _BOX, x, y)):
        canvas.line(x1, y1, x2, y2)
    if ticked:
        canvas.setFont(font, 9)
        canvas.drawString(x + 0.5, y + 1.2, "✓")


def draw_notice(canvas, data: CaseDocData, font: str) -> None:
    """The 一次性告知单 on an A5 ``canvas``."""
    width, height = A5
    margin = 14 * mm
    pen = Pen(canvas, width, margin, height - 12 * mm, font, bottom=14 * mm)
    pen.center(data.clinic, 12)
    pen.center("帮办代办一次性告知单", 15)
    pen.space(2 * mm)
    pen.columns([(0, f"事项编号：{data.case_no}", "l"), (pen.inner, f"受理日期：{_date(data.accepted_on)}", "r")], 9)
    pen.rule()
    pen.columns([(0, f"居民：{data.resident_name}", "l"), (pen.inner * 0.45, f"身份证号：{data.masked_id}", "l")], 10)
    if data.agent:
        pen.text(f"代办人：{data.agent}", 9.5)
    pen.text(f"办理事项：{data.type_label}", 11)
    pen.space(1.5 * mm)
    pen.text("请备齐以下材料（□ 待补，✓ 已收）：", 9.5)
    pen.space(1 * mm)
    for i, item in enumerate(data.checklist, 1):
        ticked = item in data.collected
        pen.text(f"        {i}. {item}", 10, right="已收" if ticked else "待补")
        if canvas is not None:
            _box(canvas, margin, pen.y - 1, ticked, font)
        pen.space(1.2 * mm)
    missing = [m for m in data.checklist if m not in data.collected]
    pen.space(1 * mm)
    if missing:
        pen.text(f"尚缺 {len(missing)} 项材料，请备齐后一次送到村卫生室，不必多跑。", 9.5)
    else:
        pen.text("材料已全部收齐。", 9.5)
    pen.rule()
    pen.text(f"办理时限：受理后 {data.due_workdays} 个工作日内（预计 {_date(data.due_on)} 前）办结", 10)
    if data.due_fallback:
        pen.text(_fallback_line(data), 8)
    pen.columns([(0, f"经办村卫生室：{data.clinic}", "l")], 9.5)
    pen.columns([(0, f"负责人：{data.responsible or '—'}", "l"), (pen.inner * 0.5, f"联系电话：{_phone(data)}", "l")],
                9.5)
    pen.space(2 * mm)
    pen.text("小事不出村、大事不出乡。材料有变化或办理有进展，负责人会及时告知。", 8)


def draw_acknowledgment(canvas, data: CaseDocData, font: str) -> None:
    """The 受理回执 on an A5 ``canvas``."""
    width, height = A5
    margin = 14 * mm
    pen = Pen(canvas, width, margin, height - 12 * mm, font, bottom=14 * mm)
    pen.center(data.clinic, 12)
    pen.center("帮办代办受理回执", 15)
    pen.space(3 * mm)
    pen.rule()
    rows = [("事项编号", data.case_no), ("办理事项", data.type_label),
            ("居民", f"{data.resident_name}（{data.masked_id}）")]
    if data.agent:
        rows.append(("代办人", data.agent))
    rows += [("受理日期", _date(data.accepted_on)),
             ("办结时限", f"{_date(data.due_on)}前（{data.due_workdays} 个工作日）"),
             ("负责人", data.responsible or "—"), ("联系电话", _phone(data))]
    for label, value in rows:
        pen.columns([(0, f"{label}：", "l"), (22 * mm, value, "l")], 11)
        pen.space(2 * mm)
    if data.due_fallback:
        pen.text(_fallback_line(data), 8.5)
    pen.rule()
    pen.text("您的申请已受理。请妥善保管本回执，凭事项编号查询办理进度。", 9)
    pen.space(8 * mm)
    pen.columns([(0, "经办人签字：", "l"), (pen.inner, f"{data.clinic}（盖章）", "r")], 10)
    pen.columns([(pen.inner, _date(data.accepted_on), "r")], 10)


def notice_pdf_bytes(data: CaseDocData) -> bytes:
    """The 一次性告知单 as a PDF (A5)."""
    return a5_pdf_bytes(draw_notice, data, f"一次性告知单 {data.case_no}")


def acknowledgment_pdf_bytes(data: CaseDocData) -> bytes:
    """The 受理回执 as a PDF (A5)."""
    return a5_pdf_bytes(draw_acknowledgment, data, f"受理回执 {data.case_no}")


def write_case_doc(path: Path | str, data: CaseDocData, kind: str) -> Path:
    """Save the ``kind`` ("notice" or "acknowledgment") PDF to ``path``."""
    path = Path(path)
    path.write_bytes(notice_pdf_bytes(data) if kind == "notice" else acknowledgment_pdf_bytes(data))
    return path


__all__ = ["CaseDocData", "acknowledgment_pdf_bytes", "doc_data", "draw_acknowledgment", "draw_notice",
           "notice_pdf_bytes", "write_case_doc"]
