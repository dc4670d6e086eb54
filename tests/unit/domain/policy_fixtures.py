"""Helpers for the pure policy-engine tests: in-memory policy text (no disk) and a case builder."""

from __future__ import annotations

import json
from datetime import date

from app.domain.policy import Case, Line, ResidentCover, YearToDate

# The DESIGN §5 figures (same values as resources/policies/demo-2026.toml), as nested dicts so that a
# test can change one key and render the TOML text again.
BASE_SECTIONS: dict[str, dict[str, object]] = {
    "meta": {"region": "测试县（示例数值）", "year": 2026, "valid_from": "2026-01-01", "valid_to": "2026-12-31"},
    "outpatient": {"deductible_fen": 0, "ratio_bp": 6000, "per_visit_cap_fen": 5000, "annual_cap_fen": 40000, "class_b_self_bp": 1000},
    "general_fee": {"amount_fen": 1000, "fund_fen": 800},
    "chronic.I10": {"name": "高血压", "ratio_bp": 6500, "annual_cap_fen": 200000},
    "chronic.E11": {"name": "糖尿病", "ratio_bp": 6500, "annual_cap_fen": 200000},
    "assistance.tekun": {"name": "特困人员", "ratio_bp": 7000, "annual_cap_fen": 100000},
    "assistance.dibao": {"name": "低保对象", "ratio_bp": 6000, "annual_cap_fen": 80000},
    "assistance.monitor": {"name": "防返贫监测对象", "ratio_bp": 5000, "annual_cap_fen": 50000},
    "waiting_period": {"fixed_months": 3, "extra_month_per_gap_year": 1, "min_months_after_long_gap": 6},
}  # fmt: skip


# DESIGN §5's example `cunyi calc` input.
DESIGN_CASE = {
    "visit_date": "2026-03-05", "kind": "outpatient", "chronic_code": None, "general_fee": True,
    "resident": {"covered_years": [2024, 2026], "enrolled_on": "2026-02-10", "central_period": False,
                 "newborn": False, "repaid_years": 0, "assistance": "tekun"},
    "year_to_date": {"deductible_fen": 0, "fund_fen": 0, "chronic_fund_fen": 0, "assistance_fen": 0},
    "lines": [{"amount_fen": 1250, "class": "A"}, {"amount_fen": 800, "class": "B", "class_b_self_bp": 1500}],
}  # fmt: skip


def render_policy(sections: dict[str, dict[str, object]]) -> str:
    """Nested dicts → TOML text (strings JSON-quoted, which TOML accepts)."""
    out = []
    for name, keys in sections.items():
        out.append(f"[{name}]")
        for key, value in keys.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, str):
                text = json.dumps(value, ensure_ascii=False)
            else:
                text = repr(value)
            out.append(f"{key} = {text}")
        out.append("")
    return "\n".join(out)


def policy_sections(**changes: dict[str, object]) -> dict[str, dict[str, object]]:
    """A copy of BASE_SECTIONS with some keys changed: ``policy_sections(outpatient={"ratio_bp": 5000})``."""
    sections = {name: dict(keys) for name, keys in BASE_SECTIONS.items()}
    for name, keys in changes.items():
        sections[name.replace("__", ".")].update(keys)
    return sections


def build_case(
    lines: list[tuple] = (),  # type: ignore[assignment]
    *,
    visit: str = "2026-03-05",
    kind: str = "outpatient",
    chronic_code: str | None = None,
    general_fee: bool = False,
    covered: tuple[int, ...] = (2025, 2026),
    enrolled: str | None = "2025-11-20",
    central: bool = True,
    newborn: bool = False,
    repaid: int = 0,
    assistance: str | None = None,
    ytd: YearToDate = YearToDate(),
) -> Case:
    """A case; by default a continuously insured resident who paid in the central period (eligible)."""
    return Case(
        visit_date=date.fromisoformat(visit),
        kind=kind,
        chronic_code=chronic_code,
        general_fee=general_fee,
        resident=ResidentCover(
            covered_years=frozenset(covered),
            enrolled_on=date.fromisoformat(enrolled) if enrolled else None,
            central_period=central,
            newborn=newborn,
            repaid_years=repaid,
            assistance=assistance,
        ),
        year_to_date=ytd,
        lines=tuple(Line(*line) for line in lines),
    )
