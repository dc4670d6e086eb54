"""Property: any interleaving of receive, sell, reverse and ship keeps the trace code rules.

Runs through the services on one real SQLite file; every example works on a fresh drug and fresh
codes. A plain-Python model predicts whether each step is accepted or refused, and after every step
the rules are checked on the ``trace_code_events`` rows themselves: a code is sold at most once
while sold, never received straight after a sale, an unsold code can be sold again, and a shipped or
returned code is not sellable at the sending store.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from stock_helpers import NOW, TODAY

from app.bootstrap import Services, bootstrap
from app.db.models import TraceCodeEvent
from app.domain.enums import MovementKind
from app.domain.errors import CunyiError
from app.domain.ids import new_id
from app.services.stock.service import remove_in, reverse_document_in

CODES = 4
_examples = itertools.count(1)

ops = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), st.lists(st.integers(0, CODES - 1), min_size=1, max_size=CODES, unique=True)),
        st.tuples(st.just("sell"), st.integers(0, CODES - 1)),
        st.tuples(st.just("reverse"), st.integers(0, 20)),
        st.tuples(st.just("return"), st.integers(0, CODES - 1)),
        st.tuples(st.just("transfer"), st.integers(0, CODES - 1)),
    ),
    min_size=1,
    max_size=14,
)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    sv = bootstrap(Path(tmp_path_factory.mktemp("trace-prop")) / "data", backup_before_migrate=False)
    sv.sites.create_standalone("village", "追溯码性质测试村", "admin", "secret123")
    yield sv
    sv.close()


def _events(sv: Services, codes: list[str]) -> dict[str, list[tuple[str, int, str | None]]]:
    """Each code's (kind, seq, doc id) at the store, in order."""
    found: dict[str, list] = defaultdict(list)
    with sv.db.read() as s:
        rows = s.execute(select(TraceCodeEvent.code, TraceCodeEvent.kind, TraceCodeEvent.seq, TraceCodeEvent.doc_id)
                         .where(TraceCodeEvent.code.in_(codes)).order_by(TraceCodeEvent.code, TraceCodeEvent.seq))
        for code, kind, seq, doc in rows:
            found[code].append((kind, seq, doc))
    return found


def _check_rules(sv: Services, codes: list[str], model: dict[str, str], sold_by: dict[str, str]) -> None:
    events = _events(sv, codes)
    for code in codes:
        history = events.get(code, [])
        assert [seq for _, seq, _ in history] == list(range(1, len(history) + 1)), code
        net = sum(k == "sold" for k, _, _ in history) - sum(k == "unsold" for k, _, _ in history)
        sold = model[code].startswith("sold")
        assert net == int(sold), (code, history)  # sold at most once, and exactly while sold
        for (before, _, _), (after, _, _) in itertools.pairwise(history):
            assert not (before == "sold" and after == "received"), (code, history)  # no receipt of a sold box
        if history and sold:
            assert history[-1][0] == "sold" and history[-1][2] == sold_by[code]
        info = sv.stock.trace_code(code)
        assert (info is not None and info.sold_at is not None) == sold
        if sold:
            assert info.sold_visit_id == sold_by[code]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
def test_trace_code_rules_hold_at_every_step(services: Services, program: list[tuple]) -> None:
    sv = services
    n = next(_examples)
    drug = sv.catalog.create(generic_name=f"追溯码性质药{n}", units_per_pack=1, price_fen=100)
    # uncoded stock that expires first: sales take it (FEFO), the coded lot only loses what is shipped
    sv.stock.receive(drug.id, "BULK", TODAY + timedelta(days=200), 1000, at=NOW - timedelta(days=1))
    coded = None
    codes = [f"8{n:07d}{i:012d}" for i in range(CODES)]
    #: new · stock (received, on the shelf) · sold_r / sold_n (sold, with / without a receipt here)
    #: · back_n (unsold, never received) · gone (shipped or returned)
    model = dict.fromkeys(codes, "new")
    sold_by: dict[str, str] = {}
    docs: list[str] = []

    for step in program:
        kind = step[0]
        before, state = _events(sv, codes), dict(model)
        if kind == "receive":
            picked = [codes[i] for i in step[1]]
            ok = all(model[c] in ("new", "gone", "back_n") for c in picked)
            try:
                coded = sv.stock.receive(drug.id, "CODED", TODAY + timedelta(days=400), len(picked),
                                         trace_codes=picked, at=NOW)
            except CunyiError as err:
                assert not ok, (step, model, err)
            else:
                assert ok, (step, model)
                model.update(dict.fromkeys(picked, "stock"))
        elif kind == "sell":
            code, doc = codes[step[1]], new_id()
            ok = model[code] in ("new", "stock", "back_n")
            try:
                sv.stock.dispense(drug.id, 1, doc_type="visit", doc_id=doc, trace_codes=[code], at=NOW)
            except CunyiError as err:
                assert not ok, (step, model, err)
                assert "药品追溯码" in str(err)
            else:
                assert ok, (step, model)
                model[code] = "sold_r" if model[code] == "stock" else "sold_n"
                sold_by[code] = doc
                docs.append(doc)
        elif kind == "reverse":
            if not docs:
                continue
            doc = docs[step[1] % len(docs)]
            with sv.db.unit_of_work() as uow:
                reverse_document_in(uow.session, doc_type="visit", doc_id=doc, at=NOW, user_id=None, reason="退药")
            for code, by in list(sold_by.items()):
                if by == doc and model[code].startswith("sold"):
                    model[code] = "stock" if model[code] == "sold_r" else "back_n"
                    del sold_by[code]
        else:  # return (退回乡镇, through StockService) or transfer out (调拨出库, inside a unit of work)
            code = codes[step[1]]
            ok = model[code] == "stock"
            try:
                if coded is None:
                    raise CunyiError("no coded lot yet")
                if kind == "return":
                    sv.stock.return_to_township(coded, 1, "退回乡镇", trace_codes=[code], at=NOW)
                else:
                    with sv.db.unit_of_work() as uow:
                        remove_in(uow.session, batch_id=coded, quantity_units=1, kind=MovementKind.TRANSFER_OUT, at=NOW,
                                  user_id=None, reason="调拨", doc_type="shipment", doc_id=new_id(), trace_codes=[code])
            except CunyiError as err:
                assert not ok, (step, model, err)
            else:
                assert ok, (step, model)
                model[code] = "gone"
        if model == state and kind != "reverse":  # refused: not one event written
            assert _events(sv, codes) == before, step
        _check_rules(sv, codes, model, sold_by)
        # a shipped or returned code is refused at this store, and the refusal writes nothing
        for code in codes:
            if model[code] == "gone":
                before = _events(sv, codes)
                with pytest.raises(CunyiError, match="不在本药库"):
                    sv.stock.dispense(drug.id, 1, doc_type="visit", doc_id=new_id(), trace_codes=[code], at=NOW)
                assert _events(sv, codes) == before
