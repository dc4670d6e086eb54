"""Reports of the outpatient area and its ``cunyi check`` rules (imported by ``app.services.settlement.service``).

- ``daily-log`` 门诊日志 (WS/T 517 fields) for a day (default today) or a month; the money columns come
  before the long 药品 text so they show on a small screen; the totals row counts the visits and sums
  金额 and 统筹支付, reversed visits left out;
- ``settlements`` 收费日报: the money split per day of a month, reversals netted on their own day;
- ``monthly-summary`` 月度统筹汇总: per month of the year up to the chosen month, reversed
  settlements left out: visits, total, fund, assistance, self-paid, self-funded, 次均费用.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session as OrmSession

from app.db.models import Drug, PrescriptionLine, Resident, Reversal, Settlement, Visit
from app.db.spans import day_of, month_of
from app.domain import clock
from app.domain.money import round_half_up_div
from app.domain.statements import month_start, next_month
from app.services.core.check import rule
from app.services.core.reports import Column, Period, Table, report
from app.services.residents.types import SEX_LABELS
from app.services.settlement.queries import quantity_and_price

MONEY = ("total_fen", "fund_fen", "general_fee_fund_fen", "assistance_fen", "self_paid_fen", "self_funded_fen")


def _month_bounds(month: str) -> tuple[date, date]:
    return month_start(month), month_start(next_month(month))


def _month_of(period: Period) -> str:
    if period.month:
        return period.month
    return (period.day or clock.today()).strftime("%Y-%m")


def _age(born: date, on: date) -> int:
    return on.year - born.year - int((on.month, on.day) < (born.month, born.day))


# -- 门诊日志 ------------------------------------------------------------------------------------
@report("daily-log", "门诊日志")
def daily_log(services: Any, period: Period) -> Table:
    if period.month and not period.day:
        start, end = _month_bounds(period.month)
        subtitle = f"{period.month} 月"
    else:
        start = period.day or clock.today()
        end = start + timedelta(days=1)
        subtitle = start.isoformat()
    with services.db.read() as s:
        rows = list(s.execute(
            select(Visit, Resident, Settlement, Reversal.id)
            .join(Resident, Resident.id == Visit.resident_id)
            .join(Settlement, Settlement.visit_id == Visit.id)
            .outerjoin(Reversal, Reversal.settlement_id == Settlement.id)
            .where(Visit.site_id == period.site_id, Visit.visit_date >= start, Visit.visit_date < end)
            .order_by(Visit.visit_date, Visit.occurred_at)
        ).all())
        drugs: dict[str, list[str]] = defaultdict(list)
        visit_ids = [v.id for v, *_ in rows]
        for chunk in range(0, len(visit_ids), 500):
            for line, drug in s.execute(
                select(PrescriptionLine, Drug).join(Drug, Drug.id == PrescriptionLine.drug_id)
                .where(PrescriptionLine.visit_id.in_(visit_ids[chunk:chunk + 500]))
                .order_by(PrescriptionLine.visit_id, PrescriptionLine.line_no)
            ):
                drugs[line.visit_id].append(f"{drug.generic_name} {quantity_and_price(line.quantity_units, drug)[0]}")
        out = []
        for visit, resident, st, reversal_id in rows:
            out.append({
                "date": visit.visit_date.isoformat(), "receipt_no": st.receipt_no, "name": resident.name,
                "sex": SEX_LABELS.get(resident.sex, ""), "age": _age(resident.birth_date, visit.visit_date),
                "address": resident.address, "diagnosis": " ".join(x for x in (visit.diagnosis, visit.diagnosis_code) if x),
                "drugs": "；".join(drugs.get(visit.id, [])), "amount_fen": st.total_fen,
                "fund_fen": st.fund_fen + st.general_fee_fund_fen, "status": "已冲正" if reversal_id else "",
            })
    live = [r for r in out if not r["status"]]
    reversed_count = len(out) - len(live)
    totals: dict[str, Any] = {"name": f"{len(live)} 人次", "amount_fen": sum(r["amount_fen"] for r in live),
                              "fund_fen": sum(r["fund_fen"] for r in live)}
    if reversed_count:
        totals["status"] = f"已冲正 {reversed_count}"
    # one day: the date is in the subtitle, not repeated on every row; 状态 only when a visit was
    # reversed (the JSON rows keep both keys)
    dated = (Column("date", "就诊日期", "date"),) if period.month and not period.day else ()
    status = (Column("status", "状态"),) if reversed_count else ()
    return Table(
        title="门诊日志", subtitle=f"{subtitle}，{len(live)} 人次" + (
            f"，已冲正 {reversed_count}（不计入合计）" if reversed_count else ""),
        columns=(*dated, Column("receipt_no", "票据号"), Column("name", "姓名"), Column("sex", "性别"),
                 Column("age", "年龄", "int"), Column("address", "住址"), Column("diagnosis", "诊断"),
                 Column("amount_fen", "金额", "fen"), Column("fund_fen", "统筹支付", "fen"),
                 *status, Column("drugs", "药品")),
        rows=out, totals=totals,
    )


# -- 收费日报 ------------------------------------------------------------------------------------
def daily_money(s: OrmSession, site_id: str, month: str) -> dict[str, dict[str, int]]:
    """Per day of ``month`` at ``site_id``: settlements and reversals counted, and the money split net of
    reversals, a reversal on the day it was made (the ``settlements`` report's rows, and the fund receivable
    of the unified statement, ``fund_receivable_fen``)."""
    start, end = _month_bounds(month)
    lo, hi = datetime.combine(start, datetime.min.time()), datetime.combine(end, datetime.min.time())
    days: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(("visits", "reversals", *MONEY), 0))
    sums = [func.coalesce(func.sum(getattr(Settlement, m)), 0) for m in MONEY]
    days_in = (end - start).days
    sday = day_of(Settlement.settled_at, start, days_in)
    for day, count, *money in s.execute(
        select(sday, func.count(), *sums).where(
            Settlement.site_id == site_id, Settlement.settled_at >= lo, Settlement.settled_at < hi)
        .group_by(sday)
    ):
        days[day]["visits"] += count
        for key, value in zip(MONEY, money, strict=True):
            days[day][key] += int(value)
    rday = day_of(Reversal.reversed_at, start, days_in)
    for day, count, *money in s.execute(
        select(rday, func.count(), *sums).join(Settlement, Settlement.id == Reversal.settlement_id)
        .where(Settlement.site_id == site_id, Reversal.reversed_at >= lo, Reversal.reversed_at < hi)
        .group_by(rday)
    ):
        days[day]["reversals"] += count
        for key, value in zip(MONEY, money, strict=True):
            days[day][key] -= int(value)
    return dict(days)


def fund_receivable_fen(s: OrmSession, site_id: str, month: str) -> int:
    """What the pooling fund owes the village for ``month``: fund + general-fee fund of its settlements, net
    of reversals on the day reversed (= Σ over the ``settlements`` report's rows; DESIGN §9)."""
    return sum(d["fund_fen"] + d["general_fee_fund_fen"] for d in daily_money(s, site_id, month).values())


@report("settlements", "收费日报")
def settlements_daily(services: Any, period: Period) -> Table:
    month = _month_of(period)
    with services.db.read() as s:
        days = daily_money(s, period.site_id, month)
    rows = []
    for day in sorted(days):
        row: dict[str, Any] = {"date": day, **days[day]}
        row["net_visits"] = row["visits"] - row["reversals"]
        row["cash_fen"] = row["self_paid_fen"] + row["self_funded_fen"]
        rows.append(row)
    keys = ("visits", "reversals", "net_visits", *MONEY, "cash_fen")
    return Table(
        title="收费日报", subtitle=f"{month} 月，冲正在冲正当日冲减",
        columns=(Column("date", "日期", "date"), Column("visits", "结算笔数", "int"),
                 Column("reversals", "冲正笔数", "int"), Column("net_visits", "净人次", "int"),
                 Column("total_fen", "医疗总费用", "fen"), Column("fund_fen", "统筹支付", "fen"),
                 Column("general_fee_fund_fen", "一般诊疗费统筹", "fen"), Column("assistance_fen", "医疗救助", "fen"),
                 Column("self_paid_fen", "个人自付", "fen"), Column("self_funded_fen", "自费", "fen"),
                 Column("cash_fen", "现金收入", "fen")),
        rows=rows, totals={k: sum(r[k] for r in rows) for k in keys},
    )


# -- 月度统筹汇总 -------------------------------------------------------------------------------
@report("monthly-summary", "月度统筹汇总")
def monthly_summary(services: Any, period: Period) -> Table:
    month = _month_of(period)
    year, last = (int(x) for x in month.split("-"))
    lo = datetime(year, 1, 1)
    hi = datetime.combine(_month_bounds(month)[1], datetime.min.time())
    mon = month_of(Settlement.settled_at, year, last)
    with services.db.read() as s:
        found = {
            m: (count, *(int(v) for v in money))
            for m, count, *money in s.execute(
                select(mon, func.count(), *[func.coalesce(func.sum(getattr(Settlement, k)), 0) for k in MONEY])
                .outerjoin(Reversal, Reversal.settlement_id == Settlement.id)
                .where(Settlement.site_id == period.site_id, Settlement.settled_at >= lo, Settlement.settled_at < hi,
                       Reversal.id.is_(None))
                .group_by(mon)
            )
        }
    rows = []
    for m in range(1, last + 1):
        key = f"{year}-{m:02d}"
        count, total, fund, fee_fund, assistance, self_paid, self_funded = found.get(key, (0, 0, 0, 0, 0, 0, 0))
        rows.append({
            "month": key, "visits": count, "total_fen": total, "fund_fen": fund + fee_fund,
            "assistance_fen": assistance, "self_paid_fen": self_paid, "self_funded_fen": self_funded,
            "average_fen": round_half_up_div(total, count) if count else 0,
        })
    visits = sum(r["visits"] for r in rows)
    totals = {k: sum(r[k] for r in rows) for k in ("visits", "total_fen", "fund_fen", "assistance_fen",
                                                    "self_paid_fen", "self_funded_fen")}
    totals["average_fen"] = round_half_up_div(totals["total_fen"], visits) if visits else 0
    return Table(
        title="月度统筹汇总", subtitle=f"{year}年1月至{last}月（不含已冲正结算）",
        columns=(Column("month", "月份"), Column("visits", "结算人次", "int"), Column("total_fen", "医疗总费用", "fen"),
                 Column("fund_fen", "统筹支付", "fen"), Column("assistance_fen", "医疗救助", "fen"),
                 Column("self_paid_fen", "个人自付", "fen"), Column("self_funded_fen", "自费", "fen"),
                 Column("average_fen", "次均费用", "fen")),
        rows=rows, totals=totals,
    )


# -- cunyi check ---------------------------------------------------------------------------------
@rule("结算平衡")
def _settlements_balance(session: OrmSession) -> Iterator[str]:
    """Every settlement: total = the five parts, and total = Σ its line amounts + the general fee.

    Written as one pass per side (lines summed per visit once, then joined) so that a ten-year
    township database is checked in seconds, not minutes.
    """
    for receipt_no, total, parts in session.execute(text(
        "SELECT receipt_no, total_fen, fund_fen + general_fee_fund_fen + assistance_fen + self_paid_fen"
        " + self_funded_fen FROM settlements WHERE total_fen != fund_fen + general_fee_fund_fen + assistance_fen"
        " + self_paid_fen + self_funded_fen LIMIT 1"
    )):
        yield f"票据 {receipt_no} 合计 {total} 分 ≠ 统筹+救助+个人自付+自费 {parts} 分"
    for receipt_no, total, lines, fee in session.execute(text(
        "WITH l AS MATERIALIZED (SELECT visit_id, sum(amount_fen) AS a FROM prescription_lines GROUP BY visit_id)"
        " SELECT s.receipt_no, s.total_fen, coalesce(l.a, 0), s.general_fee_fen FROM settlements s"
        " LEFT JOIN l ON l.visit_id = s.visit_id WHERE s.total_fen != s.general_fee_fen + coalesce(l.a, 0) LIMIT 1"
    )):
        yield f"票据 {receipt_no} 合计 {total} 分 ≠ 药品明细 {lines} 分 + 一般诊疗费 {fee} 分"


@rule("冲正结算的发药已冲回")
def _reversed_visits_restocked(session: OrmSession) -> Iterator[str]:
    # CROSS JOIN keeps SQLite starting from the (few) reversals instead of the whole ledger
    for receipt_no, batch_id, quantity in session.execute(text(
        "SELECT s.receipt_no, m.batch_id, m.quantity FROM reversals r CROSS JOIN settlements s"
        " CROSS JOIN stock_movements m WHERE s.id = r.settlement_id AND m.doc_type = 'visit'"
        " AND m.doc_id = s.visit_id AND m.kind = 'dispense'"
        " AND NOT EXISTS (SELECT 1 FROM stock_movements x WHERE x.reverses_id = m.id) LIMIT 1"
    )):
        yield f"票据 {receipt_no} 已冲正，但批次 {batch_id} 的发药 {-quantity} 没有冲回库存"


@rule("结算发药与处方一致")
def _dispensed_as_prescribed(session: OrmSession) -> Iterator[str]:
    for receipt_no, prescribed, dispensed in session.execute(text(
        "SELECT s.receipt_no, (SELECT coalesce(sum(l.quantity_units), 0) FROM prescription_lines l"
        " WHERE l.visit_id = s.visit_id) AS p, (SELECT coalesce(-sum(m.quantity), 0) FROM stock_movements m"
        " WHERE m.doc_type = 'visit' AND m.doc_id = s.visit_id AND m.kind = 'dispense') AS d"
        " FROM settlements s WHERE s.owner_site_id = (SELECT site_id FROM local_site WHERE id = 1) AND p != d LIMIT 1"
    )):
        yield f"票据 {receipt_no} 处方数量 {prescribed} 与发药数量 {dispensed} 不一致"
