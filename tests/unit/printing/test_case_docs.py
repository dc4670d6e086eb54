"""帮办代办 papers: the 一次性告知单 and the 受理回执 as A5 PDFs, read back with pdftotext."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

from app.printing.case_docs import CaseDocData, write_case_doc

CHECKLIST = ("身份证件或医保电子凭证或社保卡", "医疗机构收费票据", "门诊急诊费用清单", "处方底方")
DATA = CaseDocData(
    clinic="示例村卫生室", case_no="BD20260615-0001", type_label="零星报销", resident_name="王秀英",
    masked_id="410***********1241", accepted_on=date(2026, 6, 15), due_on=date(2026, 7, 27), due_workdays=30,
    due_fallback=False, responsible="张医生", phone="0371-5550123", checklist=CHECKLIST,
    collected=("身份证件或医保电子凭证或社保卡", "医疗机构收费票据"), agent="李明（儿子）")


def _text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _line(text: str, item: str) -> str:
    return next(line for line in text.splitlines() if item in line)


def test_the_notice_lists_the_checklist_with_what_is_collected_ticked(tmp_path: Path) -> None:
    path = write_case_doc(tmp_path / "notice.pdf", DATA, "notice")
    text = _text(path)
    assert _pages(path) == 1
    for words in ("示例村卫生室", "帮办代办一次性告知单", "BD20260615-0001", "王秀英", "410***********1241",
                  "零星报销", "李明（儿子）", "受理后 30 个工作日内", "2026年7月27日", "负责人：张医生",
                  "联系电话：0371-5550123", "尚缺 2 项材料"):
        assert words in text, words
    for item in CHECKLIST[:2]:
        line = _line(text, item)
        assert "✓" in line and line.rstrip().endswith("已收"), line
    for item in CHECKLIST[2:]:
        line = _line(text, item)
        assert "✓" not in line and line.rstrip().endswith("待补"), line
    assert "周一至周五" not in text


def test_the_acknowledgment_has_number_type_dates_and_who_is_responsible(tmp_path: Path) -> None:
    path = write_case_doc(tmp_path / "ack.pdf", DATA, "acknowledgment")
    text = " ".join(_text(path).split())
    assert _pages(path) == 1
    for words in ("帮办代办受理回执", "事项编号： BD20260615-0001", "办理事项： 零星报销", "受理日期： 2026年6月15日",
                  "办结时限： 2026年7月27日前（30 个工作日）", "负责人： 张医生", "联系电话： 0371-5550123"):
        assert words in text, words
    assert "周一至周五" not in text


def test_a_fallback_year_case_says_its_due_date_counts_monday_to_friday(tmp_path: Path) -> None:
    data = replace(DATA, accepted_on=date(2031, 3, 3), due_on=date(2031, 4, 14), due_fallback=True, phone="",
                   collected=CHECKLIST, agent="")
    for kind in ("acknowledgment", "notice"):
        text = " ".join(_text(write_case_doc(tmp_path / f"{kind}.pdf", data, kind)).split())
        assert "按周一至周五计算" in text and "2031年的节假日安排" in text, kind
        assert "代办人" not in text
    assert "材料已全部收齐" in text
