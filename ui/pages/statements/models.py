"""统一结算 tables: the statements of a month, one row per village (township), or a village's statements, one
row per month; and the 节约医保基金 rows of a month. Money in 元 with two decimals (``fen_to_yuan``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from PySide6.QtGui import QColor

from app.domain.money import fen_to_yuan
from ui.models.base import RowsModel

_DRAFT = QColor("#b54708")
_FINAL = QColor("#175cd3")
_ACKED = QColor("#067647")
_GREY = QColor("#667085")

#: the status of a statement, as shown
STATUS_LABELS = {"draft": "草稿", "final": "已定稿", "acknowledged": "村已确认"}

#: (header, StatementInfo attribute in fen) of every figure, in the order of the 结算单
FIGURES: tuple[tuple[str, str], ...] = (
    ("本月供药", "supplied_fen"),
    ("退回", "returned_fen"),
    ("上月结转", "carried_in_fen"),
    ("应扣合计", "due_fen"),
    ("统筹应付", "fund_receivable_fen"),
    ("基药补助", "subsidy_fen"),
    ("统筹扣款", "from_fund_fen"),
    ("补助扣款", "from_subsidy_fen"),
    ("结转下月", "carried_out_fen"),
    ("节约医保基金", "savings_fen"),
)


def yuan(fen: int | None) -> str:
    return "—" if fen is None else fen_to_yuan(int(fen))


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", "未生成")


@dataclass(frozen=True)
class VillageMonth:
    """A row of the township's table: a village and its statement of the month (None: not drafted yet)."""

    site_id: str
    site_name: str
    month: str
    statement: Any = None


class StatementsModel(RowsModel):
    """Township: one ``VillageMonth`` per village. Village: one ``StatementInfo`` per month."""

    def __init__(self, parent: Any = None, *, township: bool = True) -> None:
        super().__init__(parent)
        self.township = township
        first = ("村卫生室",) if township else ("月份", "结算单号")
        last = ("状态", "覆盖至序号") if township else ("状态",)
        self.COLUMNS = (*first, *(h for h, _ in FIGURES), *last)  # type: ignore[misc]
        lead = len(first)
        numeric = set(range(lead, lead + len(FIGURES)))
        if township:
            numeric.add(len(self.COLUMNS) - 1)
        self.NUMERIC = frozenset(numeric)  # type: ignore[misc]
        self._lead = lead

    def column_of(self, name: str) -> int:
        return self.COLUMNS.index(name)

    def statement(self, row: Any) -> Any:
        return row.statement if isinstance(row, VillageMonth) else row

    def statement_at(self, index: int) -> Any:
        return self.statement(self._rows[index]) if 0 <= index < len(self._rows) else None

    def cell(self, row: Any, column: int) -> str:
        st = self.statement(row)
        name = self.COLUMNS[column]
        if name == "村卫生室":
            return row.site_name
        if name == "月份":
            return f"{st.month[:4]}年{int(st.month[5:])}月"
        if name == "结算单号":
            return st.statement_no
        if name == "状态":
            return status_label(st.status if st else None)
        if name == "覆盖至序号":
            seq = getattr(st, "covers_local_seq", None) if st else None
            return "—" if seq is None else str(seq)
        figure = FIGURES[column - self._lead][1]
        return yuan(getattr(st, figure, None)) if st is not None else "—"

    def foreground(self, row: Any, column: int) -> QColor | None:
        st = self.statement(row)
        if self.COLUMNS[column] == "状态":
            if st is None:
                return _GREY
            return {"draft": _DRAFT, "final": _FINAL, "acknowledged": _ACKED}.get(st.status)
        if st is None and column >= self._lead:
            return _GREY
        if self.COLUMNS[column] == "结转下月" and st is not None and st.carried_out_fen > 0:
            return _DRAFT
        return None

    def tooltip(self, row: Any, column: int) -> str | None:
        st = self.statement(row)
        if st is None:
            return "本月尚未生成结算单：Ctrl+G 生成草稿"
        if st.status == "draft":
            return ("草稿：数据变化后可重算（Ctrl+R），核对无误后定稿（Ctrl+Enter）" if self.township else
                    "草稿：乡镇卫生院定稿后才能确认")
        return None


#: (header, SavingsRow attribute, kind) of the 节约医保基金 table; kind "fen" | "text"
SAVINGS_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("药品", "generic_name", "text"),
    ("规格", "strength", "text"),
    ("数量", "quantity_text", "number"),
    ("集采前参考价", "reference_price_fen", "fen"),
    ("采购价", "pack_price_fen", "fen"),
    ("采购金额", "procurement_fen", "fen"),
    ("节约医保基金", "saving_fen", "fen"),
    ("算式", "formula", "text"),
)


def quantity_text(units: int, units_per_pack: int, pack_unit: str, base_unit: str) -> str:
    """40盒, or 3盒5片 when not whole packs."""
    if units_per_pack > 1 and pack_unit:
        packs, rest = divmod(int(units), units_per_pack)
        return f"{packs}{pack_unit}" + (f"{rest}{base_unit}" if rest else "")
    return f"{units}{base_unit}"


class SavingsModel(RowsModel):
    """One ``SavingsRow`` per drug and procurement price: (集采前参考价 − 采购价) × 数量."""

    COLUMNS: ClassVar[tuple[str, ...]] = tuple(h for h, _, _ in SAVINGS_COLUMNS)
    NUMERIC: ClassVar[frozenset[int]] = frozenset(i for i, (_, _, kind) in enumerate(SAVINGS_COLUMNS) if kind != "text")

    def cell(self, row: Any, column: int) -> str:
        _, attr, kind = SAVINGS_COLUMNS[column]
        if attr == "quantity_text":
            return quantity_text(row.quantity_units, row.units_per_pack, row.pack_unit, row.base_unit)
        if attr == "formula":
            if row.reference_price_fen is None:
                return "无集采前参考价，不计"
            amount = quantity_text(row.quantity_units, row.units_per_pack, row.pack_unit, row.base_unit)
            return f"（{yuan(row.reference_price_fen)} − {yuan(row.pack_price_fen)}）× {amount}"
        value = getattr(row, attr)
        if attr == "reference_price_fen" and value is None:
            return "无参考价"
        if kind == "fen":
            return yuan(value)
        return str(value or "")

    def foreground(self, row: Any, column: int) -> QColor | None:
        attr = SAVINGS_COLUMNS[column][1]
        if attr in ("reference_price_fen", "formula") and row.reference_price_fen is None:
            return _GREY
        if attr == "formula":
            return _GREY
        if attr == "saving_fen" and row.saving_fen < 0:
            return QColor("#b42318")
        return None

    def tooltip(self, row: Any, column: int) -> str | None:
        if row.reference_price_fen is None:
            return "没有集采前参考价（乡镇可在药品参考价中设置），这一行不计节约"
        return None

    def total_fen(self) -> int:
        return sum(r.saving_fen for r in self._rows)
