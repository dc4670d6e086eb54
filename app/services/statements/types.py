"""What the statement service returns (frozen dataclasses; money integer fen, quantities base units)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.errors import RuleViolation

#: the keys of ``cunyi report statement`` (DESIGN §9), in order
REPORT_KEYS = ("site_id", "month", "supplied_fen", "returned_fen", "due_fen", "carried_in_fen", "fund_receivable_fen",
               "subsidy_fen", "from_fund_fen", "from_subsidy_fen", "carried_out_fen", "covers_local_seq", "status")

STATUS_LABELS = {"draft": "草稿", "final": "已定稿", "acknowledged": "村卫生室已确认"}


@dataclass(frozen=True)
class StatementFigures:
    """One village's month as DESIGN §9 ``report statement`` has it (plus the savings of its supplies).

    ``due = supplied − returned + carried_in``; ``due = from_fund + from_subsidy + carried_out``.
    ``covers_local_seq``: the village's month-end mark, once it has arrived here (None before).
    ``status``: the statement's ("draft" when none is saved yet).
    """

    site_id: str
    month: str
    supplied_fen: int
    returned_fen: int
    due_fen: int
    carried_in_fen: int
    fund_receivable_fen: int
    subsidy_fen: int
    from_fund_fen: int
    from_subsidy_fen: int
    carried_out_fen: int
    covers_local_seq: int | None
    status: str
    savings_fen: int = 0

    def report_row(self) -> dict[str, object]:
        """The one JSON object of ``cunyi report statement`` (exactly the DESIGN §9 keys)."""
        return {key: getattr(self, key) for key in REPORT_KEYS}


@dataclass(frozen=True)
class StatementInfo:
    """A saved statement 统一结算单 with its figures; ``status`` draft | final | acknowledged."""

    id: str
    site_id: str
    site_name: str
    month: str
    statement_no: str
    supplied_fen: int
    returned_fen: int
    due_fen: int
    carried_in_fen: int
    fund_receivable_fen: int
    subsidy_fen: int
    from_fund_fen: int
    from_subsidy_fen: int
    carried_out_fen: int
    savings_fen: int
    status: str
    covers_local_seq: int | None
    drafted_at: datetime
    finalised_at: datetime | None
    acknowledged_at: datetime | None
    user_name: str = ""
    acknowledged_by: str = ""
    acknowledgment_note: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def figures(self) -> StatementFigures:
        return StatementFigures(self.site_id, self.month, self.supplied_fen, self.returned_fen, self.due_fen,
                                self.carried_in_fen, self.fund_receivable_fen, self.subsidy_fen, self.from_fund_fen,
                                self.from_subsidy_fen, self.carried_out_fen, self.covers_local_seq, self.status,
                                self.savings_fen)


@dataclass(frozen=True)
class SubsidyInfo:
    """基药补助 of one village and month; ``amount_fen`` None: not entered yet (the village is listed anyway)."""

    site_id: str
    site_name: str
    month: str
    amount_fen: int | None
    note: str
    id: str | None
    locked: bool  # the month's statement is final: the subsidy can no longer change


@dataclass(frozen=True)
class SavingsRow:
    """节约医保基金 of one drug at one procurement price: (reference − procurement price) × packs supplied."""

    site_id: str | None  # None: every village of the township together
    drug_id: str
    generic_name: str
    strength: str
    national_code: str
    pack_unit: str
    base_unit: str
    units_per_pack: int
    quantity_units: int
    reference_price_fen: int | None  # per pack; None: no reference price (saving counted 0)
    pack_price_fen: int
    procurement_fen: int  # Σ amount at the procurement price
    saving_fen: int


class DataNotArrived(RuleViolation):
    """定稿 refused: the village's month-end mark (``covers_local_seq``) has not reached this site yet."""


class OutOfOrder(RuleViolation):
    """定稿 refused: an earlier month of the village has no final statement yet."""
