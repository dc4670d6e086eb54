"""Outpatient pooling settlement 门诊统筹结算: DESIGN §5 as a pure function.

``settle(policy, case)`` splits one visit's money (all integer fen, half-up rounding to the fen):

1. Lines: class C is ``self_funded``; class A is eligible; class B has ``b_pre_self =
   round(amount × bp)`` self-paid per line (the line's own bp, else the policy default), the rest
   eligible.
2. Eligibility (app.domain.waiting): enrolled for the visit's year and past any waiting period.
   If not, fund, general-fee fund part and assistance are 0, the deductible is not consumed, and
   the eligible money is self-paid; ``reason`` says why (and until when).
3. Deductible (general pool only): ``min(eligible, deductible_fen − deductible used this year)``.
4. Fund: ``round((eligible − deductible) × ratio)``, capped by the per-visit cap (0 = none), then by
   the annual cap left. A chronic visit uses its disease's ratio and annual cap (year-to-date
   ``chronic_fund_fen`` is that disease's), no deductible and no per-visit cap.
5. General fee when charged: the fund pays ``fund_fen`` if eligible (outside ratio and caps).
6. Assistance: ``round(in_scope_self × ratio)`` capped by its annual cap left, where
   ``in_scope_self = deductible + (eligible − deductible − fund) + general-fee rest``; never on
   ``self_funded`` nor on ``b_pre_self``.
7. ``total = fund + general_fee_fund + assistance + self_paid + self_funded`` exactly
   (``self_paid`` is what the resident pays for in-scope money after assistance, b_pre_self included).

The policy file is read by app.domain.policy_file, waiting periods live in app.domain.waiting, the
case classes and the ``cunyi calc`` JSON reader in app.domain.visit_case; all are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .errors import PolicyError
from .money import apply_bp, fen_to_yuan
from .policy_file import (
    MAX_BP,
    AssistancePolicy,
    ChronicPolicy,
    GeneralFeePolicy,
    OutpatientPolicy,
    Policy,
    WaitingPeriodPolicy,
    load_policy,
    parse_policy,
)
from .visit_case import CLASSES, KINDS, Case, Line, YearToDate, case_from_json, field_label
from .waiting import Eligibility, ResidentCover, add_months, eligibility, waiting_months, waiting_until

__all__ = [
    "AssistancePolicy", "Case", "ChronicPolicy", "Eligibility", "GeneralFeePolicy", "Line",
    "OutpatientPolicy", "Policy", "ResidentCover", "Split", "WaitingPeriodPolicy", "YearToDate",
    "add_months", "annual_cap_left", "case_from_json", "eligibility", "load_policy", "parse_policy",
    "check_case", "settle", "waiting_months", "waiting_until",
]  # fmt: skip

@dataclass(frozen=True)
class Split:
    """The settlement of one visit, in fen: the one value of its money split.

    The policy engine returns it, a saved settlement (``SettlementInfo``) and a receipt
    (``ReceiptData``) hold it, and the settlements columns of the same names store it. ``to_json()``
    gives exactly the DESIGN §5 keys. ``fund_fen`` excludes the general-fee fund part.
    """

    total_fen: int
    fund_fen: int
    general_fee_fund_fen: int
    assistance_fen: int
    self_paid_fen: int
    self_funded_fen: int
    b_pre_self_fen: int
    deductible_fen: int
    eligible: bool
    waiting_until: date | None
    reason: str

    @property
    def fund_total_fen(self) -> int:
        """统筹支付 as shown and printed: the ratio part plus the general-fee part."""
        return self.fund_fen + self.general_fee_fund_fen

    @property
    def patient_pays_fen(self) -> int:
        """The cash the patient hands over: 个人自付 + 自费."""
        return self.self_paid_fen + self.self_funded_fen

    def to_json(self) -> dict[str, Any]:
        return {
            "total_fen": self.total_fen,
            "fund_fen": self.fund_fen,
            "general_fee_fund_fen": self.general_fee_fund_fen,
            "assistance_fen": self.assistance_fen,
            "self_paid_fen": self.self_paid_fen,
            "self_funded_fen": self.self_funded_fen,
            "b_pre_self_fen": self.b_pre_self_fen,
            "deductible_fen": self.deductible_fen,
            "eligible": self.eligible,
            "waiting_until": self.waiting_until.isoformat() if self.waiting_until else None,
            "reason": self.reason,
        }


def _fail(message: str, field: str) -> None:
    raise PolicyError(message, field=field)


def _check_count(value: object, field: str, what: str = "金额（分）") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(f"{field_label(field)}：{what}应为非负整数，现在是“{value!r}”", field)


def _check_bp(value: object, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_BP:
        _fail(f"{field_label(field)}：应为 0 到 10000 的整数（基点，1500 表示 15%），现在是“{value!r}”", field)


def check_case(policy: Policy, case: Case) -> None:
    """Refuse a case that ``settle`` cannot split under ``policy``.

    Raises:
        PolicyError: naming the field (JSON path of the ``cunyi calc`` input, e.g. ``lines[1].class``).
    """
    if not isinstance(case.visit_date, date) or hasattr(case.visit_date, "hour"):
        _fail(f"visit_date：应为日期，现在是“{case.visit_date!r}”", "visit_date")
    if not policy.covers(case.visit_date):
        _fail(
            f"visit_date：就诊日期 {case.visit_date.isoformat()} 不在政策文件有效期 "
            f"{policy.valid_from.isoformat()} 至 {policy.valid_to.isoformat()} 内，请换用对应年度的政策文件",
            "visit_date",
        )
    if case.kind not in KINDS:
        _fail(f"kind：就诊类型“{case.kind}”未知，应为 outpatient（普通门诊）或 chronic（门诊慢特病）", "kind")
    if case.kind == "chronic" and case.chronic_code not in policy.chronic:
        known = "、".join(policy.chronic) or "（政策文件未设慢特病）"
        _fail(f"chronic_code：慢特病编码“{case.chronic_code}”不在政策文件中（已有：{known}）", "chronic_code")
    if case.kind == "outpatient" and case.chronic_code is not None:
        _fail("chronic_code：普通门诊（kind 为 outpatient）时 chronic_code 应为 null", "chronic_code")
    if not isinstance(case.general_fee, bool):
        _fail(f"general_fee：应为 true 或 false，现在是“{case.general_fee!r}”", "general_fee")
    res = case.resident
    _check_count(res.repaid_years, "resident.repaid_years", "修复缴费年数")
    for year in res.covered_years:
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
            _fail(f"resident.covered_years：参保年度应为整数年份，现在有“{year!r}”", "resident.covered_years")
    if res.assistance is not None and res.assistance not in policy.assistance:
        known = "、".join(policy.assistance) or "（政策文件未设医疗救助）"
        _fail(f"resident.assistance：救助类别“{res.assistance}”未知（政策文件中有：{known}）", "resident.assistance")
    ytd = case.year_to_date
    for name in ("deductible_fen", "fund_fen", "chronic_fund_fen", "assistance_fen"):
        _check_count(getattr(ytd, name), f"year_to_date.{name}")
    for i, line in enumerate(case.lines):
        where = f"lines[{i}]"
        _check_count(line.amount_fen, f"{where}.amount_fen")
        if line.coverage_class not in CLASSES:
            _fail(f"{field_label(where + '.class')}：医保类别“{line.coverage_class}”未知，应为 A、B 或 C", f"{where}.class")
        if line.class_b_self_bp is not None:
            _check_bp(line.class_b_self_bp, f"{where}.class_b_self_bp")


def annual_cap_left(policy: Policy, case: Case) -> int:
    """What the visit's pool (general or the chronic disease's) may still pay this year."""
    if case.kind == "chronic":
        cap = policy.chronic[case.chronic_code].annual_cap_fen  # type: ignore[index]
        return max(0, cap - case.year_to_date.chronic_fund_fen)
    return max(0, policy.outpatient.annual_cap_fen - case.year_to_date.fund_fen)


def _percent(bp: int) -> str:
    return f"{bp / 100:g}%"


def _split_lines(lines: tuple[Line, ...], default_b_bp: int) -> tuple[int, int, int]:
    """(self_funded, b_pre_self, eligible) of the lines; B pre-self rounded per line."""
    self_funded = b_pre_self = eligible = 0
    for line in lines:
        if line.coverage_class == "C":
            self_funded += line.amount_fen
        elif line.coverage_class == "B":
            bp = default_b_bp if line.class_b_self_bp is None else line.class_b_self_bp
            pre = apply_bp(line.amount_fen, bp)
            b_pre_self += pre
            eligible += line.amount_fen - pre
        else:
            eligible += line.amount_fen
    return self_funded, b_pre_self, eligible


def _assistance(rule: AssistancePolicy, in_scope_self: int, ytd: YearToDate, notes: list[str]) -> int:
    """Medical assistance on the in-scope self-paid money, capped by its annual cap left."""
    assistance = apply_bp(in_scope_self, rule.ratio_bp)
    left = max(0, rule.annual_cap_fen - ytd.assistance_fen)
    if assistance > left:
        assistance = left
        notes.append(f"医疗救助（{rule.name}）年度限额" + ("已用完" if left == 0 else "已达到"))
    if assistance:
        notes.append(f"医疗救助（{rule.name}）支付{fen_to_yuan(assistance)}元")
    return assistance


def settle(policy: Policy, case: Case) -> Split:
    """Split one visit's money per DESIGN §5 (pure; see the module docstring).

    Raises:
        PolicyError: when the case is invalid under this policy (field named).
    """
    check_case(policy, case)
    out = policy.outpatient
    self_funded, b_pre_self, in_scope = _split_lines(case.lines, out.class_b_self_bp)
    fee = policy.general_fee.amount_fen if case.general_fee else 0
    total = self_funded + b_pre_self + in_scope + fee

    status = eligibility(policy, case.resident, case.visit_date)
    deductible = fund = fee_fund = assistance = 0
    notes: list[str] = []
    if not status.eligible:
        notes.append(status.reason)
    else:
        chronic = policy.chronic[case.chronic_code] if case.kind == "chronic" else None  # type: ignore[index]
        if chronic is None:
            deductible = min(in_scope, max(0, out.deductible_fen - case.year_to_date.deductible_fen))
            ratio, per_visit_cap = out.ratio_bp, out.per_visit_cap_fen
            notes.append(f"普通门诊统筹按{_percent(ratio)}支付")
        else:
            ratio, per_visit_cap = chronic.ratio_bp, 0
            notes.append(f"门诊慢特病（{chronic.name}）按{_percent(ratio)}支付")
        if deductible:
            notes.append(f"起付线自付{fen_to_yuan(deductible)}元")
        fund = apply_bp(in_scope - deductible, ratio)
        if per_visit_cap and fund > per_visit_cap:
            fund = per_visit_cap
            notes.append(f"已达单次最高支付限额{fen_to_yuan(per_visit_cap)}元")
        left = annual_cap_left(policy, case)
        if fund > left:
            pool = "年度统筹限额" if chronic is None else f"{chronic.name}年度限额"
            notes.append(f"{pool}已用完" if left == 0 else f"达到{pool}（本次最多支付{fen_to_yuan(left)}元）")
            fund = left
        fee_fund = policy.general_fee.fund_fen if case.general_fee else 0
        if case.resident.assistance is not None:
            rule = policy.assistance[case.resident.assistance]
            # in-scope self = deductible + eligible the fund did not pay + general-fee rest
            assistance = _assistance(rule, in_scope - fund + fee - fee_fund, case.year_to_date, notes)
        if status.waiting_until is not None:
            notes.append(f"待遇等待期已满（{status.waiting_until.isoformat()}起享受待遇）")
    self_paid = total - fund - fee_fund - assistance - self_funded
    return Split(
        total_fen=total, fund_fen=fund, general_fee_fund_fen=fee_fund, assistance_fen=assistance,
        self_paid_fen=self_paid, self_funded_fen=self_funded, b_pre_self_fen=b_pre_self,
        deductible_fen=deductible, eligible=status.eligible, waiting_until=status.waiting_until,
        reason="；".join(notes),
    )  # fmt: skip

