"""A township and one of its villages joined to a real hub on loopback (``tests/support/ui_hub.py``), with the
township's policy and catalog, and helpers that work through the services on a chosen day."""

from __future__ import annotations

from datetime import date

import pytest
from town_village import TownAndVillage, create_drugs
from ui_hub import join_site, sync_hub  # noqa: F401 - the fixtures of these tests (and tests/sync on the path)

from app.services.core.policies import DEFAULT_POLICY
from app.services.settlement.types import DraftLine, VisitDraft


class World(TownAndVillage):
    """The township and its village, and what the tests made there."""

    def settle(self, day: date, lines: dict[str, int], resident: int = 0) -> str:
        """A settlement at the village on ``day``; returns its id."""
        with self.on(self.village, day) as sv:
            draft = VisitDraft(resident_id=self.residents[resident], visit_date=day, diagnosis="急性上呼吸道感染",
                               diagnosis_code="J06.9",
                               lines=tuple(DraftLine(self.drugs[k], q, "口服 每日3次 每次1粒") for k, q in lines.items()))
            return sv.settlement.settle(draft).id

    def reverse(self, day: date, settlement_id: str) -> None:
        with self.on(self.village, day) as sv:
            sv.settlement.reverse(settlement_id, "收费录错，退费重收")


@pytest.fixture
def world(join_site, tmp_path, today_is) -> World:  # noqa: F811
    """The township (policy, catalog, stock in its store) and its village (stock of its own, two residents),
    both synced on 2026-01-05."""
    start = date(2026, 1, 5)
    today_is(start)  # the village's first sync (at joining) marks the month before this day
    town = join_site("township")
    village = join_site("village", township=town.site_id)
    w = World(town, village)
    with w.on(town, start) as sv:
        sv.settings.import_policy(str(DEFAULT_POLICY))
        w.drugs = create_drugs(sv)
    w.sync(town, start)
    w.sync(village, start)
    with w.on(village, start) as sv:
        sv.stock.receive(w.drugs["amox"], "VA01", date(2028, 7, 31), 960)
        sv.stock.receive(w.drugs["amlo"], "VL01", date(2028, 7, 31), 560)
        w.enroll(sv, ("张三", "李四"))
    return w
