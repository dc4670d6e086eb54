"""What the case service takes and gives: plain frozen dataclasses (no ORM rows leave the service)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from app.domain.enums import CaseStatus, CaseType


@dataclass(frozen=True)
class CaseForm:
    """A case to open at this village, for a resident, optionally through an agent 代办人.

    For 家庭共济 (``CaseType.FAMILY_ACCOUNT``) the agent is the employee whose personal account pays and
    ``agent_relation`` is his or her relation to the resident: it must be a close relative.
    ``collected`` names the checklist items already received; ``accepted_on`` defaults to today and
    ``responsible_user_id`` to the signed-in user.
    """

    resident_id: str
    case_type: CaseType | str
    agent_name: str = ""
    agent_id_number: str = ""
    agent_relation: str = ""
    collected: tuple[str, ...] = ()
    note: str = ""
    accepted_on: date | None = None
    responsible_user_id: str | None = None


@dataclass(frozen=True)
class CaseOpened:
    case_id: str
    case_no: str
    due_on: date
    #: "" or why the due date was counted Monday–Friday (a year the holiday calendar does not know)
    warning: str = ""


@dataclass(frozen=True)
class CaseEventInfo:
    id: str
    step: int
    status: CaseStatus
    note: str
    missing: tuple[str, ...]
    user_name: str
    occurred_at: datetime
    owner_site_id: str

    @property
    def status_label(self) -> str:
        return self.status.label


@dataclass(frozen=True)
class CaseInfo:
    """A case as the lists and the detail show it; ``events`` only in ``CaseService.get``."""

    id: str
    case_no: str
    case_type: CaseType
    site_id: str
    site_name: str
    resident_id: str
    resident_name: str
    resident_id_number: str
    agent_name: str
    agent_id_number: str
    agent_relation: str
    responsible_user_id: str | None
    responsible_name: str
    accepted_on: date
    due_workdays: int
    due_on: date
    due_fallback: bool
    status: CaseStatus
    status_at: datetime
    closed_on: date | None
    overdue: bool
    collected: tuple[str, ...]
    checklist: tuple[str, ...]
    note: str
    owned_here: bool
    events: tuple[CaseEventInfo, ...] = ()

    @property
    def type_label(self) -> str:
        return self.case_type.label

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def missing(self) -> tuple[str, ...]:
        """The checklist items not collected yet."""
        return tuple(m for m in self.checklist if m not in self.collected)


@dataclass(frozen=True)
class CaseFilter:
    """Which cases a list shows; every field left empty shows all of this database's cases."""

    case_type: CaseType | str | None = None
    status: CaseStatus | str | None = None
    #: True: only overdue (open past the due day); False: only not overdue; None: both
    overdue: bool | None = None
    responsible_user_id: str | None = None
    site_id: str | None = None  # the village
    #: a resident's name, 拼音码 or ID number (a part of it)
    resident: str = ""
    opened_from: date | None = None
    opened_to: date | None = None
    limit: int = 1000


@dataclass(frozen=True)
class MonthlyCount:
    month: str  # YYYY-MM, of the day accepted
    site_id: str
    site_name: str
    case_type: CaseType
    count: int

    @property
    def type_label(self) -> str:
        return self.case_type.label


@dataclass(frozen=True)
class Attention:
    """The cases to look at on the 工作台: open past the due day, and due within a few working days."""

    overdue: tuple[CaseInfo, ...] = field(default_factory=tuple)
    due_soon: tuple[CaseInfo, ...] = field(default_factory=tuple)
