"""The statement's figures recomputed independently from the raw rows, to the fen, over three months with a
carry-over (DESIGN §9 acceptance): the township buys, ships to its village (one shipment received short,
one shipped in January and received in February), the village settles, reverses, returns a lot; each month's
``report statement`` agrees with ``report transfers`` and ``report settlements`` of the same month by the
formulas of DESIGN §9; the savings; and the 统一结算单 PDF read back."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from site_harness import run

from app.domain.money import fen_to_yuan
from app.domain.statements import month_span
from app.services.statements.types import REPORT_KEYS
from app.services.transfers.types import DistributorForm, PurchaseForm, PurchaseLineForm

JAN, FEB, MAR = "2026-01", "2026-02", "2026-03"
#: procurement prices per pack (fen) and the pre-集采 reference price of amoxicillin
AMOX_PRICE, AMLO_PRICE, AMOX_REFERENCE = 1237, 845, 2650


def _half_up(numerator: int, denominator: int) -> int:
    """Written out here on purpose (not the app's helper): round half-up of a non-negative quotient."""
    q, r = divmod(numerator, denominator)
    return q + (1 if 2 * r >= denominator else 0)


def _report(site, name: str, village_id: str, month: str):  # noqa: ANN001, ANN202
    code, out, err = run("report", name, "--data", str(site.data), "--site", village_id, "--month", month)
    assert code == 0, err
    return json.loads(out)


def _ship(world, day: date, lines: dict[str, int]) -> str:  # noqa: ANN001
    """The township drafts and ships ``lines`` (base units) to the village on ``day``, then syncs."""
    at = datetime.combine(day, datetime.min.time()).replace(hour=9)
    with world.on(world.town, day) as sv:
        draft = sv.transfers.draft_shipment(world.village.site_id, [(world.drugs[k], q) for k, q in lines.items()],
                                            at=at)
        shipment_id = sv.transfers.ship(draft, at=at).shipment_id
        sv.sync.sync_now()
    return shipment_id


def _receive(world, day: date, shipment_id: str, short: dict[str, int] | None = None) -> None:  # noqa: ANN001
    """The village pulls and receives a shipment on ``day`` (``short``: units missing per drug), then syncs."""
    at = datetime.combine(day, datetime.min.time()).replace(hour=15)
    with world.on(world.village, day) as sv:
        sv.sync.sync_now()
        lines = sv.transfers.shipment(shipment_id).lines
        counted, reasons = {}, {}
        for line in lines:
            missing = (short or {}).get(next(k for k, v in world.drugs.items() if v == line.drug_id), 0)
            if missing:
                counted[line.id], reasons[line.id] = line.quantity - missing, "运输途中破损"
        sv.transfers.receive_shipment(shipment_id, counted, reasons=reasons, at=at)
        sv.sync.sync_now()


@pytest.fixture
def supplied(world):  # noqa: ANN001, ANN201
    """Three months of a township and its village (see the module's text); returns the world."""
    w = world
    start = date(2026, 1, 6)
    with w.on(w.town, start) as sv:
        t = sv.transfers
        distributor = t.save_distributor(DistributorForm("国药控股示例有限公司", "91410100MA00000000"))
        t.receive_purchase(PurchaseForm(distributor, "SH2026010601", "FP0001", [
            PurchaseLineForm(w.drugs["amox"], "T2601", date(2028, 6, 30), 2400, AMOX_PRICE),
            PurchaseLineForm(w.drugs["amlo"], "L2601", date(2028, 6, 30), 1400, AMLO_PRICE),
        ]), at=datetime(2026, 1, 6, 10, 0))
        t.set_reference_price(w.drugs["amox"], AMOX_REFERENCE, "集采前中标价")
    # January: two shipments received (one short by 7 capsules), one shipped on the 30th, received in February
    _receive(w, date(2026, 1, 12), _ship(w, date(2026, 1, 10), {"amox": 240, "amlo": 140}), short={"amox": 7})
    _receive(w, date(2026, 1, 21), _ship(w, date(2026, 1, 20), {"amox": 120}))
    late = _ship(w, date(2026, 1, 30), {"amlo": 56})
    first = w.settle(date(2026, 1, 22), {"amox": 24, "amlo": 28})
    w.settle(date(2026, 1, 27), {"amox": 12}, resident=1)
    w.sync(w.village, date(2026, 1, 31))
    # February: the late shipment arrives, a January settlement is reversed, a lot goes back to the township
    _receive(w, date(2026, 2, 2), late)
    w.reverse(date(2026, 2, 3), first)
    w.settle(date(2026, 2, 10), {"amlo": 14}, resident=1)
    with w.on(w.village, date(2026, 2, 12)) as sv:
        lot = w.village.sql("SELECT l.batch_id FROM transfer_receipt_lines l JOIN drugs d ON d.id = l.drug_id "
                            "WHERE d.generic_name = '苯磺酸氨氯地平片' ORDER BY l.created_at LIMIT 1")[0][0]
        sv.stock.return_to_township(lot, 28, "近效期调剂", at=datetime(2026, 2, 12, 11, 0))
        sv.sync.sync_now()
    with w.on(w.town, date(2026, 2, 14)) as sv:
        sv.sync.sync_now()
        (waiting,) = sv.transfers.returns(status="waiting")
        sv.transfers.receive_return(waiting.id, at=datetime(2026, 2, 14, 9, 0))
        sv.sync.sync_now()
    _receive(w, date(2026, 2, 21), _ship(w, date(2026, 2, 20), {"amox": 24}))
    # March: settlements only
    w.settle(date(2026, 3, 9), {"amox": 24}, resident=0)
    w.settle(date(2026, 3, 16), {"amlo": 28}, resident=1)
    w.sync(w.village, date(2026, 4, 1))  # the marks of January, February and March go with it
    w.sync(w.town, date(2026, 4, 2))
    return w


def _raw(site, village_id: str, month: str) -> dict[str, int]:  # noqa: ANN001
    """supplied, returned, fund, subsidy and savings of ``month`` from the tables, by the DESIGN §9 formulas."""
    lo, hi = (t.isoformat(" ") for t in month_span(month))
    lines = site.sql(
        "SELECT l.qty_received, sl.pack_price_fen, d.units_per_pack, p.reference_price_fen FROM transfer_receipt_lines l"
        " JOIN transfer_receipts r ON r.id = l.receipt_id JOIN shipment_lines sl ON sl.id = l.shipment_line_id"
        " JOIN drugs d ON d.id = l.drug_id LEFT JOIN drug_reference_prices p ON p.drug_id = l.drug_id"
        " WHERE r.site_id = ? AND r.received_at >= ? AND r.received_at < ?", village_id, lo, hi)
    supplied = sum(_half_up(q * price, per) for q, price, per, _ref in lines)
    savings = 0
    for q, price, per, ref in lines:
        if ref is not None:
            diff = (ref - price) * q
            savings += _half_up(diff, per) if diff >= 0 else -_half_up(-diff, per)
    returned = site.sql("SELECT coalesce(sum(amount_fen), 0) FROM return_receipts WHERE site_id = ? AND "
                        "received_at >= ? AND received_at < ?", village_id, lo, hi)[0][0]
    settled = site.sql("SELECT coalesce(sum(fund_fen + general_fee_fund_fen), 0) FROM settlements WHERE site_id = ? "
                       "AND settled_at >= ? AND settled_at < ?", village_id, lo, hi)[0][0]
    reversed_ = site.sql("SELECT coalesce(sum(s.fund_fen + s.general_fee_fund_fen), 0) FROM reversals r JOIN "
                         "settlements s ON s.id = r.settlement_id WHERE s.site_id = ? AND r.reversed_at >= ? AND "
                         "r.reversed_at < ?", village_id, lo, hi)[0][0]
    subsidy = site.sql("SELECT coalesce(sum(amount_fen), 0) FROM essential_drug_subsidies WHERE site_id = ? AND "
                       "month = ?", village_id, month)
    return {"supplied_fen": supplied, "returned_fen": returned, "fund_receivable_fen": settled - reversed_,
            "subsidy_fen": subsidy[0][0], "savings_fen": savings, "lines": len(lines)}


def test_three_months_recomputed_from_the_raw_rows_with_a_carry_over(supplied) -> None:  # noqa: ANN001
    w = supplied
    v = w.village.site_id
    subsidies = {JAN: 50_00, FEB: 60_00, MAR: 200_00}
    finals = {}
    with w.on(w.town, date(2026, 4, 2)) as sv:
        for month, amount in subsidies.items():
            sv.statements.set_subsidy(v, month, amount, "基药补助")
            finals[month] = sv.statements.finalise(sv.statements.draft(v, month).id)
    carried = 0
    for month in (JAN, FEB, MAR):
        raw = _raw(w.town, v, month)
        due = raw["supplied_fen"] - raw["returned_fen"] + carried
        from_fund = max(0, min(max(due, 0), raw["fund_receivable_fen"]))
        from_subsidy = max(0, min(due - from_fund, raw["subsidy_fen"]))
        expected = {"site_id": v, "month": month, "supplied_fen": raw["supplied_fen"],
                    "returned_fen": raw["returned_fen"], "due_fen": due, "carried_in_fen": carried,
                    "fund_receivable_fen": raw["fund_receivable_fen"], "subsidy_fen": raw["subsidy_fen"],
                    "from_fund_fen": from_fund, "from_subsidy_fen": from_subsidy,
                    "carried_out_fen": due - from_fund - from_subsidy,
                    "covers_local_seq": w.village.sql("SELECT last_local_seq FROM month_closes WHERE month = ?",
                                                      month)[0][0],
                    "status": "final"}
        got = _report(w.town, "statement", v, month)
        assert got == expected, month
        assert finals[month].figures.report_row() == expected and finals[month].savings_fen == raw["savings_fen"]
        # report statement agrees with report transfers and report settlements of the same month
        transfers = _report(w.town, "transfers", v, month)
        received_here = [r for r in transfers if r["received_at"] and r["received_at"].startswith(month)]
        assert got["supplied_fen"] == sum(r["amount_fen"] for r in received_here)
        assert len(received_here) == raw["lines"]
        for r in received_here:
            assert r["amount_fen"] == _half_up(r["qty_received"] * r["pack_price_fen"], r["units_per_pack"])
        settlements = _report(w.town, "settlements", v, month)
        assert got["fund_receivable_fen"] == sum(r["fund_fen"] + r["general_fee_fund_fen"] for r in settlements)
        carried = expected["carried_out_fen"]
    jan, feb, mar = (_report(w.town, "statement", v, m) for m in (JAN, FEB, MAR))
    # January's supplies exceed its fund and subsidy; February absorbs part, March the rest
    assert jan["due_fen"] > jan["fund_receivable_fen"] + jan["subsidy_fen"] and jan["carried_out_fen"] > 0
    assert jan["from_fund_fen"] == jan["fund_receivable_fen"] and jan["from_subsidy_fen"] == jan["subsidy_fen"]
    assert feb["carried_in_fen"] == jan["carried_out_fen"] and 0 < feb["carried_out_fen"] < jan["carried_out_fen"]
    assert feb["fund_receivable_fen"] < 0 and feb["from_fund_fen"] == 0  # the reversal of January's settlement
    assert feb["returned_fen"] == _half_up(28 * AMLO_PRICE, 28) and feb["supplied_fen"] > 0  # the late shipment
    assert mar["carried_in_fen"] == feb["carried_out_fen"] and mar["carried_out_fen"] == 0
    assert mar["supplied_fen"] == 0 and mar["from_fund_fen"] + mar["from_subsidy_fen"] == mar["due_fen"]
    # the short line: 233 of 240 capsules at ¥12.37 a box of 24 is ¥120.09 (12009.21 fen, rounded)
    short = [r for r in _report(w.town, "transfers", v, JAN) if r["qty_lost"]]
    assert [(r["qty_received"], r["qty_lost"], r["amount_fen"]) for r in short] == [(233, 7, 120_09)]
    # the village sees the same statements
    w.sync(w.town, date(2026, 4, 2))
    w.sync(w.village, date(2026, 4, 3))
    for month in (JAN, FEB, MAR):
        assert _report(w.village, "statement", v, month) == _report(w.town, "statement", v, month)


def test_savings_per_drug_and_the_report(supplied, tmp_path) -> None:  # noqa: ANN001
    w = supplied
    v = w.village.site_id
    rows = _report(w.town, "savings", v, JAN)
    amox = [r for r in rows if r["drug_id"] == w.drugs["amox"]]
    # 233 + 120 capsules received in January at ¥12.37 a box of 24, reference ¥26.50
    assert [(r["quantity_units"], r["reference_price_fen"], r["pack_price_fen"]) for r in amox] == [
        (353, AMOX_REFERENCE, AMOX_PRICE)]
    assert amox[0]["saving_fen"] == _half_up(233 * (AMOX_REFERENCE - AMOX_PRICE), 24) + _half_up(
        120 * (AMOX_REFERENCE - AMOX_PRICE), 24)
    amlo = [r for r in rows if r["drug_id"] == w.drugs["amlo"]]
    assert amlo and amlo[0]["reference_price_fen"] is None and amlo[0]["saving_fen"] == 0  # no reference price
    assert sum(r["saving_fen"] for r in rows) == _raw(w.town, v, JAN)["savings_fen"]
    # at the township without --site: every village together (here the one)
    code, out, err = run("report", "savings", "--data", str(w.town.data), "--month", JAN)
    assert code == 0, err
    assert json.loads(out) == rows
    with w.on(w.town, date(2026, 4, 2)) as sv:
        assert sv.statements.compute(v, JAN).savings_fen == sum(r["saving_fen"] for r in rows)
    xlsx = tmp_path / "savings.xlsx"
    code, out, err = run("report", "savings", "--data", str(w.town.data), "--site", v, "--month", JAN, "--xlsx", str(xlsx))
    assert code == 0, err
    values = [[c.value for c in row] for row in load_workbook(xlsx).active.iter_rows()]
    assert values[0][0] == "节约医保基金" and values[2][0] == "药品" and "节约金额" in values[2]
    amox_row = next(r for r in values[3:] if r[0] == "阿莫西林胶囊")
    assert amox_row[values[2].index("节约金额")] == amox[0]["saving_fen"] / 100
    assert amox_row[values[2].index("数量")] == "14盒17粒"  # 353 capsules
    assert values[-1][0] == "合计" and values[-1][values[2].index("节约金额")] == sum(r["saving_fen"] for r in rows) / 100


def test_the_statement_pdf_shows_every_figure_in_yuan(supplied, tmp_path) -> None:  # noqa: ANN001
    w = supplied
    v = w.village.site_id
    with w.on(w.town, date(2026, 4, 2)) as sv:
        sv.statements.set_subsidy(v, JAN, 50_00)
        info = sv.statements.finalise(sv.statements.draft(v, JAN).id)
        pdf = sv.statements.print_statement(info.id, tmp_path / "statement.pdf")
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", pages, re.M) and re.search(r"^Page size:\s+595.276 x 841.89 pts \(A4\)", pages, re.M)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "WenQuanYi" in fonts and " yes " in fonts  # the CJK font, embedded
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    name = w.village.sql("SELECT name FROM sites WHERE id = ?", v)[0][0]
    for words in ("村卫生室药品统一结算单", f"村卫生室：{name}", "结算月份：2026年1月", f"结算单号：{info.statement_no}",
                  "状态：已定稿", "先从应收统筹基金中扣除", f"上传序号 {info.covers_local_seq} 及以前",
                  "乡镇卫生院（盖章）", "村卫生室（盖章）", "经办人签字", "村医签字"):
        assert words in text, words
    for fen in (info.supplied_fen, info.returned_fen, info.carried_in_fen, info.due_fen, info.fund_receivable_fen,
                info.subsidy_fen, info.from_fund_fen, info.from_subsidy_fen, info.carried_out_fen, info.savings_fen):
        assert f"{fen_to_yuan(fen)} 元" in text, fen
    assert set(REPORT_KEYS) >= {"covers_local_seq", "status"}
