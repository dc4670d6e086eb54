"""配货单: the township's pick list of a shipment on A5 (DESIGN §7), with the bundled CJK font.

One line per lot to take off the shelf, in FEFO order per drug: 货位, the drug and its strength, 批号, 效期,
the quantity as the shelf holds it (2盒4片); a draft's shortfall shows as 缺货. Signature lines for the
person who picked, the one who checked and the village that received. The data is a plain ``PickListData``
(built by ``TransfersService.print_pick_list`` from its pick list); drawing goes onto a reportlab canvas or
the desktop's QPainter adapter, and runs onto further pages when the lines do not fit one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm

from app.domain.fefo import format_quantity

from .prescription import a5_pdf_bytes
from .receipt import Pen

#: the columns' left edges from the margin, in points (A5 portrait, 12 mm margins: ~351 pt of room)
_COLUMNS = (0, 30, 170, 235, 351)


@dataclass(frozen=True)
class PickListData:
    clinic: str  # the township health center
    shipment_no: str
    village: str
    kind: str  # 按报量 / 临时调拨 / 调剂
    requisition_no: str
    status: str  # draft | shipped | cancelled
    day: date
    lines: Sequence  # PickLine of app.services.transfers.types
    note: str = ""


def pick_list_pdf_bytes(data: PickListData) -> bytes:
    """Draw the 配货单 on A5 and return the PDF."""
    return a5_pdf_bytes(draw_pick_list, data, f"配货单 {data.shipment_no}")


def draw_pick_list(canvas, data: PickListData, font: str) -> None:
    width, height = A5
    pen = Pen(canvas, width, 12 * mm, height - 10 * mm, font, bottom=14 * mm)
    pen.center(data.clinic, 12)
    pen.center("配 货 单" if data.status == "draft" else "调拨出库单（配货）", 15)
    pen.space(2 * mm)
    pen.columns([(0, f"单号：{data.shipment_no}", "l"), (pen.inner, f"日期：{data.day:%Y年%m月%d日}", "r")], 9)
    kind = f"类型：{data.kind}" + (f"（报量单 {data.requisition_no}）" if data.requisition_no else "")
    pen.columns([(0, f"收货单位：{data.village}", "l"), (pen.inner, kind, "r")], 9)
    if data.status == "cancelled":
        pen.text("本单已作废", 10)
    pen.rule()
    pen.columns([(_COLUMNS[0], "货位", "l"), (_COLUMNS[1], "药品 / 规格", "l"), (_COLUMNS[2], "批号", "l"),
                 (_COLUMNS[3], "效期", "l"), (_COLUMNS[4], "数量", "r")], 8.5)
    pen.rule(0.8 * mm, dash=True)
    short = 0
    for line in data.lines:
        quantity = format_quantity(line.quantity, line.pack_unit, line.base_unit, line.units_per_pack)
        name = f"{line.generic_name} {line.strength}".strip()
        if not line.batch_id and not line.batch_no:
            short += 1
            batch, expiry = "缺货", ""
        else:
            batch, expiry = line.batch_no, line.expiry.isoformat() if line.expiry else ""
        pen.columns([(_COLUMNS[0], line.shelf or "—", "l"), (_COLUMNS[1], _fit(name, 22), "l"),
                     (_COLUMNS[2], batch, "l"), (_COLUMNS[3], expiry, "l"), (_COLUMNS[4], quantity, "r")], 8.5)
    pen.rule()
    pen.text(f"共 {len(data.lines)} 行" + (f"，其中 {short} 行库存不足（缺货）" if short else "") +
             "；按效期先到先出（FEFO）取药", 8.5)
    if data.note:
        pen.text(f"备注：{data.note}", 8.5)
    pen.space(6 * mm)
    pen.columns([(0, "配货人：__________", "l"), (pen.inner * 0.36, "复核人：__________", "l"),
                 (pen.inner, "收货人：__________", "r")], 9)


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars - 1] + "…"
