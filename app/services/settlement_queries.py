"""What settlement reads from the database: the site's policy (``app.services.policies``), a resident's
cover for the policy engine, year-to-date figures, line prices and receipt numbers.

Year-to-date figures are never stored: they are the sums of the year's settlements that have no
reversal, so a reversal gives them back by itself (DESIGN §5 step 7).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, Integer, bindparam, cast, func, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import ChronicQualification, Drug, Enrollment, Resident, Reversal, Settlement
from app.domain.enums import AssistanceCategory
from app.domain.errors import PolicyError
from app.domain.money import round_half_up_div
from app.domain.policy import Policy, ResidentCover, YearToDate
from app.domain.waiting import coverage_status

from .policies import site_policy  # noqa: F401 - the policy in force, read by settlement and residents
from .resident_types import ChronicRecord, CoverageInfo

GENERAL_POOL = "general"


def connection(session: OrmSession) -> Connection:
    """The session's connection for a Core query (no ORM objects), after flushing what the ORM holds."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


# -- policy ------------------------------------------------------------------------------------
def check_policy_covers(policy: Policy, day: date) -> None:
    if not policy.covers(day):
        raise PolicyError(
            f"就诊日期 {day.isoformat()} 不在当前待遇政策（{policy.region} {policy.year}年度，"
            f"{policy.valid_from.isoformat()} 至 {policy.valid_to.isoformat()}）的有效期内；"
            "请核对就诊日期，或请管理员在 设置 → 待遇政策文件 中选择该年度的政策文件",
            "就诊日期",
        )


# -- resident cover and year to date -------------------------------------------------------------
def resident_cover(session: OrmSession, resident: Resident, year: int, policy: Policy) -> ResidentCover:
    """The engine's view of a resident's insurance for ``year`` (a category the policy lacks is ignored).

    ``resident`` may be the ORM row or any row with ``id`` and ``assistance_category``.
    """
    rows = connection(session).execute(_ENROLLMENTS, {"resident": resident.id}).all()
    this = next((e for e in rows if e.year == year), None)
    category = resident.assistance_category if resident.assistance_category in policy.assistance else None
    return ResidentCover(
        covered_years=frozenset(e.year for e in rows),
        enrolled_on=this.enrolled_on if this else None,
        central_period=bool(this.central_period) if this else False,
        newborn=bool(this.newborn) if this else False,
        repaid_years=int(this.repaid_years) if this else 0,
        assistance=category,
    )


def _live(resident_id: str, year: int):  # noqa: ANN202 - a select of settlements without reversal
    return (
        select(Settlement)
        .outerjoin(Reversal, Reversal.settlement_id == Settlement.id)
        .where(Settlement.resident_id == resident_id, Settlement.policy_year == year, Reversal.id.is_(None))
    )


def _ytd_select(upto: bool):  # noqa: ANN202 - built once per shape, the parameters bound at each call
    columns = (
        func.coalesce(func.sum(Settlement.deductible_fen), 0),
        func.coalesce(func.sum(Settlement.fund_fen).filter(Settlement.pool == GENERAL_POOL), 0),
        func.coalesce(func.sum(Settlement.fund_fen).filter(Settlement.pool == bindparam("chronic")), 0),
        func.coalesce(func.sum(Settlement.assistance_fen), 0),
    )
    if not upto:
        return _live(bindparam("resident"), bindparam("year")).with_only_columns(*columns)
    # the year as it stood at ``upto``: settlements made by then, less the reversals made by then
    # (a later reversal did not count yet, so a reprint shows what the first print showed)
    return (
        select(*columns).select_from(Settlement)
        .outerjoin(Reversal, (Reversal.settlement_id == Settlement.id) & (Reversal.reversed_at <= bindparam("upto")))
        .where(Settlement.resident_id == bindparam("resident"), Settlement.policy_year == bindparam("year"),
               Settlement.settled_at <= bindparam("upto"), Reversal.id.is_(None))
    )


_YTD = {False: _ytd_select(False), True: _ytd_select(True)}
_ENROLLMENTS = select(
    Enrollment.year, Enrollment.enrolled_on, Enrollment.central_period, Enrollment.newborn, Enrollment.repaid_years
).where(Enrollment.resident_id == bindparam("resident"))


def year_to_date(session: OrmSession, resident_id: str, year: int, chronic_code: str | None = None,
                 upto: datetime | None = None) -> YearToDate:
    """Deductible, general-pool fund, the chronic disease's fund and assistance used in ``year``.

    Settlements with a reversal do not count. With ``upto``, the figures as they stood then: the
    settlements made at or before it, less those reversed at or before it.
    """
    params = {"resident": resident_id, "year": year, "chronic": chronic_code or "", "upto": upto}
    deductible, fund, chronic, assistance = connection(session).execute(_YTD[upto is not None], params).one()
    return YearToDate(int(deductible), int(fund), int(chronic), int(assistance))


