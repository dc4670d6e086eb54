"""统一结算单 (monthly unified statement, DESIGN §1, §9) as an A4 PDF with the bundled CJK font.

One page: the township and the village, the month, the statement number and its status; the figures in
元 with two decimals in the order they are worked out (供药 − 退回 + 上月结转 = 本月应扣; 应扣 from the
统筹基金 first, then from 基药补助, the rest 结转下月), the 节约医保基金 of the month's supplies, the
village's data the statement covers (``covers_local_seq``), and signature lines for both sides.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.domain.money import fen_to_yuan
from app.domain.statements import month_label

from .fonts import register_fonts
from .receipt import Pen


@dataclass(frozen=True)
class StatementPrint:
    """What the paper shows: the township's name, the statement (``StatementInfo``) and when it was printed."""

    township: str
    info: object  # app.services.statements.types.StatementInfo
    printed_at: datetime


def _yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen)} 元"


def statement_pdf_bytes(data: StatementPrint) -> bytes:
    font = register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=font)
    canvas.setTitle(f"统一结算单 {data.info.statement_no}")
    canvas.setCreator("村医通")
    draw_statement(canvas, data, font)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def draw_statement(canvas, data: StatementPrint, font: str) -> None:  # canvas: a reportlab Canvas or alike
    info = data.info
    width, height = A4
    margin = 20 * mm
    pen = Pen(canvas, width, margin, height - 18 * mm, font, bottom=18 * mm)
    pen.center(data.township or "乡镇卫生院", 14)
    pen.center("村卫生室药品统一结算单", 18)
    pen.space(3 * mm)
    pen.columns([(0, f"村卫生室：{info.site_name}", "l"), (pen.inner, f"结算月份：{month_label(info.month)}", "r")], 11)
    pen.columns([(0, f"结算单号：{info.statement_no}", "l"), (pen.inner, f"状态：{info.status_label}", "r")], 11)
    pen.rule(2.5 * mm)
    rows = [
        ("一", "本月供药金额（按集采采购价）", info.supplied_fen),
        ("二", "减：本月退回乡镇金额", info.returned_fen),
        ("三", "加：上月结转", info.carried_in_fen),
        ("四", "本月应扣金额（一 − 二 + 三）", info.due_fen),
        ("五", "本月应收统筹基金（统筹支付 + 一般诊疗费统筹，已扣冲正）", info.fund_receivable_fen),
        ("六", "本月基药补助", info.subsidy_fen),
        ("七", "从统筹基金中扣除（先扣）", info.from_fund_fen),
        ("八", "从基药补助中扣除（后扣）", info.from_subsidy_fen),
        ("九", "结转下月（四 − 七 − 八）", info.carried_out_fen),
    ]
    for no, label, fen in rows:
        pen.columns([(0, f"{no}、{label}", "l"), (pen.inner, _yuan(fen), "r")], 11.5)
        pen.space(1.6 * mm)
    pen.rule(2 * mm, dash=True)
    pen.columns([(0, "本月拨付村卫生室：统筹基金余额（五 − 七）", "l"),
                 (pen.inner, _yuan(info.fund_receivable_fen - info.from_fund_fen), "r")], 11)
    pen.space(1.2 * mm)
    pen.columns([(0, "　　　　　　　　　基药补助余额（六 − 八）", "l"),
                 (pen.inner, _yuan(info.subsidy_fen - info.from_subsidy_fen), "r")], 11)
    pen.space(1.2 * mm)
    pen.columns([(0, "本月供药节约医保基金（集采前参考价 − 采购价）× 数量", "l"), (pen.inner, _yuan(info.savings_fen), "r")],
                11)
    pen.rule(2.5 * mm)
    pen.text("扣款顺序：本月应扣金额先从应收统筹基金中扣除，不足部分再从基药补助中扣除，仍不足的余额结转下月；"
             "应扣为负数（退回多于供药）时全部结转下月冲抵。村卫生室不预付药款（代扣代结）。", 9.5)
    covers = (f"本结算单包含村卫生室上传序号 {info.covers_local_seq} 及以前的全部数据（该村月结标记）。"
              if info.covers_local_seq is not None else "该村卫生室本月的月结标记尚未同步到乡镇，本单为草稿，数据可能不全。")
    pen.text(f"数据范围：{covers}", 9.5)
    done = []
    if info.finalised_at:
        done.append(f"定稿：{info.finalised_at:%Y-%m-%d %H:%M}" + (f"（{info.user_name}）" if info.user_name else ""))
    if info.acknowledged_at:
        done.append(f"村卫生室确认：{info.acknowledged_at:%Y-%m-%d %H:%M}"
                    + (f"（{info.acknowledged_by}）" if info.acknowledged_by else ""))
    if done:
        pen.text("；".join(done), 9.5)
    pen.space(14 * mm)
    pen.columns([(0, "乡镇卫生院（盖章）：", "l"), (pen.inner * 0.52, "村卫生室（盖章）：", "l")], 11)
    pen.space(12 * mm)
    pen.columns([(0, "经办人签字：______________", "l"), (pen.inner * 0.52, "村医签字：______________", "l")], 11)
    pen.space(8 * mm)
    pen.columns([(0, "日期：______年____月____日", "l"), (pen.inner * 0.52, "日期：______年____月____日", "l")], 11)
    canvas.setFont(font, 8)
    canvas.drawRightString(width - margin, 12 * mm, f"打印时间：{data.printed_at:%Y-%m-%d %H:%M}　村医通")


def write_statement_pdf(path: Path | str, data: StatementPrint) -> Path:
    path = Path(path)
    path.write_bytes(statement_pdf_bytes(data))
    return path
