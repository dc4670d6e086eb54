"""A village clinic for the outpatient UI tests: three drugs in stock, an enrolled resident (张三), an
unenrolled one (李四), a policy file for the current year, and the "PDF" virtual printer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from app.domain import clock
from app.domain.idcard import check_digit
from app.paths import resource
from app.services.residents.types import ChronicRecord, EnrollmentRecord, ResidentForm
from app.services.settlement.types import DraftLine, SettlementInfo, VisitDraft

PASSWORD = "secret123"


def id_number(birth: str, seq: str = "123", region: str = "410102") -> str:
    """A valid 18-digit ID number for birth date 'YYYYMMDD' (odd seq → male)."""
    first17 = region + birth + seq
    return first17 + check_digit(first17)


@dataclass
class Clinic:
    drugs: dict[str, str] = field(default_factory=dict)
    batches: dict[str, str] = field(default_factory=dict)
    residents: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def policy_for_this_year(folder: Path, today: date) -> Path:
    """The demo policy file with its year moved to ``today``'s (the demo file is for 2026)."""
    text = resource("policies", "demo-2026.toml").read_text(encoding="utf-8")
    text = re.sub(r"year = \d{4}", f"year = {today.year}", text)
    text = re.sub(r'valid_from = "\d{4}', f'valid_from = "{today.year}', text)
    text = re.sub(r'valid_to = "\d{4}', f'valid_to = "{today.year}', text)
    path = folder / f"policy-{today.year}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def seed_clinic(sv, root: Path) -> Clinic:  # noqa: ANN001 - app.bootstrap.Services
    today = clock.today()
    sv.identity.sign_in("admin", PASSWORD)
    sv.settings.set("policy_file", str(policy_for_this_year(root, today)))
    sv.settings.set("printer_name", "PDF")
    sv.settings.set("receipt_paper", "A5")
    cat = sv.catalog
    c = Clinic()
    c.drugs["amlo"] = cat.create(generic_name="苯磺酸氨氯地平片", strength="5mg×28片", pack_unit="盒", base_unit="片",
                                 units_per_pack=28, coverage_class="A", price_fen=812, is_vbp=True).id
    c.drugs["amox"] = cat.create(generic_name="阿莫西林胶囊", strength="0.25g×24粒", pack_unit="盒", base_unit="粒",
                                 units_per_pack=24, coverage_class="B", class_b_self_bp=1500, price_fen=1250).id
    c.drugs["vitc"] = cat.create(generic_name="维生素C片", strength="100mg×100片", pack_unit="瓶", base_unit="片",
                                 units_per_pack=100, coverage_class="C", price_fen=350).id
    received = datetime.combine(today - timedelta(days=30), datetime.min.time()).replace(hour=9)
    expiry = date(today.year + 2, 6, 30)
    c.batches["amlo"] = sv.stock.receive(c.drugs["amlo"], "B2403", expiry, 84, at=received)
    c.batches["amox"] = sv.stock.receive(c.drugs["amox"], "A2407", expiry, 48, at=received)
    c.batches["vitc"] = sv.stock.receive(c.drugs["vitc"], "V2405", expiry, 200, at=received)
    enrolled = (EnrollmentRecord(today.year - 1, date(today.year - 2, 11, 10), True),
                EnrollmentRecord(today.year, date(today.year - 1, 11, 15), True))
    people = {
        "zhangsan": ("张三", id_number("19590312", "123"), enrolled, "示例县示例镇示例村3组12号"),
        "lisi": ("李四", id_number("19700605", "135"), (), "示例县示例镇示例村5组3号"),
    }
    people["wangwu"] = ("王五", id_number("19550101", "157"), enrolled, "示例县示例镇示例村1组7号")
    chronic = {"wangwu": (ChronicRecord("I10", "高血压", date(today.year - 1, 1, 1), date(today.year + 1, 12, 31)),)}
    for key, (name, number, years, address) in people.items():
        c.residents[key] = sv.residents.create(ResidentForm(
            id_number=number, name=name, address=address, enrollments=years, chronic=chronic.get(key, ()))).resident.id
        c.ids[key] = number
    return c


def settle_visit(data: Path, clinic: Clinic, *, at: datetime | None = None, who: str = "zhangsan",
                 lines: dict[str, int] | None = None) -> SettlementInfo:
    """Settle a visit through the service as the doctor (before the window opens)."""
    from app.bootstrap import bootstrap

    sv = bootstrap(data)
    try:
        sv.identity.sign_in("doctor", PASSWORD)
        at = at or clock.now().replace(microsecond=0) - timedelta(minutes=5)
        draft = VisitDraft(
            resident_id=clinic.residents[who], visit_date=at.date(), diagnosis="急性上呼吸道感染", diagnosis_code="J06.9",
            lines=tuple(DraftLine(clinic.drugs[k], q, "口服 每日3次 每次1粒") for k, q in (lines or {"amox": 24}).items()),
        )
        return sv.settlement.settle(draft, at=at)
    finally:
        sv.close()
