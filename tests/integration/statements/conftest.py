"""A township and one of its villages joined to a real hub on loopback (``tests/support/ui_hub.py``), with the
township's policy and catalog, and helpers that work through the services on a chosen day."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pytest
from ui_hub import join_site, sync_hub  # noqa: F401 - the fixtures of these tests (and tests/sync on the path)

from site_harness import SiteFolder, births_for, id_number  # noqa: I001 - importable once ui_hub ran

from app.bootstrap import Services
from app.domain import clock
from app.services.core.policies import DEFAULT_POLICY
from app.services.residents.types import EnrollmentRecord, ResidentForm
from app.services.settlement.types import DraftLine, VisitDraft


@dataclass
class World:
    """The township and its village, and what the tests made there."""

    town: SiteFolder
    village: SiteFolder
    drugs: dict[str, str] = field(default_factory=dict)
    residents: list[str] = field(default_factory=list)

    @contextlib.contextmanager
    def on(self, site: SiteFolder, day: date) -> Iterator[Services]:
        """``site``'s services (its administrator signed in) with the clock on ``day``."""
        clock.set_today(day)
        with site.services() as sv:
            yield sv

    def sync(self, site: SiteFolder, day: date) -> None:
        """One sync of ``site`` on ``day`` through the service (the month-end marks go with it)."""
        with self.on(site, day) as sv:
            sv.sync.sync_now()

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
def world(join_site, tmp_path, today_is) -> World:  # noqa: ANN001, F811
    """The township (policy, catalog, stock in its store) and its village (stock of its own, two residents),
    both synced on 2026-01-05."""
    start = date(2026, 1, 5)
    today_is(start)  # the village's first sync (at joining) marks the month before this day
    town = join_site("township")
    village = join_site("village", township=town.site_id)
    w = World(town, village)
    with w.on(town, start) as sv:
        sv.settings.import_policy(str(DEFAULT_POLICY))
        w.drugs = {
            "amox": sv.catalog.create(generic_name="阿莫西林胶囊", strength="0.25g×24粒", pack_unit="盒",
                                      base_unit="粒", units_per_pack=24, coverage_class="B",
                                      class_b_self_bp=1500, price_fen=1250, is_vbp=True).id,
            "amlo": sv.catalog.create(generic_name="苯磺酸氨氯地平片", strength="5mg×28片", pack_unit="盒",
                                      base_unit="片", units_per_pack=28, coverage_class="A", price_fen=812,
                                      is_vbp=True).id,
        }
    w.sync(town, start)
    w.sync(village, start)
    with w.on(village, start) as sv:
        sv.stock.receive(w.drugs["amox"], "VA01", date(2028, 7, 31), 960)
        sv.stock.receive(w.drugs["amlo"], "VL01", date(2028, 7, 31), 560)
        births = births_for(village.site_id)
        for n, (name, birth) in enumerate(zip(("张三", "李四"), births, strict=True)):
            form = ResidentForm(id_number=id_number(birth, f"{n}{n}1"), name=name, address="示例村3组",
                                enrollments=(EnrollmentRecord(2026, date(2025, 11, 15), True),))
            w.residents.append(sv.residents.create(form).resident.id)
    return w
