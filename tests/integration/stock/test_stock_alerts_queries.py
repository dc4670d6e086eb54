"""工作台 alerts, the on-hand list, the paged stock card, exports and the batch list."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from stock_helpers import NOW, TODAY, Clinic, days


def test_alert_tiles_count_value_and_rows(clinic: Clinic) -> None:
    st = clinic.sv.stock
    urgent = st.receive(clinic.amox.id, "URG", days(30), 24, accept_near_expiry=True)  # 12.00
    near = st.receive(clinic.amox.id, "NEAR", days(150), 48, accept_near_expiry=True)  # 24.00
    st.receive(clinic.amox.id, "FAR", days(400), 24)
    expired = st.receive(clinic.vb1.id, "OLD", days(-1), 100, at=NOW - timedelta(days=200))  # 3.50
    st.receive(clinic.nife.id, "N", days(500), 30)  # below its minimum of 60
    alerts = st.alerts()
    assert alerts.today == TODAY
    assert [r.batch_id for r in alerts.near_expiry.rows] == [urgent, near]
    assert (alerts.near_expiry.count, alerts.near_expiry.value_fen) == (1, 3600)
    assert [(r.batch_id, r.urgent) for r in alerts.urgent.rows] == [(urgent, True)]
    assert (alerts.expired.count, alerts.expired.value_fen, alerts.expired.rows[0].batch_id) == (1, 350, expired)
    low = {r.drug_id: r for r in alerts.low_stock.rows}
    assert low[clinic.nife.id].below_minimum and low[clinic.nife.id].usable_units == 30
    assert clinic.vb1.id not in low  # expired stock is not "low" by itself (no minimum, no use)
    clinic.sv.settings.set("near_expiry_days", 100)
    assert [r.batch_id for r in st.alerts().near_expiry.rows] == [urgent]


def test_low_stock_from_average_daily_use(clinic: Clinic) -> None:
    st = clinic.sv.stock
    st.receive(clinic.vb1.id, "V", days(300), 1000, at=NOW - timedelta(days=80))
    for back in range(1, 10):  # 9 × 90 = 810 over the last 90 days → 9 a day
        st.dispense(clinic.vb1.id, 90, at=NOW - timedelta(days=back * 7))
    # 190 left; 15 days × 9 = 135 → not low
    assert clinic.vb1.id not in {r.drug_id for r in st.alerts().low_stock.rows}
    st.dispense(clinic.vb1.id, 60)  # 130 left, 870 used → 9.67 a day → 13 days of stock
    row = next(r for r in st.alerts().low_stock.rows if r.drug_id == clinic.vb1.id)
    assert (row.usable_units, row.used_units, row.days_of_stock, row.below_minimum) == (130, 870, 13, False)
    # the 硝苯地平 of the catalog has none at all and a minimum of 60: out of stock is low too
    assert {r.drug_id for r in st.on_hand(alert="low")} == {clinic.vb1.id, clinic.nife.id}


def test_on_hand_rows_packs_units_value_filters(clinic: Clinic) -> None:
    st = clinic.sv.stock
    st.receive(clinic.amox.id, "A1", days(100), 30, accept_near_expiry=True)
    st.receive(clinic.amox.id, "A2", days(300), 24, pack_cost_fen=1000)
    st.receive(clinic.nife.id, "N", days(500), 90)
    rows = {r.drug_id: r for r in st.on_hand()}
    amox = rows[clinic.amox.id]
    assert (amox.on_hand_units, amox.packs, amox.loose_units) == (54, 2, 6)
    assert amox.value_fen == 1500 + 1000 and amox.nearest_expiry == days(100)
    assert "near_expiry" in amox.alerts and "urgent" not in amox.alerts
    assert [r.drug_id for r in st.on_hand(vbp=True)] == [clinic.nife.id]
    assert [r.drug_id for r in st.on_hand("amx")] == [clinic.amox.id]
    assert [r.drug_id for r in st.on_hand(coverage_class="B", include_zero=True)] == [clinic.vb1.id]


def test_stock_card_keyset_pages_filters_and_newest_first(clinic: Clinic) -> None:
    st = clinic.sv.stock
    st.receive(clinic.vb1.id, "V", days(300), 1000)
    st.receive(clinic.nife.id, "N", days(300), 30)  # another drug interleaves in the store ledger
    for _ in range(11):
        st.dispense(clinic.vb1.id, 3)
    seen, after = [], None
    while True:
        page = st.stock_card_page(None, clinic.vb1.id, after, 5)
        seen += [(r.seq, r.quantity, r.balance_units) for r in page.rows]
        if page.next_after_seq is None:
            break
        after = page.next_after_seq
    assert len(seen) == 12 and seen[0] == (1, 1000, 1000) and seen[-1][2] == 1000 - 33
    assert [s for s, _, _ in seen] == sorted(s for s, _, _ in seen)
    assert st.stock_card_count(None, clinic.vb1.id) == 12
    newest = st.stock_card_page(clinic.store_id, clinic.vb1.id, limit=2, newest_first=True)
    assert [r.balance_units for r in newest.rows] == [967, 970]
    assert st.stock_card_page(None, clinic.vb1.id, kinds=["receipt"]).rows[0].kind_label == "入库"
    assert st.stock_card_page(None, clinic.vb1.id, date_to=TODAY - timedelta(days=1)).rows == ()


def test_exports_pdf_and_xlsx(clinic: Clinic, tmp_path: Path) -> None:
    st = clinic.sv.stock
    st.receive(clinic.amox.id, "A1", days(100), 48, accept_near_expiry=True)
    st.dispense(clinic.amox.id, "14粒")
    assert st.export_stock_card(clinic.amox.id, tmp_path / "card.pdf") == 2
    assert st.export_stock_card(clinic.amox.id, tmp_path / "card.xlsx") == 2
    assert st.export_stock_list(tmp_path / "list.pdf") == 1
    assert st.export_stock_list(tmp_path / "list.xlsx") == 1
    card = subprocess.run(["pdftotext", "-layout", str(tmp_path / "card.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "库存台账：阿莫西林胶囊" in card and "发药" in card and "34" in card
    listing = subprocess.run(["pdftotext", "-layout", str(tmp_path / "list.pdf"), "-"], capture_output=True,
                             text=True, check=True).stdout
    assert "1盒10粒" in listing and "17.00" in listing
    ws = load_workbook(tmp_path / "card.xlsx").active
    values = [row for row in ws.iter_rows(values_only=True)]
    assert values[2][0] == "序号" and values[4][7] == 14 and values[4][8] == 34
