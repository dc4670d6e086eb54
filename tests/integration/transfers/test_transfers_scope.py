"""What a village sees of 调拨与报量: its own requisitions, shipments and returns only, even where its database
holds its neighbours' (the demo keeps a whole township in one folder); another village's are refused by name."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from app.bootstrap import bootstrap
from app.domain.errors import ForeignRecordError


def _one_of_each(database: Path, local: str) -> dict[str, tuple[str, str]]:
    """Per kind of document: (a document of another village, that village's id)."""
    with closing(sqlite3.connect(database)) as con:
        return {
            "requisition": con.execute("SELECT id, site_id FROM requisitions WHERE site_id != ? LIMIT 1", (local,)).fetchone(),
            "shipment": con.execute("SELECT id, to_site_id FROM shipments WHERE to_site_id != ? LIMIT 1", (local,)).fetchone(),
        }


def test_a_village_sees_only_its_own_documents(demo_build) -> None:  # noqa: ANN001
    sv = bootstrap(demo_build.data)
    try:
        sv.identity.sign_in("doctor", "demo1234")
        local = sv.db.local_site_id
        others = _one_of_each(demo_build.database, local)
        assert all(others.values()), "the demo folder holds the other villages' documents too"
        tr = sv.transfers
        requisitions, shipments, returns = tr.requisitions(), tr.shipments(), tr.returns()
        assert requisitions and shipments and returns
        assert {r.site_id for r in requisitions} == {local}
        assert {s.to_site_id for s in shipments} == {local}
        assert {r.site_id for r in returns} == {local}
        assert {s.to_site_id for s in tr.in_transit()} == {local}
        other_req, other_village = others["requisition"]
        other_ship, _ = others["shipment"]
        for call in (lambda: tr.requisitions(site_id=other_village), lambda: tr.shipments(to_site_id=other_village),
                     lambda: tr.returns(site_id=other_village), lambda: tr.requisition(other_req),
                     lambda: tr.shipment(other_ship)):
            with pytest.raises(ForeignRecordError, match="只能查看本村卫生室") as refused:
                call()
            assert refused.value.field == "村卫生室"
    finally:
        sv.close()
