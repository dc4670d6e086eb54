"""The number a person reads for the document behind a ledger row (库存台账 单据, 最近入库).

A settlement's rows show its receipt number (票据号 ``20261202-0001``) and the rows that put its stock
back show the reversal's number (``CZ20261202-0001``). Stock documents (入库单, 报损单, 退回单, 盘点单,
调拨单, 调整单, 手工发药) have no table of their own: each is numbered by the day and the store's ledger
number (``seq``, the 台账序号) of its first row, e.g. ``20261202-0314``. That number is unique in the
store, never changes (ledger rows are never rewritten) and is the same one the row's 台账序号 shows.
An id fragment is never shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Reversal, Settlement, StockMovement
from app.domain.enums import MovementKind

#: doc_type of the rows a settlement dispensed (and its reversal put back)
VISIT = "visit"
#: ids per IN (…) query: well under SQLite's bound-parameter limit
_CHUNK = 400


def stock_doc_number(first_at: datetime, first_seq: int) -> str:
    """'20261202-0314': the day and the ledger number of a stock document's first row."""
    return f"{first_at:%Y%m%d}-{first_seq:04d}"


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i:i + _CHUNK]


def document_numbers(session: Session, store_id: str, rows: Iterable[tuple[str, str | None, str]]
                     ) -> dict[tuple[str, str, bool], str]:
    """Numbers of the documents behind ``rows`` of (doc_type, doc_id, kind), in a few indexed queries.

    Returns ``{(doc_type, doc_id, is_reversal): number}``; a row looks itself up with ``number_of``.
    A document that cannot be found (e.g. a row written before numbering) is left out.
    """
    visits: set[str] = set()
    others: dict[str, set[str]] = {}
    for doc_type, doc_id, _kind in rows:
        if not doc_id:
            continue
        if doc_type == VISIT:
            visits.add(doc_id)
        else:
            others.setdefault(doc_type or "", set()).add(doc_id)
    out: dict[tuple[str, str, bool], str] = {}
    for ids in _chunks(sorted(visits)):
        stmt = (select(Settlement.visit_id, Settlement.receipt_no, Reversal.receipt_no)
                .outerjoin(Reversal, Reversal.settlement_id == Settlement.id).where(Settlement.visit_id.in_(ids)))
        for visit_id, receipt_no, reversal_no in session.execute(stmt):
            out[(VISIT, visit_id, False)] = receipt_no
            out[(VISIT, visit_id, True)] = reversal_no or receipt_no
    m = StockMovement
    for doc_type, id_set in others.items():
        for ids in _chunks(sorted(id_set)):
            stmt = (select(m.doc_id, func.min(m.seq), func.min(m.occurred_at))
                    .where(m.doc_type == doc_type, m.doc_id.in_(ids), m.store_id == store_id).group_by(m.doc_id))
            for doc_id, first_seq, first_at in session.execute(stmt):
                number = stock_doc_number(first_at, first_seq)
                out[(doc_type, doc_id, False)] = out[(doc_type, doc_id, True)] = number
    return out


def number_of(numbers: dict[tuple[str, str, bool], str], doc_type: str, doc_id: str | None, kind: str) -> str:
    """The number of one row's document from ``document_numbers`` ('' when it has none)."""
    if not doc_id:
        return ""
    return numbers.get((doc_type, doc_id, kind == MovementKind.REVERSAL.value), "")
