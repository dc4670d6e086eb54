"""Residents, households, enrollment, chronic qualifications, visits and settlements."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import SyncedBase


class Household(SyncedBase):
    """家庭户: residents living together. Owned by the home village."""

    __tablename__ = "households"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    address: Mapped[str] = mapped_column(String(128), default="")
    head_resident_id: Mapped[str | None] = mapped_column(String(36))


class Resident(SyncedBase):
    """参保居民. Owned by the resident's home village; others send change requests."""

    __tablename__ = "residents"
    __table_args__ = (Index("ix_residents_name_birth", "name", "birth_date"),)

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    pinyin_abbr: Mapped[str] = mapped_column(String(16), default="", index=True)
    pinyin_keys: Mapped[str] = mapped_column(String(255), default="")  # initials of every reading: "wcl wzl"
    # full pinyin: "wang2 chang2 lin2"; no index: a search scans the keys anyway, and sorting its matches
    # is quicker than walking every resident in this order (~75 ms against ~450 ms for 60,000 residents)
    pinyin_sort: Mapped[str] = mapped_column(String(255), default="")
    sex: Mapped[str] = mapped_column(String(1))  # M | F, from the ID number
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(16), default="", index=True)
    address: Mapped[str] = mapped_column(String(128), default="")
    household_id: Mapped[str | None] = mapped_column(ForeignKey("households.id"), index=True)
    relation_to_head: Mapped[str] = mapped_column(String(8), default="本人")
    assistance_category: Mapped[str | None] = mapped_column(String(16))
    insurance_no: Mapped[str] = mapped_column(String(32), default="")


class Enrollment(SyncedBase):
    """One covered year: enrollment (payment) date, central period, repaid gap years, newborn."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("resident_id", "year", name="year"),)

    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    enrolled_on: Mapped[date] = mapped_column(Date)
    central_period: Mapped[bool] = mapped_column(Boolean, default=True)
    repaid_years: Mapped[int] = mapped_column(Integer, default=0)
    newborn: Mapped[bool] = mapped_column(Boolean, default=False)


class ChronicQualification(SyncedBase):
    """门诊慢特病资格: a disease the resident may settle at its own ratio between two dates."""

    __tablename__ = "chronic_qualifications"

    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    disease_code: Mapped[str] = mapped_column(String(16))
    disease_name: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)


class Visit(SyncedBase):
    """门诊就诊 at a village clinic. Always under the patient's own record."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_site_date", "site_id", "visit_date"),)

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    visit_date: Mapped[date] = mapped_column(Date)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    diagnosis: Mapped[str] = mapped_column(String(64), default="")
    diagnosis_code: Mapped[str] = mapped_column(String(16), default="")
    chronic_code: Mapped[str | None] = mapped_column(String(16))
    general_fee: Mapped[bool] = mapped_column(Boolean, default=True)
    doctor_user_id: Mapped[str | None] = mapped_column(String(36))
    agent_name: Mapped[str] = mapped_column(String(32), default="")  # 委托代购
    agent_id_number: Mapped[str] = mapped_column(String(18), default="")


class PrescriptionLine(SyncedBase):
    __tablename__ = "prescription_lines"

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"))
    quantity_units: Mapped[int] = mapped_column(Integer)  # base units
    amount_fen: Mapped[int] = mapped_column(Integer)
    coverage_class: Mapped[str] = mapped_column(String(1))
    class_b_self_bp: Mapped[int | None] = mapped_column(Integer)
    usage: Mapped[str] = mapped_column(String(64), default="")


class Settlement(SyncedBase):
    """门诊统筹结算: the engine's split of one visit. Immutable; undone by a ``Reversal``."""

    __tablename__ = "settlements"
    __schema_version__ = 2  # 2: policy_version
    __table_args__ = (
        Index("ix_settlements_resident_year", "resident_id", "policy_year"),
        # one site's settlements over a span of time (工作台, reports), in a database that holds many sites
        Index("ix_settlements_site_time", "site_id", "settled_at"),
        # receipt numbers run per site and day ('20261123-0007'); two villages may share one
        UniqueConstraint("owner_site_id", "receipt_no", name="uq_settlements_site_receipt"),
    )

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), unique=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    receipt_no: Mapped[str] = mapped_column(String(24))
    settled_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    policy_year: Mapped[int] = mapped_column(Integer)
    pool: Mapped[str] = mapped_column(String(16), default="general")  # general | chronic code
    total_fen: Mapped[int] = mapped_column(Integer)
    fund_fen: Mapped[int] = mapped_column(Integer)
    general_fee_fund_fen: Mapped[int] = mapped_column(Integer)
    assistance_fen: Mapped[int] = mapped_column(Integer)
    self_paid_fen: Mapped[int] = mapped_column(Integer)
    self_funded_fen: Mapped[int] = mapped_column(Integer)
    general_fee_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 一般诊疗费 charged
    b_pre_self_fen: Mapped[int] = mapped_column(Integer)
    deductible_fen: Mapped[int] = mapped_column(Integer)
    eligible: Mapped[bool] = mapped_column(Boolean)
    waiting_until: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(128), default="")
    doctor_user_id: Mapped[str | None] = mapped_column(String(36))
    #: the ``policies.policy_version`` the split was computed with
    policy_version: Mapped[str] = mapped_column(String(64), default="", server_default="")


class Reversal(SyncedBase):
    """冲正/退费: cancels a whole settlement; stock goes back to the same batches."""

    __tablename__ = "reversals"
    __table_args__ = (UniqueConstraint("owner_site_id", "receipt_no", name="uq_reversals_site_receipt"),)

    settlement_id: Mapped[str] = mapped_column(ForeignKey("settlements.id"), unique=True)
    receipt_no: Mapped[str] = mapped_column(String(24))
    reversed_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # 收费日报 counts them on their day
    reason: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(36))


class ReceiptPrint(SyncedBase):
    """Each print of a receipt; any print after the first is a reprint (补打)."""

    __tablename__ = "receipt_prints"

    settlement_id: Mapped[str] = mapped_column(ForeignKey("settlements.id"), index=True)
    reversal_id: Mapped[str | None] = mapped_column(ForeignKey("reversals.id"))
    printed_at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[str | None] = mapped_column(String(36))
    reprint: Mapped[bool] = mapped_column(Boolean, default=False)
    paper: Mapped[str] = mapped_column(String(8), default="A5")
