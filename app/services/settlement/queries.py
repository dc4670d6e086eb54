"""What settlement reads from the database: the site's policy (``app.services.core.policies``), a resident's
cover and year-to-date figures (``app.services.residents.coverage``), line prices and receipt numbers.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Integer, bindparam, cast, func, select
from sqlalchemy.orm import Session as OrmSession

from app.db.models import Drug, Reversal, Settlement
from app.domain.errors import PolicyError
from app.domain.money import round_half_up_div
from app.domain.policy import Policy
from app.services.core.policies import site_policy  # noqa: F401 - the policy in force, read by settlement
from app.services.residents.coverage import (  # noqa: F401 - the figures settlement feeds to the engine
    GENERAL_POOL,
    connection,
    resident_cover,
    valid_qualification,
    year_to_date,
)


# -- policy ------------------------------------------------------------------------------------
def check_policy_covers(policy: Policy, day: date) -> None:
    if not policy.covers(day):
        raise PolicyError(
            f"就诊日期 {day.isoformat()} 不在当前待遇政策（{policy.region} {policy.year}年度，"
            f"{policy.valid_from.isoformat()} 至 {policy.valid_to.isoformat()}）的有效期内；"
            "请核对就诊日期，或请管理员在 设置 → 待遇政策文件 中选择该年度的政策文件",
            "就诊日期",
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
