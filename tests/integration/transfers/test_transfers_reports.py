"""``cunyi report transfers`` and ``cunyi report in-transit`` (DESIGN §9 keys, figures by hand, Excel) and the
``cunyi check`` rule that shipments close, at the township and at each village."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from transfers_sites import purchase, run, sync

TRANSFER_KEYS = ["shipment_id", "shipment_no", "to_site_id", "shipped_at", "received_at", "drug_id", "national_code",
                 "batch_no", "expiry", "qty_shipped", "qty_received", "qty_lost", "units_per_pack", "pack_price_fen",
                 "amount_fen"]


def _report(world, site: str, name: str, *args: str) -> list[dict]:
    code, out, err = run("report", name, "--data", str(world.root / site), *args)
    assert code == 0, err
    return json.loads(out)


def _scenario(world) -> dict[str, str]:
    """May: S3 shipped and received; S1 shipped on 31 May, received on 1 June two 粒 short. June: S2 in transit."""
    township, east, west = world.sv["township"], world.sv["east"], world.sv["west"]
    tr = township.transfers
    amox, vc = world.template.drugs
    purchase(township, vc, "V1", date(2027, 3, 1), "10", 350, at=datetime(2026, 5, 2, 9))
    s3 = tr.draft_shipment(world.site_id("east"), [(vc, "1")], at=datetime(2026, 5, 10, 8))
    tr.ship(s3, at=datetime(2026, 5, 10, 9))
    s1 = tr.draft_shipment(world.site_id("east"), [(amox, "3"), (vc, "1")], at=datetime(2026, 5, 31, 15))
    tr.ship(s1, at=datetime(2026, 5, 31, 16))
    s2 = tr.draft_shipment(world.site_id("west"), [(amox, 24)], at=datetime(2026, 6, 10, 8))
    tr.ship(s2, at=datetime(2026, 6, 10, 9))
    sync(world, "township", "east", "west")
    east.transfers.receive_shipment(s3, at=datetime(2026, 5, 12, 10))
    amox_line = next(ln for ln in east.transfers.shipment(s1).lines if ln.drug_id == amox)
    east.transfers.receive_shipment(s1, {amox_line.id: 70}, reasons={amox_line.id: "两粒受潮"},
                                    at=datetime(2026, 6, 1, 9))
    assert west.transfers.incoming()[0].id == s2
    sync(world, "east", "west", "township")
    return {"s1": s1, "s2": s2, "s3": s3}


def test_transfers_report_rows_and_figures(world) -> None:
    ids = _scenario(world)
    amox, vc = world.template.drugs
    east, west = world.site_id("east"), world.site_id("west")
    june = _report(world, "township", "transfers", "--month", "2026-06")
    assert all(list(row) == TRANSFER_KEYS for row in june)
    got = sorted((r["shipment_id"], r["drug_id"], r["to_site_id"], r["batch_no"], r["expiry"], r["qty_shipped"],
                  r["qty_received"], r["qty_lost"], r["units_per_pack"], r["pack_price_fen"], r["amount_fen"],
                  r["received_at"]) for r in june)
    assert got == sorted([
        # 70 粒 at ¥12.50 a box of 24: 70 × 1250 / 24 = 3645.83 → 3646 fen
        (ids["s1"], amox, east, "T2501", "2027-07-31", 72, 70, 2, 24, 1250, 3646, "2026-06-01 09:00:00"),
        (ids["s1"], vc, east, "V1", "2027-03-01", 100, 100, 0, 100, 350, 350, "2026-06-01 09:00:00"),
        (ids["s2"], amox, west, "T2501", "2027-07-31", 24, 0, 0, 24, 1250, 0, None),
    ])
    assert {r["shipped_at"] for r in june if r["shipment_id"] == ids["s1"]} == {"2026-05-31 16:00:00"}
    may = _report(world, "township", "transfers", "--month", "2026-05")
    # S1 was still on the road at the end of May: May shows it in transit, June received
    assert sorted((r["shipment_id"], r["qty_received"], r["received_at"]) for r in may) == sorted([
        (ids["s3"], 100, "2026-05-12 10:00:00"), (ids["s1"], 0, None), (ids["s1"], 0, None)])
    only_east = _report(world, "township", "transfers", "--month", "2026-06", "--site", east)
    assert {r["shipment_id"] for r in only_east} == {ids["s1"]}
    # the village's own database tells the same
    assert sorted(map(json.dumps, _report(world, "east", "transfers", "--month", "2026-06"))) == sorted(
        map(json.dumps, only_east))
    # the statement's supplied_fen of June would be Σ amount_fen: 3646 + 350
    assert sum(r["amount_fen"] for r in only_east) == 3996


def test_in_transit_report_now_and_at_a_month_end(world) -> None:
    ids = _scenario(world)
    now = _report(world, "township", "in-transit")
    assert [(r["shipment_id"], r["to_site_name"], r["qty_shipped"], r["amount_fen"]) for r in now] == [
        (ids["s2"], "west", 24, 1250)]
    end_of_may = _report(world, "township", "in-transit", "--month", "2026-05")
    assert sorted((r["shipment_id"], r["qty_shipped"]) for r in end_of_may) == sorted([(ids["s1"], 72), (ids["s1"], 100)])
    assert _report(world, "west", "in-transit") == [dict(now[0])]
    assert _report(world, "east", "in-transit") == []
    # in transit = shipped − received − lost, per the services too
    infos = world.sv["township"].transfers.shipments()
    assert sum(i.qty_shipped - i.qty_received - i.qty_lost for i in infos) == sum(r["qty_shipped"] for r in now)


def test_reports_to_excel(world, tmp_path) -> None:
    _scenario(world)
    target = tmp_path / "调拨明细.xlsx"
    code, out, err = run("report", "transfers", "--data", str(world.root / "township"), "--month", "2026-06",
                         "--xlsx", str(target))
    assert code == 0, err
    assert json.loads(out) == {"xlsx": str(target), "rows": 3}
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "调拨明细" and "出库或收货" in rows[1][0]
    assert rows[2][:3] == ("调拨单编号（内部）", "调拨单号", "村卫生室编号")
    assert rows[-1][0] == "合计" and rows[-1][-1] == pytest.approx(39.96 + 0)  # ¥36.46 + ¥3.50, in yuan
    code, out, err = run("report", "in-transit", "--data", str(world.root / "township"), "--xlsx",
                         str(tmp_path / "在途.xlsx"))
    assert code == 0, err
    assert list(load_workbook(tmp_path / "在途.xlsx").active.iter_rows(values_only=True))[3][1] == "west"


def test_check_proves_shipments_close_everywhere_and_catches_a_mismatch(world, tmp_path) -> None:
    _scenario(world)
    for site in ("township", "east", "west"):
        code, out, err = run("check", "--data", str(world.root / site))
        assert code == 0, (site, out, err)
        assert "调拨单收发平衡" in out
    broken = tmp_path / "broken"
    world.sv["township"].close()
    shutil.copytree(world.root / "township", broken)
    with closing(sqlite3.connect(broken / "cunyi.db")) as con:
        con.execute("UPDATE shipment_lines SET quantity = quantity + 1 WHERE quantity = 72")
        con.commit()
    code, out, err = run("check", "--data", str(broken))
    assert code == 1 and "调拨单收发平衡" in out + err and "实收 + 短少应等于发出" in out + err


def test_purchases_report_counts_a_return_against_the_month(world, tmp_path) -> None:
    """采购入库明细: one row per line; a return to the distributor is negative, so the month's total is what it kept;
    another month's delivery is not in it; Excel holds the same rows."""
    township = world.sv["township"]
    amox, vc = world.template.drugs
    purchase(township, vc, "V7", date(2027, 3, 1), "10", 350, note_no="SH-0501", at=datetime(2026, 5, 2, 9))
    done = purchase(township, amox, "A7", date(2027, 4, 30), "5", 1250, note_no="SH-0520", at=datetime(2026, 5, 20, 9))
    line = township.transfers.purchase(done.receipt_id).lines[0]
    township.transfers.return_purchase(done.receipt_id, [(line.id, "2")], "包装破损，退回配送企业",
                                       at=datetime(2026, 5, 21, 10))
    purchase(township, vc, "V8", date(2027, 3, 1), "1", 350, note_no="SH-0601", at=datetime(2026, 6, 1, 9))
    rows = _report(world, "township", "purchases", "--month", "2026-05")
    assert [(r["kind"], r["batch_no"], r["quantity"], r["amount_fen"]) for r in rows] == [
        ("采购入库", "V7", 1000, 3500), ("采购入库", "A7", 120, 6250), ("采购退货", "A7", -48, -2500)]
    assert rows[0]["delivery_note_no"] == "SH-0501" and rows[0]["invoice_no"] == "FP-1"
    code, _out, err = run("report", "purchases", "--data", str(world.root / "township"), "--month", "2026-05",
                         "--xlsx", str(tmp_path / "p.xlsx"))
    assert code == 0, err
    sheet = load_workbook(tmp_path / "p.xlsx").active
    texts = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "采购退货" in texts and "SH-0520" in texts
