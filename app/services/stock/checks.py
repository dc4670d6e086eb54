"""``cunyi check`` rules and the ``stock`` report (registered when ``app.services.stock.service`` is imported)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.services.core.check import rule
from app.services.core.reports import Column, Period, Table, report
from app.services.stock.queries import batch_value_fen


# -- cunyi check -------------------------------------------------------------------------------
@rule("库存台账 = 批次结存")
def _ledger_matches_on_hand(session: Session) -> Iterator[str]:
    row = session.execute(
        text(
            "SELECT b.id, b.batch_no, d.generic_name, b.on_hand, COALESCE(m.total, 0) "
            "FROM batches b JOIN drugs d ON d.id = b.drug_id "
            "LEFT JOIN (SELECT batch_id, SUM(quantity) AS total FROM stock_movements GROUP BY batch_id) m "
            "ON m.batch_id = b.id WHERE b.on_hand != COALESCE(m.total, 0) ORDER BY d.generic_name, b.batch_no LIMIT 1"
        )
    ).first()
    if row:
        yield (
            f"药品“{row[2]}”批号 {row[1]}（批次 {row[0]}）结存 {row[3]}，"
            f"但台账合计为 {row[4]}，两者不符"
        )


@rule("库存不为负")
def _no_negative_stock(session: Session) -> Iterator[str]:
    row = session.execute(
        text(
            "SELECT b.id, b.batch_no, d.generic_name, b.on_hand FROM batches b JOIN drugs d ON d.id = b.drug_id "
            "WHERE b.on_hand < 0 ORDER BY d.generic_name, b.batch_no LIMIT 1"
        )
    ).first()
    if row:
        yield f"药品“{row[2]}”批号 {row[1]}（批次 {row[0]}）结存为负数 {row[3]}"


@rule("追溯码只售出一次")
def _trace_codes_sold_once(session: Session) -> Iterator[str]:
    row = session.execute(
        text(
            "SELECT code, sold FROM (SELECT code, sum(CASE kind WHEN 'sold' THEN 1 WHEN 'unsold' THEN -1 ELSE 0 END) "
            "AS sold FROM trace_code_events GROUP BY code) AS counted WHERE sold NOT IN (0, 1) ORDER BY code LIMIT 1"
        )
    ).first()
    if row:
        yield f"追溯码 {row[0]} 售出与销售冲正相抵后为 {row[1]} 次（应为 0 或 1 次）"


@rule("追溯码先入库后售出")
def _trace_codes_received_before_sold(session: Session) -> Iterator[str]:
    row = session.execute(
        text(
            "SELECT r.code, r.occurred_at FROM trace_code_events r JOIN trace_code_events p "
            "ON p.store_id = r.store_id AND p.code = r.code AND p.seq = r.seq - 1 "
            "WHERE r.kind = 'received' AND p.kind = 'sold' ORDER BY r.code LIMIT 1"
        )
    ).first()
    if row:
        yield f"追溯码 {row[0]} 售出后又于 {str(row[1])[:16]} 入库"


# -- cunyi report stock --------------------------------------------------------------------------
def stock_report_rows(session: Session, site_id: str) -> list[dict]:
    """One row per batch with stock at the site's store(s), sorted by drug then batch no."""
    rows = session.execute(
        text(
            "SELECT d.id, d.national_code, d.generic_name, b.batch_no, b.expiry, b.on_hand, b.pack_cost_fen, "
            "d.units_per_pack FROM batches b JOIN drugs d ON d.id = b.drug_id JOIN stores s ON s.id = b.store_id "
            "WHERE s.site_id = :site AND b.on_hand > 0 ORDER BY d.generic_name, d.id, b.batch_no, b.expiry"
        ),
        {"site": site_id},
    )
    return [
        {
            "drug_id": r[0],
            "national_code": r[1],
            "generic_name": r[2],
            "batch_no": r[3],
            "expiry": str(r[4]),
            "on_hand_units": int(r[5]),
            "value_fen": batch_value_fen(int(r[5]), int(r[6]), int(r[7])),
        }
        for r in rows
    ]


@report("stock", "库存报表")
def _stock_report(services, period: Period) -> Table:  # noqa: ANN001
    with services.db.read() as session:
        rows = stock_report_rows(session, period.site_id)
    return Table(
        title="库存报表",
        subtitle="按药品、批号列出有结存的批次；数量为最小单位，金额按进价",
        columns=(
            Column("national_code", "医保药品编码"),
            Column("generic_name", "通用名"),
            Column("batch_no", "批号"),
            Column("expiry", "效期", "date"),
            Column("on_hand_units", "结存(最小单位)", "int"),
            Column("value_fen", "金额(元)", "fen"),
        ),
        rows=rows,
        totals={"on_hand_units": sum(r["on_hand_units"] for r in rows), "value_fen": sum(r["value_fen"] for r in rows)},
    )
