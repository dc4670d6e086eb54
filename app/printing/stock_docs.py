"""Stock documents: stock card 库存台账, stock list 药品库存 and the stocktake count sheet 盘点表.

PDFs use the bundled CJK font (embedded subset); XLSX files are written with openpyxl in
write-only mode, so a long stock card streams page by page instead of sitting in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from reportlab.lib.units import mm

from app.domain.fefo import format_quantity
from app.domain.money import fen_to_yuan

from .table import write_grid_pdf
from .xlsx import text_safe_row

#: a PDF stock card stops here (a printed card of a whole decade helps nobody); XLSX has no cap
PDF_CARD_ROW_LIMIT = 20000


def _build(path: Path, title: str, subtitle: str, header: list[str], rows: Iterable[list[str]], *,
           wide: bool, widths: list[float] | None = None, footer_note: str = "") -> int:
    return write_grid_pdf(path, title, subtitle, header, rows, wide=wide, widths=widths, footer_note=footer_note,
                          cell_pt=8)


def _signed(q: int) -> tuple[str, str]:
    return (str(q), "") if q > 0 else ("", str(-q))


# -- stock card ----------------------------------------------------------------------------------
DOC_LABELS = {"visit": "就诊", "receipt": "入库单", "manual": "手工发药", "write_off": "报损单", "return": "退回单",
              "stocktake": "盘点单", "adjustment": "调整单", "shipment": "调拨单", "stock_return": "退回单",
              "purchase": "采购入库单", "purchase_return": "采购退货单", "transfer_receipt": "调拨入库单",
              "return_receipt": "退回验收单"}
CARD_HEADER = ["序号", "日期时间", "类型", "单据", "批号", "效期", "入库", "出库", "结存", "原因"]


def _card_cells(r) -> list:
    qty_in, qty_out = _signed(r.quantity)
    doc = f"{DOC_LABELS.get(r.doc_type, r.doc_type)} {r.doc_no}".strip()
    return [r.seq, r.occurred_at.strftime("%Y-%m-%d %H:%M"), r.kind_label, doc, r.batch_no, r.expiry.isoformat(),
            qty_in, qty_out, r.balance_units, r.reason]


def stock_card_pdf(path: Path, *, title: str, subtitle: str, rows: Iterable) -> int:
    """A drug's stock card as a landscape A4 PDF; returns the number of rows printed."""
    def limited():
        for i, r in enumerate(rows):
            if i >= PDF_CARD_ROW_LIMIT:
                break
            yield [str(c) for c in _card_cells(r)]
    return _build(Path(path), title, subtitle, CARD_HEADER, limited(), wide=True,
                  widths=[16 * mm, 30 * mm, 18 * mm, 40 * mm, 26 * mm, 22 * mm, 18 * mm, 18 * mm, 20 * mm, 60 * mm],
                  footer_note="数量单位：最小单位")


def stock_card_xlsx(path: Path, *, title: str, subtitle: str, rows: Iterable) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("库存台账")
    ws.append(text_safe_row(ws, [title]))
    ws.append(text_safe_row(ws, [subtitle]))
    ws.append(CARD_HEADER)
    count = 0
    for r in rows:
        cells = _card_cells(r)
        cells[6] = int(cells[6]) if cells[6] != "" else None
        cells[7] = int(cells[7]) if cells[7] != "" else None
        ws.append(text_safe_row(ws, cells))
        count += 1
    wb.save(path)
    return count


# -- stock list ----------------------------------------------------------------------------------
LIST_HEADER = ["通用名", "规格", "医保编码", "类别", "集采", "结存", "最小单位数", "金额(元)", "最近效期", "提示"]
ALERT_LABELS = {"expired": "有过期", "urgent": "效期紧急", "near_expiry": "近效期", "low": "库存不足", "no_code": "无码库"}


def _list_cells(r) -> list:
    flags = "、".join(label for key, label in ALERT_LABELS.items() if key in r.alerts)
    return [r.generic_name, r.strength, r.national_code, r.coverage_class, "是" if r.is_vbp else "",
            format_quantity(r.on_hand_units, r.pack_unit, r.base_unit, r.units_per_pack), r.on_hand_units,
            fen_to_yuan(r.value_fen), r.nearest_expiry.isoformat() if r.nearest_expiry else "", flags]


def stock_list_pdf(path: Path, *, title: str, subtitle: str, rows: list) -> int:
    total = sum(r.value_fen for r in rows)
    body = [[str(c) for c in _list_cells(r)] for r in rows]
    body.append(["合计", "", "", "", "", "", "", fen_to_yuan(total), "", ""])
    _build(Path(path), title, subtitle, LIST_HEADER, body, wide=True,
           widths=[50 * mm, 30 * mm, 45 * mm, 12 * mm, 12 * mm, 25 * mm, 22 * mm, 22 * mm, 22 * mm, 30 * mm])
    return len(rows)


def stock_list_xlsx(path: Path, *, title: str, subtitle: str, rows: list) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("药品库存")
    ws.append(text_safe_row(ws, [title]))
    ws.append(text_safe_row(ws, [subtitle]))
    ws.append(LIST_HEADER)
    for r in rows:
        cells = _list_cells(r)
        cells[7] = round(r.value_fen / 100, 2)
        ws.append(text_safe_row(ws, cells))
    ws.append(["合计", "", "", "", "", "", "", round(sum(r.value_fen for r in rows) / 100, 2), "", ""])
    wb.save(path)
    return len(rows)


# -- count sheet ---------------------------------------------------------------------------------
SHEET_HEADER = ["货位", "通用名", "规格", "批号", "效期", "账面", "实盘", "差异", "差异金额(元)", "备注"]


def count_sheet_pdf(path: Path, *, title: str, subtitle: str, lines: list, blank: bool = False) -> int:
    """The 盘点表: one line per batch. ``blank`` prints empty count columns to fill in by hand."""
    body = []
    for ln in lines:
        booked = format_quantity(ln.booked_qty, ln.pack_unit, ln.base_unit, ln.units_per_pack)
        if blank or ln.counted_qty is None:
            counted = diff = value = ""
        else:
            counted = format_quantity(ln.counted_qty, ln.pack_unit, ln.base_unit, ln.units_per_pack)
            diff = f"{ln.variance_qty:+d}" if ln.variance_qty else "0"
            value = fen_to_yuan(ln.variance_value_fen)
        body.append([ln.shelf, ln.generic_name, ln.strength, ln.batch_no, ln.expiry.isoformat(), booked, counted,
                     diff, value, ln.reason])
    if not blank:
        body.append(["合计", "", "", "", "", "", "", "", fen_to_yuan(sum(ln.variance_value_fen for ln in lines)), ""])
    return _build(Path(path), title, subtitle, SHEET_HEADER, body, wide=True,
                  widths=[16 * mm, 50 * mm, 30 * mm, 26 * mm, 22 * mm, 24 * mm, 24 * mm, 16 * mm, 24 * mm, 45 * mm],
                  footer_note="盘点人：__________    复核人：__________    数量：账面为盘点开始时的快照")
