"""村室药品一览 (``Services.overview``) on a township demo: every figure recomputed independently from the
raw rows, the requisitions and shipments counted, the last sync from ``peer_sync_status``, the drill-down
to a village's stock list and paged stock card, monthly usage for the charts, ``cunyi report overview``
(JSON keys and Excel), and each refusal writing nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import defaultdict
from contextlib import closing
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import delete
from demo_cli import demo_data, run_cunyi
from stock_helpers import db_fingerprint

from app.bootstrap import bootstrap
from app.db.models import PeerSyncStatus, Requisition, Shipment, TransferReceipt
from app.domain import clock
from app.domain.errors import ForeignRecordError, ValidationError

PASSWORD = "demo1234"
KEYS = ["site_id", "name", "stock_value_fen", "kinds_stocked", "vbp_kinds_stocked", "vbp_share_bp",
        "near_expiry_value_fen", "stockouts", "days_of_stock", "last_sync_at", "requisitions_waiting",
        "shipments_in_transit"]


def _sql(data: Path, query: str, *params) -> list[tuple]:
    with closing(sqlite3.connect(data / "cunyi.db")) as con:
        return con.execute(query, params).fetchall()


@pytest.fixture(scope="module")
def township_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_data(tmp_path_factory.mktemp("demo-township"))


@pytest.fixture
def township(township_build: Path, tmp_path: Path):
    data = tmp_path / "township"
    shutil.copytree(township_build, data)
    villages = _sql(data, "SELECT id, name FROM sites WHERE kind = 'village' ORDER BY name")
    sv = bootstrap(data, backup_before_migrate=False)
    sv.identity.sign_in("pharmacist", PASSWORD)
    try:
        yield SimpleNamespace(sv=sv, data=data, villages=villages)
    finally:
        sv.close()


def _half_up(n: int, d: int) -> int:
    return (2 * n + d) // (2 * d)


def _expected(data: Path, today: date, near_days: int = 180) -> dict[str, dict]:
    """The figures, from raw rows, with nothing of the service's code."""
    out = {}
    since = (datetime.combine(today - timedelta(days=90), datetime.min.time())).isoformat(" ")
    for site_id, name in _sql(data, "SELECT id, name FROM sites WHERE kind = 'village'"):
        store = _sql(data, "SELECT id FROM stores WHERE site_id = ?", site_id)[0][0]
        lots = _sql(data, "SELECT b.drug_id, b.on_hand, b.pack_cost_fen, b.expiry, d.units_per_pack, d.is_vbp "
                          "FROM batches b JOIN drugs d ON d.id = b.drug_id WHERE b.store_id = ? AND b.on_hand > 0",
                    store)
        value = sum(_half_up(n * c, u) for _d, n, c, _e, u, _v in lots)
        kinds = {d for d, *_ in lots}
        vbp = {d for d, _n, _c, _e, _u, v in lots if v}
        usable: dict[str, int] = defaultdict(int)
        near_value, near = 0, set()
        for d, n, c, e, u, _v in lots:
            left = (date.fromisoformat(e) - today).days
            if left >= 0:
                usable[d] += n
                if left <= near_days:
                    near_value += _half_up(n * c, u)
                    near.add(d)
        used: dict[str, int] = defaultdict(int)
        for d, q in _sql(data, "SELECT drug_id, quantity FROM stock_movements WHERE store_id = ? AND kind = 'dispense' "
                               "AND occurred_at >= ?", store, since):
            used[d] -= q
        for d, q in _sql(data, "SELECT m.drug_id, m.quantity FROM stock_movements m JOIN stock_movements o "
                               "ON o.id = m.reverses_id WHERE m.store_id = ? AND m.kind = 'reversal' "
                               "AND o.kind = 'dispense' AND m.occurred_at >= ?", store, since):
            used[d] -= q
        minimum = {d for (d,) in _sql(data, "SELECT drug_id FROM store_drug_settings WHERE store_id = ? "
                                            "AND min_stock_units > 0", store)}
        active = {d for (d,) in _sql(data, "SELECT id FROM drugs WHERE active")}
        stockouts = {d for d in ({d for d, n in used.items() if n > 0} | minimum) if d in active and usable[d] <= 0}
        prices = {d: (p, u) for d, p, u in _sql(data, "SELECT id, price_fen, units_per_pack FROM drugs")}
        have = sum((Fraction(usable[d] * prices[d][0], prices[d][1]) for d, n in used.items() if n > 0), Fraction(0))
        need = sum((Fraction(n * prices[d][0], prices[d][1]) for d, n in used.items() if n > 0), Fraction(0))
        waiting = _sql(data, "SELECT count(*) FROM requisitions r WHERE r.site_id = ? AND r.status = 'submitted' "
                             "AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.requisition_id = r.id "
                             "AND s.status != 'cancelled')", site_id)[0][0]
        transit = _sql(data, "SELECT count(*) FROM shipments s WHERE s.to_site_id = ? AND s.status = 'shipped' "
                             "AND NOT EXISTS (SELECT 1 FROM transfer_receipts t WHERE t.shipment_id = s.id)",
                       site_id)[0][0]
        out[site_id] = {
            "requisitions_waiting": waiting, "shipments_in_transit": transit,
            "site_id": site_id, "name": name, "stock_value_fen": value, "kinds_stocked": len(kinds),
            "vbp_kinds_stocked": len(vbp), "vbp_share_bp": _half_up(len(vbp) * 10000, len(kinds)) if kinds else 0,
            "near_expiry_value_fen": near_value, "near_expiry_kinds": len(near), "stockouts": len(stockouts),
            "days_of_stock": int(have * 90 // need) if need else None,
        }
    return out


def test_every_figure_matches_the_raw_rows(township) -> None:
    figures = township.sv.overview.villages()
    assert [f.name for f in figures] == [n for _i, n in township.villages], "every village, by name"
    expected = _expected(township.data, clock.today())
    synced = dict(_sql(township.data, "SELECT site_id, last_sync_at FROM peer_sync_status"))
    for f in figures:
        mine = {k: getattr(f, k) for k in expected[f.site_id]}
        assert mine == expected[f.site_id]
        assert f.last_sync_at == datetime.fromisoformat(synced[f.site_id]), "what the hub last said, as kept here"
    assert any(f.stock_value_fen > 0 and f.kinds_stocked > 0 and f.vbp_kinds_stocked > 0 for f in figures)
    assert any(f.near_expiry_value_fen > 0 for f in figures), "the demo has near-expiry stock to show"


def test_the_near_expiry_window_is_the_townships_setting(township) -> None:
    township.sv.identity.sign_in("tadmin", PASSWORD)
    township.sv.settings.set("near_expiry_days", 400)
    township.sv.identity.sign_in("pharmacist", PASSWORD)
    wide = {f.site_id: f.near_expiry_value_fen for f in township.sv.overview.villages()}
    expected = _expected(township.data, clock.today(), near_days=400)
    assert wide == {k: v["near_expiry_value_fen"] for k, v in expected.items()}


def test_requisitions_waiting_shipments_in_transit_and_last_sync(township) -> None:
    sv = township.sv
    (a, _na), (b, _nb) = township.villages[:2]
    township_id = sv.db.local_site_id
    stores = dict(_sql(township.data, "SELECT site_id, id FROM stores"))
    now = clock.now().replace(tzinfo=None)
    before = {f.site_id: (f.requisitions_waiting, f.shipments_in_transit) for f in sv.overview.villages()}
    with sv.db.unit_of_work(applying_remote=True) as uow:
        s = uow.session

        def requisition(no: str, status: str = "submitted") -> Requisition:
            r = Requisition(owner_site_id=a, site_id=a, store_id=stores[a], requisition_no=no, requested_at=now,
                            target_months=1, status=status, user_name="村医", note="")
            s.add(r)
            s.flush()
            return r

        def shipment(no: str, to: str, status: str, req: Requisition | None = None) -> Shipment:
            sh = Shipment(owner_site_id=township_id, site_id=township_id, store_id=stores[township_id], to_site_id=to,
                          shipment_no=no, kind="requisition" if req else "ad_hoc",
                          requisition_id=req.id if req else None, status=status, drafted_at=now,
                          shipped_at=now if status == "shipped" else None, user_name="药管员", note="")
            s.add(sh)
            s.flush()
            return sh

        requisition("R1")  # waiting
        shipment("S1", a, "draft", requisition("R2"))  # answered by a draft
        shipment("S2", a, "cancelled", requisition("R3"))  # the answer was given up: waiting again
        requisition("R4", "cancelled")
        shipment("S3", a, "shipped")  # in transit
        received = shipment("S4", a, "shipped")
        s.add(TransferReceipt(owner_site_id=a, shipment_id=received.id, site_id=a, store_id=stores[a],
                              received_at=now, user_name="村医", note=""))
        shipment("S5", b, "shipped")
        shipment("S6", b, "draft")
        s.execute(delete(PeerSyncStatus))  # the demo's picture of the last syncs, replaced by this test's
        s.add(PeerSyncStatus(site_id=a, last_sync_at=datetime(2026, 6, 14, 18, 30), last_local_seq=42, fetched_at=now))
    figures = {f.site_id: f for f in sv.overview.villages()}
    # on top of what the demo has: R1 and R3 wait (R2 answered, R4 cancelled); S3 and S5 are in transit
    assert (figures[a].requisitions_waiting, figures[a].shipments_in_transit) == (before[a][0] + 2, before[a][1] + 1)
    assert (figures[b].requisitions_waiting, figures[b].shipments_in_transit) == (before[b][0], before[b][1] + 1)
    assert figures[a].last_sync_at == datetime(2026, 6, 14, 18, 30)
    assert figures[b].last_sync_at is None


def test_drill_down_to_a_villages_stock_and_its_paged_card(township) -> None:
    sv = township.sv
    village_id = township.villages[0][0]
    store = _sql(township.data, "SELECT id FROM stores WHERE site_id = ?", village_id)[0][0]
    rows = sv.overview.village_stock(village_id)
    assert [r.drug_id for r in rows] == [r.drug_id for r in sv.stock.on_hand(store_id=store)]
    figures = next(f for f in sv.overview.villages() if f.site_id == village_id)
    assert sum(r.value_fen for r in rows) == figures.stock_value_fen
    assert len(rows) == figures.kinds_stocked
    drug_id = max(rows, key=lambda r: _sql(township.data, "SELECT count(*) FROM stock_movements WHERE store_id = ? "
                                                          "AND drug_id = ?", store, r.drug_id)[0][0]).drug_id
    every = [r[0] for r in _sql(township.data, "SELECT seq FROM stock_movements WHERE store_id = ? AND drug_id = ? "
                                               "ORDER BY seq DESC", store, drug_id)]
    assert len(every) > 5
    seen, offset = [], None
    while True:
        page = sv.overview.village_card_page(village_id, drug_id, offset, 5)
        seen += [r.seq for r in page.rows]
        assert len(page.rows) <= 5
        if page.next_after_seq is None:
            break
        offset = page.next_after_seq
    assert seen == every, "newest first, every row once"


def test_monthly_usage_per_village_and_per_drug_add_up(township) -> None:
    sv = township.sv
    today = clock.today()
    both = sv.overview.monthly_usage(months=6)
    per_site = sv.overview.monthly_usage(months=6, per="site")
    per_drug = sv.overview.monthly_usage(months=6, per="drug")
    assert both and per_site and per_drug
    first = date(today.year, today.month, 1)
    for _ in range(5):
        first = (first - timedelta(days=1)).replace(day=1)
    assert all(first.strftime("%Y-%m") <= p.month <= today.strftime("%Y-%m") for p in both)
    units: dict[tuple, int] = defaultdict(int)
    for month, store, drug, q in _sql(
            township.data, "SELECT strftime('%Y-%m', occurred_at), site_id, drug_id, quantity FROM stock_movements m "
                           "JOIN stores s ON s.id = m.store_id WHERE kind = 'dispense' AND occurred_at >= ? "
                           "AND s.site_id IN (SELECT id FROM sites WHERE kind = 'village')", first.isoformat()):
        units[(month, store, drug)] -= q
    for month, store, drug, q in _sql(
            township.data, "SELECT strftime('%Y-%m', m.occurred_at), s.site_id, m.drug_id, m.quantity FROM "
                           "stock_movements m JOIN stock_movements o ON o.id = m.reverses_id JOIN stores s ON "
                           "s.id = m.store_id WHERE m.kind = 'reversal' AND o.kind = 'dispense' AND m.occurred_at >= ?",
            first.isoformat()):
        units[(month, store, drug)] -= q
    assert {(p.month, p.site_id, p.drug_id): p.units for p in both} == {k: v for k, v in units.items() if v}
    for month in {p.month for p in both}:
        assert sum(p.value_fen for p in per_site if p.month == month) == \
            sum(p.value_fen for p in both if p.month == month)
    drug_id = both[0].drug_id
    one = sv.overview.monthly_usage(months=6, drug_id=drug_id, per="drug")
    assert {p.month: p.units for p in one} == {p.month: p.units for p in per_drug if p.drug_id == drug_id}
    village = township.villages[0][0]
    assert {p.site_id for p in sv.overview.monthly_usage(months=6, site_id=village)} == {village}


@pytest.mark.parametrize(("call", "error", "field"), [
    (lambda sv, t: sv.overview.village_stock(t.township_id), ForeignRecordError, "村卫生室"),
    (lambda sv, t: sv.overview.village_stock("no-such-site"), ValidationError, "村卫生室"),
    (lambda sv, t: sv.overview.village_stock(""), ValidationError, "村卫生室"),
    (lambda sv, t: sv.overview.village_card_page(t.village_id, "x", -1, 10), ValidationError, "翻页位置"),
    (lambda sv, t: sv.overview.village_card_page(t.village_id, "x", None, 0), ValidationError, "每页行数"),
    (lambda sv, t: sv.overview.monthly_usage(months=0), ValidationError, "月数"),
    (lambda sv, t: sv.overview.monthly_usage(per="week"), ValidationError, "汇总方式"),
    (lambda sv, t: sv.overview.monthly_usage(site_id=t.township_id), ForeignRecordError, "村卫生室"),
], ids=["own-site", "unknown-site", "empty-site", "bad-offset", "bad-limit", "no-months", "bad-per", "usage-own-site"])
def test_refusals_name_the_field_and_write_nothing(township, call, error, field) -> None:
    t = SimpleNamespace(township_id=township.sv.db.local_site_id, village_id=township.villages[0][0])
    before = db_fingerprint(township.data / "cunyi.db")
    with pytest.raises(error) as raised:
        call(township.sv, t)
    assert raised.value.field == field
    assert db_fingerprint(township.data / "cunyi.db") == before


def test_report_overview_json_and_excel(township, tmp_path: Path) -> None:
    expected = {f.site_id: f for f in township.sv.overview.villages()}
    township.sv.close()
    result = run_cunyi("report", "overview", "--data", str(township.data), "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [list(r) for r in rows] == [KEYS] * len(expected)
    for r in rows:
        f = expected[r["site_id"]]
        want = {k: getattr(f, k) for k in KEYS}
        want["last_sync_at"] = f.last_sync_at.isoformat(timespec="seconds")
        assert r == want
    xlsx = tmp_path / "overview.xlsx"
    result = run_cunyi("report", "overview", "--data", str(township.data), "--xlsx", str(xlsx))
    assert result.returncode == 0, result.stderr
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "村室药品一览"
    names = [row[1] for row in values[3:3 + len(expected)]]
    assert names == [f.name for f in expected.values()]
    refused = run_cunyi("report", "overview", "--data", str(township.data), "--site", township.villages[0][0])
    assert refused.returncode == 1 and "村室药品一览" in refused.stderr
