"""Plain values of the outpatient settlement area (门诊收费与门诊统筹结算).

The 门诊收费 page fills a ``VisitDraft``; ``SettlementService.preview`` turns it into the policy
engine's ``Split`` and ``settle`` into a ``SettlementInfo``; ``reverse`` gives a ``ReversalInfo``.
The split's figures are declared once, in ``Split``: the values here hold one, and
``split_columns``/``split_of`` map it to and from the settlements columns of the same names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from app.domain.policy import Split

#: the settlements columns that store a ``Split``: one per field, named as the field
SPLIT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Split))
#: the length of the settlements ``reason`` column
REASON_CHARS = 128


def split_columns(split: Split) -> dict[str, Any]:
    """The settlements columns of ``split`` (the reason cut to the column's length)."""
    values = {name: getattr(split, name) for name in SPLIT_COLUMNS}
    values["reason"] = split.reason[:REASON_CHARS]
    return values


def split_of(row: Any) -> Split:
    """The split stored in a settlements row: an ORM ``Settlement`` or a mapping of its columns."""
    if isinstance(row, Mapping):
        return Split(**{name: row[name] for name in SPLIT_COLUMNS})
    return Split(**{name: getattr(row, name) for name in SPLIT_COLUMNS})


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
    """A saved settlement: its split (``split.patient_pays_fen`` is the cash the patient hands over)."""

    id: str
    visit_id: str
    resident_id: str
    resident_name: str
    receipt_no: str
    settled_at: datetime
    visit_date: date
    policy_year: int
    pool: str
    split: Split
    general_fee_fen: int
    lines: tuple[SettledLine, ...]
    reversed: bool = False
    reversal_id: str | None = None
    reversal_receipt_no: str = ""  # the reversal's own number (CZ…), when reversed
    reversed_at: datetime | None = None


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
