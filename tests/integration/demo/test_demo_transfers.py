"""The demo's township operations 三统: purchases, requisitions, shipments and their receipts, month-end
marks, subsidies and statements, read back from the small demo and checked against the raw rows.

The statements are recomputed here from the receipts, shipment lines, settlements and reversals by the
formulas of DESIGN §9 (not through the statements service), to the fen, including the carry-over.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import timedelta

import demo_checks as checks
import pytest

from app.bootstrap import bootstrap
from app.domain import clock
from app.domain.money import round_half_up_div
from app.services.demo.builder import build_demo


@pytest.fixture(scope="module")
def con(demo_build) -> sqlite3.Connection:  # noqa: ANN001
    connection = sqlite3.connect(f"file:{demo_build.database}?mode=ro", uri=True)
    yield connection
    connection.close()


def _one(con: sqlite3.Connection, sql: str, *args: object) -> object:
    return con.execute(sql, args).fetchone()[0]


def _months(today) -> tuple[str, str]:  # noqa: ANN001
    last_ended = f"{today.year - (today.month == 1):04d}-{(today.month - 2) % 12 + 1:02d}"
    return last_ended, f"{today.year:04d}-{today.month:02d}"


def test_shipments_close_and_the_last_ones_are_in_transit(con: sqlite3.Connection) -> None:
    checks.shipments_close(con)
    villages = [v for (v,) in con.execute("SELECT id FROM sites WHERE kind = 'village' ORDER BY code")]
    for village in villages:
        rows = con.execute("SELECT s.shipped_at, r.id IS NOT NULL FROM shipments s LEFT JOIN transfer_receipts r "
                           "ON r.shipment_id = s.id WHERE s.to_site_id = ? ORDER BY s.shipped_at", (village,)).fetchall()
        waiting = [received for _, received in rows].count(0)
        assert 1 <= waiting <= 2 and not any(received for _, received in rows[-waiting:])  # the newest ones
        assert all(received for _, received in rows[:-waiting])
    # a few receipts came up short, each loss with its reason
    short = con.execute("SELECT qty_lost, reason FROM transfer_receipt_lines WHERE qty_lost > 0").fetchall()
    assert short and all(lost > 0 and reason for lost, reason in short)


def test_most_shipments_answer_a_requisition_sent_before_them(con: sqlite3.Connection) -> None:
    kinds = dict(con.execute("SELECT kind, count(*) FROM shipments GROUP BY kind"))
    assert kinds["requisition"] > kinds.get("ad_hoc", 0) > 0
    assert _one(con, "SELECT count(*) FROM shipments s JOIN requisitions q ON q.id = s.requisition_id "
                     "WHERE q.site_id != s.to_site_id OR q.requested_at >= s.shipped_at") == 0
    assert _one(con, "SELECT count(*) FROM shipments WHERE (kind = 'requisition') != (requisition_id IS NOT NULL)") == 0
    # each requested line is answered with its quantity; the suggestion's figures are kept
    assert _one(con, "SELECT count(*) FROM shipment_lines l JOIN requisition_lines q ON q.id = l.requisition_line_id "
                     "WHERE q.requested_units != l.requested_units OR q.drug_id != l.drug_id") == 0
    assert _one(con, "SELECT count(*) FROM requisition_lines q JOIN drugs d ON d.id = q.drug_id "
                     "WHERE q.suggested_units % d.units_per_pack != 0 OR q.suggested_units < 0") == 0
    assert _one(con, "SELECT count(*) FROM requisition_lines WHERE monthly_use_units > 0") > 0


def test_purchases_are_the_township_receipts_of_its_ledger(con: sqlite3.Connection) -> None:
    township, store = con.execute("SELECT s.id, t.id FROM sites s JOIN stores t ON t.site_id = s.id "
                                  "WHERE s.kind = 'township'").fetchone()
    moves = sorted(con.execute("SELECT doc_id, batch_id, quantity FROM stock_movements WHERE store_id = ? "
                               "AND kind = 'receipt'", (store,)).fetchall())
    lines = sorted(con.execute("SELECT receipt_id, batch_id, quantity FROM purchase_lines").fetchall())
    assert moves == lines and moves
    assert _one(con, "SELECT count(*) FROM stock_movements WHERE store_id = ? AND kind = 'receipt' "
                     "AND doc_type != 'purchase'", store) == 0
    for receipt_id, total in con.execute("SELECT id, total_fen FROM purchase_receipts"):
        amounts = con.execute("SELECT l.quantity, l.pack_price_fen, l.amount_fen, d.units_per_pack FROM purchase_lines l "
                              "JOIN drugs d ON d.id = l.drug_id WHERE l.receipt_id = ?", (receipt_id,)).fetchall()
        assert all(a == round_half_up_div(q * p, upp) for q, p, a, upp in amounts)
        assert total == sum(a for _, _, a, _ in amounts)
    assert _one(con, "SELECT count(*) FROM purchase_receipts WHERE delivery_note_no = '' OR invoice_no = '' "
                     "OR site_id != ? OR kind != 'purchase'", township) == 0
    assert _one(con, "SELECT count(*) FROM (SELECT 1 FROM purchase_receipts GROUP BY distributor_id, "
                     "delivery_note_no HAVING count(*) > 1)") == 0
    assert 2 <= _one(con, "SELECT count(DISTINCT distributor_id) FROM purchase_receipts") <= 3
    # the reference prices: 集采 drugs only, above the procurement price, marked as example values
    assert _one(con, "SELECT count(*) FROM drug_reference_prices r JOIN drugs d ON d.id = r.drug_id "
                     "WHERE NOT d.is_vbp OR r.reference_price_fen < 2 * d.price_fen OR r.note NOT LIKE '%示例%'") == 0
    assert _one(con, "SELECT count(*) FROM drug_reference_prices") > 20


def test_statements_follow_the_design_to_the_fen(con: sqlite3.Connection) -> None:
    """Recomputed from the raw rows: supplied, fund receivable, subsidy, the deduction and the carry-over."""
    last_ended, current = _months(clock.today())
    supplied: dict[tuple[str, str], int] = defaultdict(int)
    for site, month, qty, price, upp in con.execute(
            "SELECT r.site_id, substr(r.received_at, 1, 7), c.qty_received, l.pack_price_fen, d.units_per_pack "
            "FROM transfer_receipt_lines c JOIN transfer_receipts r ON r.id = c.receipt_id "
            "JOIN shipment_lines l ON l.id = c.shipment_line_id JOIN drugs d ON d.id = l.drug_id"):
        supplied[(site, month)] += round_half_up_div(qty * price, upp)
    fund: dict[tuple[str, str], int] = defaultdict(int)
    for site, month, amount in con.execute("SELECT site_id, substr(settled_at, 1, 7), fund_fen + general_fee_fund_fen "
                                           "FROM settlements"):
        fund[(site, month)] += amount
    for site, month, amount in con.execute(
            "SELECT s.site_id, substr(r.reversed_at, 1, 7), s.fund_fen + s.general_fee_fund_fen FROM reversals r "
            "JOIN settlements s ON s.id = r.settlement_id"):
        fund[(site, month)] -= amount
    villages = [v for (v,) in con.execute("SELECT id FROM sites WHERE kind = 'village' ORDER BY code")]
    carried_over = 0
    for village in villages:
        rows = con.execute(
            "SELECT s.month, s.supplied_fen, s.returned_fen, s.carried_in_fen, s.due_fen, s.fund_receivable_fen, "
            "s.subsidy_fen, s.from_fund_fen, s.from_subsidy_fen, s.carried_out_fen, s.covers_local_seq, s.status, "
            "e.amount_fen, c.last_local_seq, a.id IS NOT NULL FROM statements s "
            "LEFT JOIN essential_drug_subsidies e ON e.site_id = s.site_id AND e.month = s.month "
            "LEFT JOIN month_closes c ON c.site_id = s.site_id AND c.month = s.month "
            "LEFT JOIN statement_acknowledgments a ON a.statement_id = s.id "
            "WHERE s.site_id = ? ORDER BY s.month", (village,)).fetchall()
        months = [r[0] for r in rows]
        first = _one(con, "SELECT substr(min(visit_date), 1, 7) FROM visits WHERE site_id = ?", village)
        assert months[0] == first and months[-1] == last_ended and current not in months
        assert len(set(months)) == len(months)
        carried = 0
        for (month, sup, ret, c_in, due, fnd, sub, f_fund, f_sub, c_out, covers, status, subsidy, mark,
             acknowledged) in rows:
            assert sup == supplied[(village, month)] and ret == 0
            assert c_in == carried and due == sup - ret + c_in
            assert fnd == fund[(village, month)] and sub == subsidy and 100_000 <= sub <= 500_000
            assert f_fund == max(0, min(max(due, 0), fnd))
            assert f_sub == max(0, min(due - f_fund, sub)) and c_out == due - f_fund - f_sub
            assert covers == mark is not None  # every ended month's mark has arrived
            assert (status, acknowledged) == (("draft", False) if month == last_ended else ("final", True))
            carried = c_out
            carried_over += c_out > 0
    assert carried_over > 0  # some month's due is more than the fund and the subsidy: carried over
    # marks go up month by month
    for village in villages:
        marks = [m for (m,) in con.execute("SELECT last_local_seq FROM month_closes WHERE site_id = ? ORDER BY month",
                                           (village,))]
        assert marks == sorted(marks) and marks[0] > 0


def test_the_statements_are_what_the_statements_service_computes(tmp_path) -> None:  # noqa: ANN001
    """Seen from the township: every month of every village, recomputed by ``Services.statements.compute``
    (a final statement is recomputed on a copy where it is set back to draft), equals the demo's statement."""
    build_demo(tmp_path / "t", site="township", progress=lambda _text: None)
    data = tmp_path / "t"
    sv = bootstrap(data)
    try:
        # the township's copy of what the hub said: every village synced, the last one three days ago
        overview = {v.name: v for v in sv.overview.villages()}
        late = [name for name, v in overview.items() if v.last_sync_at.date() <= clock.today() - timedelta(days=3)]
        assert len(overview) == 3 and all(v.last_sync_at for v in overview.values()) and len(late) == 1
        stored = sv.statements.statements()
        assert {s.status for s in stored} == {"draft", "acknowledged"}
        shown = {(s.site_id, s.month): s for s in stored}
        for s in stored:  # as stored, through the service
            figures = sv.statements.compute(s.site_id, s.month)
            assert figures.status == s.status and figures.covers_local_seq == s.covers_local_seq is not None
    finally:
        sv.close()
    con = sqlite3.connect(data / "cunyi.db")
    try:  # every final statement back to draft (a copy of the folder): compute() then recomputes it from the rows
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'statements'"
                                   ).fetchall():
            con.execute(f"DROP TRIGGER {name}")
        con.execute("UPDATE statements SET status = 'draft'")
        con.commit()
    finally:
        con.close()
    sv = bootstrap(data)
    try:
        keys = ("supplied_fen", "returned_fen", "carried_in_fen", "due_fen", "fund_receivable_fen", "subsidy_fen",
                "from_fund_fen", "from_subsidy_fen", "carried_out_fen", "savings_fen", "covers_local_seq")
        for (site_id, month), info in shown.items():
            figures = sv.statements.compute(site_id, month)
            assert {k: getattr(figures, k) for k in keys} == {k: getattr(info, k) for k in keys}, (info.site_name, month)
    finally:
        sv.close()
