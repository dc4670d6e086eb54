"""Fixed clock and ID-number helper shared by the settlement tests (a uniquely named module, so
test files never import ``conftest`` by name)."""

from __future__ import annotations

from datetime import datetime

from app.domain.idcard import check_digit

AT = datetime(2026, 11, 23, 9, 30)
DAY = AT.date()
PASSWORD = "demo1234"


def id_number(birth: str, seq: str = "123", region: str = "410102") -> str:
    """A valid 18-digit ID number for birth date 'YYYYMMDD' (odd seq → male)."""
    first17 = region + birth + seq
    return first17 + check_digit(first17)


def change_final_rows(database, table: str, sql: str, params: tuple = ()) -> None:  # noqa: ANN001
    """Run ``sql`` on an append-only ``table`` as if its rows had been written so by an older version:
    its UPDATE guard is lifted for this one change, then put back."""
    import sqlite3

    con = sqlite3.connect(database)
    try:
        with con:
            guards = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                                 "AND sql LIKE '%BEFORE UPDATE%'", (table,)).fetchall()
            for name, _sql in guards:
                con.execute(f'DROP TRIGGER "{name}"')
            con.execute(sql, params)
            for _name, guard in guards:
                con.execute(guard)
    finally:
        con.close()
