"""Property: any sequence of stock operations keeps on hand = Σ ledger ≥ 0, and FEFO holds.

Runs on one real SQLite file; every example works on a fresh drug, so examples do not interfere.
A plain-Python model predicts each outcome (success or refusal, and which batches FEFO takes).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.bootstrap import Services, bootstrap
from app.db.models import Batch, StockMovement
from app.domain.errors import CunyiError, RuleViolation
from app.domain.fefo import is_expired

from stock_helpers import NOW, TODAY

#: lot → (expiry offset in days, received this many days ago)
LOTS = {0: (-3, 100), 1: (30, 0), 2: (30, 0), 3: (200, 0)}
_names = itertools.count()

ops = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), st.sampled_from(sorted(LOTS)), st.integers(1, 60)),
        st.tuples(st.just("dispense"), st.just(0), st.integers(1, 80)),
        st.tuples(st.just("adjust"), st.sampled_from(sorted(LOTS)), st.integers(-30, 30).filter(bool)),
        st.tuples(st.just("write_off"), st.sampled_from(sorted(LOTS)), st.integers(1, 40)),
        st.tuples(st.just("reverse"), st.just(0), st.integers(0, 30)),
    ),
    max_size=14,
)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    sv = bootstrap(Path(tmp_path_factory.mktemp("prop")) / "data", backup_before_migrate=False)
    sv.sites.create_standalone("village", "性质测试村", "admin", "secret123")
    yield sv
    sv.close()


def _db_state(sv: Services, drug_id: str) -> tuple[dict[str, int], dict[str, int], int | None]:
    with sv.db.read() as s:
        cached = dict(s.execute(select(Batch.id, Batch.on_hand).where(Batch.drug_id == drug_id)).all())
        ledger = dict(s.execute(select(StockMovement.batch_id, func.sum(StockMovement.quantity))
                                .where(StockMovement.drug_id == drug_id).group_by(StockMovement.batch_id)).all())
        last = s.scalar(select(StockMovement.drug_balance_after).where(StockMovement.drug_id == drug_id)
                        .order_by(StockMovement.seq.desc()).limit(1))
    return cached, ledger, last


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
def test_ledger_invariants_and_fefo(services: Services, program: list[tuple[str, int, int]]) -> None:
    sv = services
    drug = sv.catalog.create(generic_name=f"性质药{next(_names)}", units_per_pack=10, price_fen=100)
    lot_batch: dict[int, str] = {}
    on_hand: dict[str, int] = {}
    expiry: dict[str, object] = {}
    moves: list[tuple[str, str, int, bool]] = []  # (movement id, kind, qty, reversed)

    def last_movement_id() -> str:
        with sv.db.read() as s:
            return s.scalar(select(StockMovement.id).where(StockMovement.drug_id == drug.id)
                            .order_by(StockMovement.seq.desc()).limit(1))

    for kind, lot, qty in program:
        if kind == "receive":
            offset, ago = LOTS[lot]
            batch = sv.stock.receive(drug.id, f"L{lot}", TODAY + timedelta(days=offset), qty,
                                     at=NOW - timedelta(days=ago), accept_near_expiry=True)
            assert lot_batch.setdefault(lot, batch) == batch
            on_hand[batch] = on_hand.get(batch, 0) + qty
            expiry[batch] = TODAY + timedelta(days=offset)
            moves.append((last_movement_id(), "receipt", qty, False))
        elif kind == "dispense":
            usable = sorted((b for b in on_hand if on_hand[b] > 0 and not is_expired(expiry[b], TODAY)),
                            key=lambda b: (expiry[b], b))
            if sum(on_hand[b] for b in usable) < qty:
                with pytest.raises(RuleViolation):
                    sv.stock.dispense(drug.id, qty)
                continue
            expected, left = [], qty
            for b in usable:
                take = min(left, on_hand[b])
                expected.append((b, take))
                left -= take
                if not left:
                    break
            got = sv.stock.dispense(drug.id, qty)
            assert [(a.batch_id, a.quantity) for a in got] == expected  # FEFO: earliest unexpired first
            with sv.db.read() as s:
                ids = s.scalars(select(StockMovement.id).where(StockMovement.drug_id == drug.id)
                                .order_by(StockMovement.seq.desc()).limit(len(got))).all()
            for (b, take), mid in zip(expected, reversed(ids)):
                on_hand[b] -= take
                moves.append((mid, "dispense", -take, False))
        elif kind in ("adjust", "write_off"):
            batch = lot_batch.get(lot)
            if batch is None:
                continue
            delta = qty if kind == "adjust" else -qty
            call = (lambda: sv.stock.adjust(batch, delta, "性质测试")) if kind == "adjust" else (
                lambda: sv.stock.write_off(batch, qty, "damaged"))
            if on_hand[batch] + delta < 0:
                with pytest.raises(RuleViolation):
                    call()
                continue
            moves.append((call(), kind, delta, False))
            on_hand[batch] += delta
        else:  # reverse
            if not moves:
                continue
            index = qty % len(moves)
            mid, mkind, mqty, done = moves[index]
            with sv.db.read() as s:
                batch = s.scalar(select(StockMovement.batch_id).where(StockMovement.id == mid))
            if mkind == "reversal" or done or on_hand[batch] - mqty < 0:
                with pytest.raises(CunyiError):
                    sv.stock.reverse_movement(mid, "性质测试冲正")
                continue
            rid = sv.stock.reverse_movement(mid, "性质测试冲正")
            moves[index] = (mid, mkind, mqty, True)
            moves.append((rid, "reversal", -mqty, False))
            on_hand[batch] -= mqty
        cached, ledger, last = _db_state(sv, drug.id)
        assert cached == {b: ledger.get(b, 0) for b in cached}  # on hand = Σ ledger, per batch
        assert all(v >= 0 for v in cached.values())
        assert cached == on_hand
        assert last == sum(cached.values())
