"""A resident's coverage on a day: enrollment, waiting period, year-to-date figures, qualifications.

Read by the 居民 card and the 门诊收费 header (``coverage_on``) and by settlement, which feeds the
same figures to the policy engine. Year-to-date figures are never stored: they are the sums of the
year's settlements that have no reversal, so a reversal gives them back by itself (DESIGN §5 step 7).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import ChronicQualification, Enrollment, Resident, Reversal, Settlement
from app.domain.enums import AssistanceCategory
from app.domain.policy import Policy, ResidentCover, YearToDate
from app.domain.waiting import coverage_status
from app.services.core.policies import site_policy
from app.services.residents.types import ChronicRecord, CoverageInfo

GENERAL_POOL = "general"


def connection(session: OrmSession) -> Connection:
    """The session's connection for a Core query (no ORM objects), after flushing what the ORM holds."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


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
