"""A village clinic in a real SQLite file: a doctor, an admin, three drugs in stock, one with only an
expired batch, and helpers to make residents and drafts. Every clock is fixed in the demo policy year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pytest
from settle_helpers import AT, DAY, PASSWORD, id_number  # noqa: F401 - re-exported for the tests
from sqlalchemy import func, select, text

from app.bootstrap import Services, bootstrap
from app.db.models import Base
from app.services.core.context import Actor
from app.services.residents.types import EnrollmentRecord, ResidentForm, ResidentInfo
from app.services.settlement.types import DraftLine, VisitDraft


@dataclass
class Clinic:
    sv: Services
    site_id: str
    doctor: Actor
    admin: Actor
    drugs: dict[str, str] = field(default_factory=dict)
    batches: dict[str, str] = field(default_factory=dict)

    def as_doctor(self) -> None:
        self.sv.session.actor = self.doctor

    def as_admin(self) -> None:
        self.sv.session.actor = self.admin

    def resident(self, name: str = "张三", birth: str = "19590312", seq: str = "123", *, enrolled: bool = True,
                 **kw) -> ResidentInfo:
        enrollments = (
            EnrollmentRecord(2025, date(2024, 11, 10), True),
            EnrollmentRecord(2026, date(2025, 11, 15), True),
        ) if enrolled else ()
        form = ResidentForm(id_number=id_number(birth, seq), name=name, phone=kw.pop("phone", ""),
                            address=kw.pop("address", "示例村3组"), enrollments=enrollments, **kw)
        return self.sv.residents.create(form).resident

    def draft(self, resident_id: str, lines: dict[str, int] | None = None, **kw) -> VisitDraft:
        lines = lines or {"amlo": 28, "amox": 12, "vitc": 100}
        return VisitDraft(
            resident_id=resident_id, visit_date=kw.pop("visit_date", DAY), diagnosis=kw.pop("diagnosis", "高血压"),
            diagnosis_code=kw.pop("diagnosis_code", "I10"),
            lines=tuple(DraftLine(self.drugs[k], q, usage="口服 每日1次 每次1片") for k, q in lines.items()), **kw,
        )

    def on_hand(self, key: str) -> int:
        """Cached on-hand of one of the fixture's batches (base units)."""
        with self.sv.db.read() as s:
            return s.scalar(text("SELECT on_hand FROM batches WHERE id = :id"), {"id": self.batches[key]})

    def fingerprint(self) -> dict[str, int]:
        """Row counts of every table plus the money and stock sums: equal before and after = nothing written."""
        out: dict[str, int] = {}
        with self.sv.db.read() as s:
            for table in Base.metadata.sorted_tables:
                out[table.name] = s.scalar(select(func.count()).select_from(table))
            out["Σon_hand"] = s.scalar(text("SELECT coalesce(sum(on_hand), 0) FROM batches"))
            out["Σmovements"] = s.scalar(text("SELECT coalesce(sum(quantity), 0) FROM stock_movements"))
            out["Σtotal"] = s.scalar(text("SELECT coalesce(sum(total_fen), 0) FROM settlements"))
            out["Σversion"] = s.scalar(text("SELECT coalesce(sum(version), 0) FROM residents"))
        return out


@pytest.fixture
def clinic(tmp_path) -> Clinic:
    sv = bootstrap(tmp_path / "data", backup_before_migrate=False)
    site = sv.sites.create_standalone("village", "示例村卫生室", "admin", PASSWORD, admin_display_name="王管理员",
                                     code="H41152210001")
    admin_user = next(u for u in sv.users.list() if u.username == "admin")
    admin = admin_user.actor
    sv.session.actor = admin
    doctor = sv.users.create("doctor", "李医生", "village_doctor", PASSWORD).actor
    cat = sv.catalog
    drugs = {
        "amlo": cat.create(generic_name="苯磺酸氨氯地平片", strength="5mg×28片", pack_unit="盒", base_unit="片",
                           units_per_pack=28, coverage_class="A", price_fen=812, is_vbp=True).id,
        "amox": cat.create(generic_name="阿莫西林胶囊", strength="0.25g×24粒", pack_unit="盒", base_unit="粒",
                           units_per_pack=24, coverage_class="B", class_b_self_bp=1500, price_fen=1250).id,
        "vitc": cat.create(generic_name="维生素C片", strength="100mg×100片", pack_unit="瓶", base_unit="片",
                           units_per_pack=100, coverage_class="C", price_fen=350).id,
        "ibu": cat.create(generic_name="布洛芬缓释胶囊", strength="0.3g×20粒", pack_unit="盒", base_unit="粒",
                          units_per_pack=20, coverage_class="A", price_fen=900).id,
    }
    c = Clinic(sv, site.id, doctor, admin, drugs)
    received = datetime(2026, 10, 8, 10, 0)
    c.batches["amlo_old"] = sv.stock.receive(drugs["amlo"], "B2403", date(2027, 2, 28), 56, at=received,
                                             accept_near_expiry=True)
    c.batches["amlo_new"] = sv.stock.receive(drugs["amlo"], "B2501", date(2028, 1, 31), 56, at=received)
    c.batches["amox"] = sv.stock.receive(drugs["amox"], "A2407", date(2027, 7, 31), 48, at=received)
    c.batches["vitc"] = sv.stock.receive(drugs["vitc"], "V2405", date(2027, 5, 31), 200, at=received)
    c.batches["ibu"] = sv.stock.receive(drugs["ibu"], "I2311", date(2026, 6, 30), 40, at=datetime(2026, 1, 5, 9, 0),
                                        accept_near_expiry=True)
    c.as_doctor()
    yield c
    sv.close()