def valid_qualification(session: OrmSession, resident_id: str, code: str, on: date) -> ChronicQualification | None:
    return session.scalar(
        select(ChronicQualification).where(
            ChronicQualification.resident_id == resident_id, ChronicQualification.disease_code == code,
            ChronicQualification.valid_from <= on, ChronicQualification.valid_to >= on,
        ).limit(1)
    )


def coverage_on(session: OrmSession, resident: Resident, on: date) -> CoverageInfo:
    """The 门诊收费 header for ``resident`` on ``on`` (see ``CoverageInfo``)."""
    policy = site_policy(session)
    cover = resident_cover(session, resident, on.year, policy)
    status = coverage_status(policy, cover, on)
    enrolled, until = on.year in cover.covered_years, status.waiting_until
    ytd = year_to_date(session, resident.id, on.year)
    cap = policy.outpatient.annual_cap_fen
    category = resident.assistance_category
    assist_rule = policy.assistance.get(category) if category else None
    label = assist_rule.name if assist_rule else (AssistanceCategory(category).label if category else "")
    chronic = tuple(
        ChronicRecord(q.disease_code, q.disease_name, q.valid_from, q.valid_to)
        for q in session.scalars(select(ChronicQualification).where(
            ChronicQualification.resident_id == resident.id, ChronicQualification.valid_from <= on,
            ChronicQualification.valid_to >= on).order_by(ChronicQualification.disease_code))
    )
    warning = ""
    if not policy.covers(on):
        warning = f"当前待遇政策（{policy.year}年度）不适用于 {on.isoformat()}"
    elif not enrolled:
        warning = f"未参保（{on.year}年度）"
    elif not status.eligible:
        warning = status.label  # 等待期至…, the words of the resident list too
    return CoverageInfo(
        resident_id=resident.id, on=on, year=on.year, enrolled=enrolled,
        eligible=enrolled and policy.covers(on) and (until is None or on >= until), waiting_until=until,
        fund_used_fen=ytd.fund_fen, annual_cap_fen=cap, cap_left_fen=max(0, cap - ytd.fund_fen),
        assistance_category=category, assistance_label=label, assistance_used_fen=ytd.assistance_fen,
        assistance_cap_left_fen=max(0, assist_rule.annual_cap_fen - ytd.assistance_fen) if assist_rule else 0,
        chronic=chronic, warning=warning, policy_region=policy.region,
    )


# -- prices and numbers ------------------------------------------------------------------------
def line_amount(quantity_units: int, retail_price_fen: int, units_per_pack: int) -> int:
    """Price of ``quantity_units`` base units: round_half_up(units × pack price / units per pack)."""
    return round_half_up_div(quantity_units * retail_price_fen, max(units_per_pack, 1))


def yuan_price(fen: Decimal) -> str:
    """A unit price in 元: two decimals, up to four when a base unit costs a fraction of a fen."""
    text = f"{(fen / 100).quantize(Decimal('0.0001')):f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def quantity_and_price(quantity_units: int, drug: Drug) -> tuple[str, str]:
    """("1盒", "8.12元/盒") for whole packs, else ("14片", "0.29元/片") — the price in the same unit."""
    per = max(drug.units_per_pack, 1)
    if quantity_units % per == 0:
        return f"{quantity_units // per}{drug.pack_unit}", f"{yuan_price(Decimal(drug.retail_price_fen))}元/{drug.pack_unit}"
    unit_price = Decimal(drug.retail_price_fen) / per
    return f"{quantity_units}{drug.base_unit}", f"{yuan_price(unit_price)}元/{drug.base_unit}"


def drug_spec(drug: Drug) -> str:
    return drug.strength or f"{drug.units_per_pack}{drug.base_unit}/{drug.pack_unit}"


def _last_receipt(model: type[Settlement] | type[Reversal]):  # noqa: ANN202
    # a range, so the (owner_site_id, receipt_no) index answers it; the numeric maximum, since as text
    # '…-9999' sorts after '…-10000'
    number = cast(func.substr(model.receipt_no, bindparam("start")), Integer)
    return select(func.max(number)).where(
        model.owner_site_id == bindparam("site"), model.receipt_no >= bindparam("low"),
        model.receipt_no < bindparam("high"))


_LAST_RECEIPT = {Settlement: _last_receipt(Settlement), Reversal: _last_receipt(Reversal)}


def next_receipt_no(session: OrmSession, model: type[Settlement] | type[Reversal], site_id: str,
                    day: date, prefix: str = "") -> str:
    """The site's next number of the day, 'YYYYMMDD-NNNN' (reversals: 'CZ' + the same form).

    Four digits at least; the 10,000th of a day is 'YYYYMMDD-10000' and the count goes on.
    """
    head = f"{prefix}{day:%Y%m%d}-"
    params = {"site": site_id, "low": head, "high": head[:-1] + ".", "start": len(head) + 1}
    last = connection(session).execute(_LAST_RECEIPT[model], params).scalar()
    return f"{head}{(last or 0) + 1:04d}"
