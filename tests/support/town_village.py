"""A township and one of its villages joined to a real hub on loopback (``ui_hub.join_site``), as the 统一结算
tests set them up: the two 集采 drugs of the township's catalog and residents enrolled at the village."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from site_harness import SiteFolder, births_for, id_number

from app.bootstrap import Services
from app.domain import clock
from app.services.residents.types import EnrollmentRecord, ResidentForm


@dataclass
class TownAndVillage:
    """The township and its village, and what a test made there (drug key → id, resident ids)."""

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

    def enroll(self, sv: Services, names: Iterable[str]) -> None:
        """Residents of the village by ``names`` (enrolled for 2026), their ids added to ``residents``."""
        names = list(names)
        births = births_for(self.village.site_id)[:len(names)]
        for n, (name, birth) in enumerate(zip(names, births, strict=True)):
            form = ResidentForm(id_number=id_number(birth, f"{n}{n}1"), name=name, address="示例村3组",
                                enrollments=(EnrollmentRecord(2026, date(2025, 11, 15), True),))
            self.residents.append(sv.residents.create(form).resident.id)


def create_drugs(sv: Services) -> dict[str, str]:
    """阿莫西林胶囊 (乙类, 自付 15%) and 苯磺酸氨氯地平片 (甲类), both 集采, in ``sv``'s catalog: key → id."""
    return {
        "amox": sv.catalog.create(generic_name="阿莫西林胶囊", strength="0.25g×24粒", pack_unit="盒", base_unit="粒",
                                  units_per_pack=24, coverage_class="B", class_b_self_bp=1500, price_fen=1250,
                                  is_vbp=True).id,
        "amlo": sv.catalog.create(generic_name="苯磺酸氨氯地平片", strength="5mg×28片", pack_unit="盒", base_unit="片",
                                  units_per_pack=28, coverage_class="A", price_fen=812, is_vbp=True).id,
    }
