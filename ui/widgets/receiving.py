"""What the two forms that receive a lot into a store share (药品库存 → 入库, and 采购入库 at the township):
the line about the chosen drug, the typed lot checked in the order of the form, and what the confirmation of a
near-expiry lot says."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.domain import clock
from app.domain.dates import parse_date
from app.domain.errors import ValidationError
from app.domain.fefo import parse_quantity
from app.domain.money import yuan_to_fen
from app.services.stock.service import NearExpiryError, check_receivable_expiry

#: what the line under the drug box says before a drug is chosen
NO_DRUG = "输入拼音码（如 amxl）或扫条码，回车选中"


def drug_summary(drug: Any) -> str:
    """'阿莫西林胶囊 0.25g×24粒 · 每盒 24粒 · 生产企业' for the line under the drug box."""
    per = f"每{drug.pack_unit} {drug.units_per_pack}{drug.base_unit}" if drug.units_per_pack > 1 else drug.pack_unit
    return f"{drug.generic_name} {drug.strength} · {per} · {drug.maker or '生产企业未填'}"


def typed_lot(drug: Any, batch_no: str, expiry: str, quantity: str, cost: str, *,
              positive: bool = False) -> tuple[str, date, int, int]:
    """(batch no, expiry, base units, pack cost in fen) of the typed lot, checked in the order of the form so the
    first mistake on the screen is the one reported; ``positive``: a quantity of 0 is refused here too. Raises
    ``ValidationError`` naming the field."""
    if drug is None:
        raise ValidationError("药品：请先选择药品（输入拼音码或扫条码后回车）", "药品")
    batch_no = batch_no.strip()
    if not batch_no:
        raise ValidationError("批号不能为空，请照药盒上的批号填写", "批号")
    day = check_receivable_expiry(batch_no, parse_date(expiry, "效期"), clock.today())
    units = parse_quantity(quantity, drug.pack_unit, drug.base_unit, drug.units_per_pack)
    if positive and units <= 0:
        raise ValidationError("数量要大于 0", "数量")
    cost_fen = yuan_to_fen(cost, "进价")
    if cost_fen < 0:
        raise ValidationError("进价不能为负数", "进价")
    return batch_no, day, units, cost_fen


def near_expiry_question(error: NearExpiryError, drug: str, quantity: str) -> tuple[str, list[tuple[str, str]]]:
    """The question that receives a near-expiry lot only once confirmed, and its details (``drug``: its name)."""
    text = (f"该批次效期 {error.expiry.isoformat()}，距今只剩 {error.days_left} 天（近效期为 {error.near_days} 天内）。"
            "确认入库吗？")
    details = [("药品", drug), ("批号", error.batch_no), ("效期", error.expiry.isoformat()),
               ("剩余天数", f"{error.days_left} 天"), ("数量", quantity)]
    return text, details
