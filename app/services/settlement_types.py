"""Plain values of the outpatient settlement area (门诊收费与门诊统筹结算).

The 门诊收费 page fills a ``VisitDraft``; ``SettlementService.preview`` turns it into the policy
engine's ``Split`` and ``settle`` into a ``SettlementInfo``; ``reverse`` gives a ``ReversalInfo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.domain.policy import Split


@dataclass(frozen=True)
class DraftLine:
    """One prescribed drug: quantity in base units (片/粒/支), usage text 用法用量, scanned trace codes."""

    drug_id: str
    quantity_units: int
    usage: str = ""
    trace_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class VisitDraft:
    """What the doctor entered. ``agent_*`` are filled for 委托代购 (someone picks up for the patient)."""

    resident_id: str
    visit_date: date
    diagnosis: str = ""
    diagnosis_code: str = ""
    chronic_code: str | None = None
    general_fee: bool = True
    lines: tuple[DraftLine, ...] = ()
    agent_name: str = ""
    agent_id_number: str = ""


@dataclass(frozen=True)
class PricedLine:
    """A draft line priced from the catalog: amount = round_half_up(units × retail price / units per pack)."""

    line_no: int
    drug_id: str
    drug_name: str
    spec: str
    quantity_units: int
    quantity_text: str  # "1盒" / "14片"
    unit_price_text: str  # "8.12元/盒" / "0.29元/片"
    amount_fen: int
    coverage_class: str  # A | B | C
    class_b_self_bp: int | None
    usage: str


@dataclass(frozen=True)
class Preview:
    """The live preview: the priced lines and the engine's split (the same call ``settle`` makes)."""

    lines: tuple[PricedLine, ...]
    general_fee_fen: int
    split: Split
    pool: str  # "general" or the chronic disease code
    policy_region: str


@dataclass(frozen=True)
class SettledLine:
    """A saved prescription line with the batches it was dispensed from ("B2403 2027-02-28 ×14")."""

    line_no: int
    drug_id: str
    drug_name: str
    spec: str
    quantity_units: int
    quantity_text: str
    unit_price_text: str
    amount_fen: int
    coverage_class: str
    usage: str
    batches: tuple[str, ...] = ()


@dataclass(frozen=True)
class SettlementInfo:
    """A saved settlement. ``patient_pays_fen`` is the cash the patient hands over."""

    id: str
    visit_id: str
    resident_id: str
    resident_name: str
    receipt_no: str
    settled_at: datetime
    visit_date: date
    policy_year: int
    pool: str
    total_fen: int
    fund_fen: int
    general_fee_fund_fen: int
    assistance_fen: int
    self_paid_fen: int
    self_funded_fen: int
    general_fee_fen: int
    b_pre_self_fen: int
    deductible_fen: int
    eligible: bool
    waiting_until: date | None
    reason: str
    lines: tuple[SettledLine, ...]
    reversed: bool = False
    reversal_id: str | None = None
    reversal_receipt_no: str = ""  # the reversal's own number (CZ…), when reversed
    reversed_at: datetime | None = None

    @property
    def patient_pays_fen(self) -> int:
        return self.self_paid_fen + self.self_funded_fen


@dataclass(frozen=True)
class ReversalInfo:
    """A saved reversal 冲正/退费: its own receipt number; ``refund_fen`` is the cash returned."""

    id: str
    settlement_id: str
    receipt_no: str
    original_receipt_no: str
    reversed_at: datetime
    reason: str
    movements_reversed: int
    refund_fen: int
