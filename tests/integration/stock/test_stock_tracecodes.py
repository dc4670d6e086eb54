"""Trace codes: received, sold once, a second sale refused with date and visit, 无码库."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from stock_helpers import Clinic, days

from app.db.models import Resident, Visit
from app.domain import clock
from app.domain.errors import RuleViolation

CODES = ["81000000000000000001", "81000000000000000002"]


def _visit(clinic: Clinic, when: datetime) -> str:
    with clinic.sv.db.unit_of_work() as uow:
        site_id = uow.local_site_id
        resident = Resident(site_id=site_id, id_number="410102195001011234", name="张三", sex="M",
                            birth_date=date(1950, 1, 1))
        uow.session.add(resident)
        uow.session.flush()
        visit = Visit(site_id=site_id, resident_id=resident.id, visit_date=when.date(), occurred_at=when)
        uow.session.add(visit)
        uow.session.flush()
        return visit.id


def test_code_sold_twice_is_refused_with_date_and_visit(clinic: Clinic) -> None:
    st = clinic.sv.stock
    st.receive(clinic.amox.id, "A1", days(300), 48, trace_codes=CODES)
    first = datetime(2026, 3, 5, 10, 30)
    visit_id = _visit(clinic, first)
    st.dispense(clinic.amox.id, 24, doc_type="visit", doc_id=visit_id, trace_codes=[CODES[0]], at=first)
    info = st.trace_code(CODES[0])
    assert (info.sold_at, info.sold_visit_id) == (first, visit_id)
    before = clinic.fingerprint()
    with pytest.raises(RuleViolation) as err:
        st.dispense(clinic.amox.id, 24, doc_type="visit", doc_id="other", trace_codes=[CODES[0]])
    message = str(err.value)
    assert err.value.field == "药品追溯码"
    assert "2026-03-05 10:30" in message and visit_id in message and "不能销售两次" in message
    assert clinic.fingerprint() == before


def test_reversed_sale_puts_the_code_back(clinic: Clinic) -> None:
    st = clinic.sv.stock
    st.receive(clinic.amox.id, "A1", days(300), 48, trace_codes=CODES)
    st.dispense(clinic.amox.id, 24, doc_type="visit", doc_id="v1", trace_codes=[CODES[1]])
    from app.services.stock.service import reverse_document_in
    with clinic.sv.db.unit_of_work() as uow:
        reverse_document_in(uow.session, doc_type="visit", doc_id="v1", at=clock.now(), user_id=None, reason="退药")
    assert st.trace_code(CODES[1]).sold_at is None
    st.dispense(clinic.amox.id, 24, doc_type="visit", doc_id="v2", trace_codes=[CODES[1]])
    assert st.trace_code(CODES[1]).sold_visit_id == "v2"


def test_code_of_another_drug_is_refused(clinic: Clinic) -> None:
    st = clinic.sv.stock
    st.receive(clinic.amox.id, "A1", days(300), 24, trace_codes=[CODES[0]])
    st.receive(clinic.nife.id, "N1", days(300), 30)
    with pytest.raises(Exception) as err:
        st.dispense(clinic.nife.id, 30, trace_codes=[CODES[0]])
    assert "阿莫西林胶囊" in str(err.value)


def test_stock_without_codes_is_listed_as_no_code_and_still_sellable(clinic: Clinic) -> None:
    st = clinic.sv.stock
    coded = st.receive(clinic.amox.id, "A1", days(300), 24, trace_codes=[CODES[0]])
    bare = st.receive(clinic.nife.id, "N1", days(300), 30)
    assert [b.batch_id for b in st.no_code_batches()] == [bare]
    assert coded not in {b.batch_id for b in st.no_code_batches()}
    assert st.dispense(clinic.nife.id, 10)[0].batch_id == bare
    assert st.alerts().no_code.count == 1
    # a code seen first at sale (the box came without a recorded code) is recorded as sold
    st.dispense(clinic.nife.id, 20, trace_codes=["81000000000000000077"])
    assert st.trace_code("81000000000000000077").received_at is None


def test_check_finds_a_code_sold_twice(clinic: Clinic, capsys) -> None:  # noqa: ANN001
    """``cunyi check`` counts each code's sales less their reversals: 0 or 1, never 2."""
    import sqlite3

    from app.cli import main
    from app.db.models import Base

    st = clinic.sv.stock
    st.receive(clinic.amox.id, "A1", days(300), 48, trace_codes=CODES)
    st.dispense(clinic.amox.id, 24, doc_type="visit", doc_id="v1", trace_codes=[CODES[0]])
    root = str(clinic.sv.data.root)
    assert main(["check", "--data", root]) == 0
    columns = [c.name for c in Base.metadata.tables["trace_code_events"].columns]
    exprs = [{"id": "'e-twice'", "seq": "seq + 1"}.get(c, c) for c in columns]
    con = sqlite3.connect(clinic.sv.data.database)
    with con:  # the same sale once more, behind the services' back
        con.execute(f"INSERT INTO trace_code_events ({', '.join(columns)}) SELECT {', '.join(exprs)} "
                    "FROM trace_code_events WHERE code = ? AND kind = 'sold'", (CODES[0],))
    con.close()
    capsys.readouterr()
    assert main(["check", "--data", root]) == 1
    err = capsys.readouterr().err
    assert "追溯码只售出一次" in err and CODES[0] in err and "2 次" in err, err
