"""Plain values of the residents area (居民档案): forms in, frozen records out.

``ResidentService`` takes a ``ResidentForm`` and returns ``ResidentInfo``/``CoverageInfo``; nothing
here touches the database, so pages and tests can build and compare them freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.enums import AssistanceCategory
from app.domain.idcard import mask_id
from app.domain.waiting import CoverageStatus

#: 与户主关系 (relation to the head of the household)
RELATIONS = ("本人", "配偶", "子", "女", "父母", "孙子女", "其他")
SEX_LABELS = {"M": "男", "F": "女"}


@dataclass(frozen=True)
class EnrollmentRecord:
    """One covered year: enrollment (payment) date, paid in the central period, repaid gap years, newborn."""

    year: int
    enrolled_on: date
    central_period: bool = True
    repaid_years: int = 0
    newborn: bool = False


@dataclass(frozen=True)
class ChronicRecord:
    """门诊慢特病资格: a disease code the resident may settle at its own ratio from ``valid_from`` to ``valid_to``."""

    code: str
    name: str
    valid_from: date
    valid_to: date

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class ResidentForm:
    """What the 居民档案 form sends. Sex and birth date are not asked: they come from the ID number.

    ``household_id`` None with relation 本人 makes a new household headed by this resident; any other
    relation needs the household (pick it by its head). Enrollment years and chronic qualifications
    are added or updated (by year / by disease code); synced rows are never deleted.
    """

    id_number: str
    name: str
    phone: str = ""
    address: str = ""
    household_id: str | None = None
    relation_to_head: str = "本人"
    assistance_category: str | None = None
    insurance_no: str = ""
    enrollments: tuple[EnrollmentRecord, ...] = ()
    chronic: tuple[ChronicRecord, ...] = ()


@dataclass(frozen=True)
class ResidentInfo:
    """A resident as pages and receipts see it."""

    id: str
    site_id: str
    id_number: str
    name: str
    pinyin_abbr: str
    sex: str  # M | F
    birth_date: date
    phone: str
    address: str
    household_id: str | None
    relation_to_head: str
    assistance_category: str | None
    insurance_no: str
    enrollments: tuple[EnrollmentRecord, ...]
    chronic: tuple[ChronicRecord, ...]
    owned_here: bool
    #: 已参保 / 未参保 / 等待期至… today, by the 门诊收费 rule (None when the policy file cannot be read)
    coverage: CoverageStatus | None = None

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)

    @property
    def sex_label(self) -> str:
        return SEX_LABELS.get(self.sex, "")

    @property
    def assistance_label(self) -> str:
        return AssistanceCategory(self.assistance_category).label if self.assistance_category else ""

    @property
    def covered_years(self) -> frozenset[int]:
        return frozenset(e.year for e in self.enrollments)

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day``."""
        before = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before)


@dataclass(frozen=True)
class ResidentSaved:
    """The result of a create/update: the record and warnings to show (e.g. a possible duplicate)."""

    resident: ResidentInfo
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CoverageInfo:
    """What the 门诊收费 header shows about a resident on a day (DESIGN §11)."""

    resident_id: str
    on: date
    year: int
    enrolled: bool
    eligible: bool  # enrolled and outside any waiting period on ``on``
    waiting_until: date | None
    fund_used_fen: int  # general pool, this policy year
    annual_cap_fen: int
    cap_left_fen: int
    assistance_category: str | None
    assistance_label: str
    assistance_used_fen: int
    assistance_cap_left_fen: int
    chronic: tuple[ChronicRecord, ...]  # qualifications valid on ``on``
    warning: str  # red text: 未参保 / 等待期至… ; "" when fine
    policy_region: str

    @property
    def summary(self) -> str:
        """One line for the header, e.g. ``已参保2026 · 统筹已用 123.40/400.00 · 特困人员``."""
        from app.domain.money import fen_to_yuan

        parts = [f"已参保{self.year}" if self.enrolled else f"未参保{self.year}"]
        parts.append(f"统筹已用 {fen_to_yuan(self.fund_used_fen)}/{fen_to_yuan(self.annual_cap_fen)}")
        if self.assistance_label:
            parts.append(self.assistance_label)
        for c in self.chronic:
            parts.append(f"{c.name}(至{c.valid_to:%Y-%m})")
        return " · ".join(parts)
