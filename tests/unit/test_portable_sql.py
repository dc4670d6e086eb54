"""SQL that a township hub on PostgreSQL would also run stays portable (DESIGN §3, §4).

Dates are bucketed by comparing times with times (``app.db.spans``), never by cutting stored text;
migrations find tables through SQLAlchemy, not SQLite's catalog; PRAGMAs live in the SQLite
connection module alone.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, create_engine, func, insert, select
from sqlalchemy.dialects import postgresql

from app.db.spans import day_of, month_of

APP = Path(__file__).resolve().parents[2] / "app"


def _sources(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(APP.parent)): p.read_text(encoding="utf-8") for p in folder.rglob("*.py")}


def test_no_pragma_outside_the_sqlite_connection_module() -> None:
    found = [name for name, text in _sources(APP).items() if "PRAGMA" in text and name != "app/db/connection.py"]
    assert found == []


def test_no_migration_reads_sqlites_catalog() -> None:
    found = [name for name, text in _sources(APP / "db" / "migrations").items() if "sqlite_master" in text]
    assert found == []


def test_no_substr_on_a_stored_time() -> None:
    found = [f"{name}: {m.group(0)}" for name, text in _sources(APP).items()
             for m in re.finditer(r"func\.substr\([^)]*_(at|date|on)\b[^)]*\)", text)]
    assert found == []


def test_days_and_months_are_found_by_comparing_times() -> None:
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", DateTime))
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    times = [datetime(2026, 1, 31, 23, 59, 59, 999999), datetime(2026, 2, 1), datetime(2026, 2, 1, 12),
             datetime(2026, 12, 31, 23, 0), datetime(2027, 1, 1)]
    with engine.begin() as conn:
        conn.execute(insert(table), [{"at": t} for t in times])
        day = day_of(table.c.at, date(2026, 1, 31), 2)
        assert dict(conn.execute(select(day, func.count()).group_by(day)).all()) == {
            "2026-01-31": 1, "2026-02-01": 2, None: 2}
        month = month_of(table.c.at, 2026, 12)
        assert dict(conn.execute(select(month, func.count()).group_by(month)).all()) == {
            "2026-01": 1, "2026-02": 2, "2026-12": 1, None: 1}
    sql = str(select(month).compile(dialect=postgresql.dialect()))
    assert "substr" not in sql and "t.at <" in sql
