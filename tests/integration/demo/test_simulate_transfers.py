"""``cunyi simulate`` and township operations 三统: a township buys, answers its villages' requisitions,
receives their returns and sends some on (调剂), and finalises their statements; a village receives what was shipped to it, sends a requisition, marks the
ended month and sends a near-expiry lot back — all through the real services, on the small demo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from demo_cli import run_cunyi
from test_simulate import check_ok, query, simulate


@pytest.fixture(scope="module")
def township_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("township-demo") / "data"
    assert run_cunyi("demo", "--data", str(data), "--site", "township").returncode == 0
    return data


def test_a_township_buys_answers_requisitions_and_finalises_statements(township_demo: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "t"
    shutil.copytree(township_demo, data)
    monkeypatch.setenv("CUNYI_TODAY", "2026-06-17")
    waiting = query(data, "SELECT q.id FROM requisitions q LEFT JOIN shipments s ON s.requisition_id = q.id "
                          "WHERE s.id IS NULL")
    drafts = query(data, "SELECT site_id, month FROM statements WHERE status = 'draft' ORDER BY site_id")
    purchases = query(data, "SELECT count(*) FROM purchase_receipts")[0][0]
    assert waiting and len(drafts) == 3  # the demo: a requisition not answered yet, May's statements drafts
    summary = simulate(data, "--from", "2026-06-16", "--days", "2", "--seed", "4")
    counts = summary["counts"]
    returns = query(data, "SELECT count(*) FROM stock_returns")[0][0]
    for kind in ("purchases", "purchase_lines", "requisitions_reviewed", "shipments", "redistributions"):
        assert counts.get(kind, 0) > 0, (kind, counts)
    assert counts["statements"] == 3 and counts["returns_received"] == returns > 0  # the villages' 退回 of the demo
    check_ok(data)
    # each return received into the township store (receipt id derived from it), some sent on to another village
    assert query(data, "SELECT count(*) FROM return_receipts")[0][0] == returns
    assert query(data, "SELECT count(*) FROM shipments s JOIN shipment_lines l ON l.shipment_id = s.id "
                       "JOIN stock_returns r ON r.batch_no = l.batch_no AND r.drug_id = l.drug_id "
                       "WHERE s.kind = 'redistribution' AND s.status = 'shipped' AND s.to_site_id != r.site_id")[0][0] \
        == counts["redistributions"]
    # the purchases are receipts of a distributor's 随货单 into the township store
    assert query(data, "SELECT count(*) FROM purchase_receipts")[0][0] == purchases + counts["purchases"]
    assert query(data, "SELECT count(*) FROM purchase_receipts WHERE date(received_at) >= '2026-06-16' AND "
                       "delivery_note_no != '' AND invoice_no != ''")[0][0] == counts["purchases"]
    # every waiting requisition answered by a shipment, shipped (TRANSFER_OUT under it) to its village
    for (requisition_id,) in waiting:
        shipment = query(data, "SELECT s.id, s.status, s.kind, s.to_site_id = q.site_id FROM shipments s "
                               f"JOIN requisitions q ON q.id = s.requisition_id WHERE q.id = '{requisition_id}'")
        assert len(shipment) == 1 and shipment[0][1:] == ("shipped", "requisition", 1)
        assert query(data, "SELECT count(*) FROM stock_movements WHERE kind = 'transfer_out' AND doc_type = 'shipment' "
                           f"AND doc_id = '{shipment[0][0]}'")[0][0] > 0
    # May's statements final now, with their month-end marks, and the same figures as the demo's drafts
    assert query(data, "SELECT count(*) FROM statements WHERE status = 'final' AND finalised_at >= '2026-06-16' "
                       "AND covers_local_seq IS NOT NULL")[0][0] == 3
    assert query(data, "SELECT count(*) FROM statements WHERE status = 'draft'")[0][0] == 0
    # the township's new rows are queued for the hub
    assert query(data, "SELECT count(*) FROM outbox WHERE table_name = 'shipments' AND record_id IN "
                       "(SELECT id FROM shipments WHERE date(drafted_at) >= '2026-06-16')")[0][0] >= counts["shipments"]


def test_a_village_receives_requisitions_closes_the_month_and_returns(demo_copy: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    data = demo_copy
    local = query(data, "SELECT site_id FROM local_site")[0][0]
    incoming = query(data, f"SELECT s.id FROM shipments s LEFT JOIN transfer_receipts r ON r.shipment_id = s.id "
                           f"WHERE s.to_site_id = '{local}' AND r.id IS NULL")
    assert incoming  # the demo's newest shipments are still on the road
    monkeypatch.setenv("CUNYI_TODAY", "2026-07-01")
    summary = simulate(data, "--from", "2026-06-29", "--days", "3", "--seed", "3")
    counts = summary["counts"]
    for kind in ("transfer_receipts", "requisitions", "month_closes", "returns"):
        assert counts.get(kind, 0) > 0, (kind, counts)
    check_ok(data)
    # what was in transit is received, the receipt id derived from the shipment, TRANSFER_IN under it
    for (shipment_id,) in incoming:
        receipt = query(data, f"SELECT id, site_id, owner_site_id FROM transfer_receipts WHERE shipment_id = '{shipment_id}'")
        assert len(receipt) == 1 and receipt[0][1:] == (local, local)
        assert query(data, "SELECT count(*) FROM stock_movements WHERE kind = 'transfer_in' AND doc_id = "
                           f"'{receipt[0][0]}'")[0][0] > 0
    # June's mark (the month ended on a simulated day), a requisition of suggested quantities, a return
    assert query(data, f"SELECT month FROM month_closes WHERE site_id = '{local}' ORDER BY month DESC LIMIT 1") == [
        ("2026-06",)]
    assert query(data, "SELECT count(*) FROM requisitions WHERE date(requested_at) >= '2026-06-29'")[0][0] == \
        counts["requisitions"]
    assert query(data, "SELECT count(*) FROM stock_returns WHERE date(returned_at) >= '2026-06-29'")[0][0] == \
        counts["returns"]
    for table in ("transfer_receipts", "requisitions", "month_closes", "stock_returns"):
        assert query(data, f"SELECT count(*) FROM outbox WHERE table_name = '{table}' AND record_id IN "
                           f"(SELECT id FROM {table} WHERE owner_site_id = '{local}')")[0][0] > 0, table
