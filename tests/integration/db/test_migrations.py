"""Migrations: an empty database upgrades to a schema equal to the models, and the database of
every previous migration head, filled with demo data, upgrades with its rows intact.

The second test is generic over the revision history: for each revision R whose predecessor is P,
a fresh file is upgraded to P, filled with the (head-built) small demo by copying the rows of the
tables and columns that exist at P, and then upgraded to R and on to head; row counts must be
preserved and ``cunyi check`` must pass. The first revision (no predecessor) runs on an empty file
at R loaded the same way, so the test is meaningful today and stays so when revisions are added.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.cli import main as cli_main
from app.db import migrate
from app.db.engine import make_engine
from app.db.models import Base
from app.domain.pinyin import pinyin_codes

REVISIONS = [(r.revision, r.down_revision) for r in ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions()]


def test_empty_database_upgrades_to_exactly_the_models(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "empty.db")
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert migrate.current_revision(engine) == migrate.head_revision()
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diffs == [], "migrations and models disagree; add a revision (alembic autogenerate):\n" + "\n".join(
        map(str, diffs)
    )


def _tables(con: sqlite3.Connection, schema: str = "main") -> dict[str, list[str]]:
    names = [n for (n,) in con.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'")]
    return {n: [c[1] for c in con.execute(f"PRAGMA {schema}.table_info({n})")] for n in names}


def _unique_columns(con: sqlite3.Connection, table: str) -> set[str]:
    """Columns that carry a single-column UNIQUE index in the main schema."""
    found = set()
    for _seq, name, unique, *_ in con.execute(f"PRAGMA main.index_list({table})"):
        cols = [c[2] for c in con.execute(f"PRAGMA main.index_info({name})")]
        if unique and len(cols) == 1:
            found.add(cols[0])
    return found


#: receipt numbers run per site since 0002; an older schema held one site's own numbers only, so the
#: rows of other sites are suffixed with their site to fit a schema where the number alone is unique
_SITE_UNIQUE_ADAPT = {
    "receipt_no": "CASE WHEN owner_site_id = (SELECT site_id FROM demo.local_site) THEN receipt_no "
                  "ELSE receipt_no || '-' || substr(owner_site_id, -4) END",
}


#: columns of an older schema that the head moved to another table: how to fill them from the head's rows.
#: Before 0005 a drug's shelf and minimum stock were one value on the catalog row; the local store's now.
_LOCAL_OWN = ("SELECT o.{0} FROM demo.store_drug_settings o JOIN demo.stores st ON st.id = o.store_id "
              "WHERE o.drug_id = src.id AND st.site_id = (SELECT site_id FROM demo.local_site)")
_MOVED_OUT = {"drugs": {"shelf": f"coalesce(({_LOCAL_OWN.format('shelf')}), '')",
                        "min_stock_units": f"coalesce(({_LOCAL_OWN.format('min_stock_units')}), 0)"}}


def _fill_from_demo(path: Path, demo: Path) -> dict[str, int]:
    """Copy the demo's rows into ``path`` (an older schema): common tables, common columns."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys=OFF")
        # the generated triggers belong to the head schema; the rows copied include their outbox rows
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'outbox_%'").fetchall():
            con.execute(f"DROP TRIGGER {name}")
        con.execute("ATTACH DATABASE ? AS demo", (f"file:{demo}?mode=ro",))
        target, source = _tables(con), _tables(con, "demo")
        counts = {}
        con.execute("BEGIN")
        for table, columns in target.items():
            if table not in source or table == "outbox_tx":  # its one row is the migration's, not data
                continue
            if table == "resident_search_keys":  # the residents' triggers fill it as their rows arrive
                continue
            common = [c for c in columns if c in source[table]]
            moved = {c: sql for c, sql in _MOVED_OUT.get(table, {}).items() if c in columns and c not in source[table]}
            cols = ", ".join(common + list(moved))
            unique = _unique_columns(con, table)
            values = ", ".join([_SITE_UNIQUE_ADAPT[c] if c in unique and c in _SITE_UNIQUE_ADAPT else c for c in common]
                               + list(moved.values()))
            con.execute(f"INSERT INTO main.{table} ({cols}) SELECT {values} FROM demo.{table} AS src")
            counts[table] = con.execute(f"SELECT count(*) FROM main.{table}").fetchone()[0]
        con.execute("COMMIT")
        con.execute("DETACH DATABASE demo")
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()
    return counts


@pytest.mark.parametrize(("revision", "previous"), REVISIONS, ids=[f"{p or 'empty'}->{r}" for r, p in REVISIONS])
def test_previous_head_with_demo_data_upgrades(revision: str, previous: str | None, demo_build, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = data / "cunyi.db"
    engine = make_engine(path)
    try:
        migrate.upgrade(engine, previous or revision)
        counts = _fill_from_demo(path, demo_build.database)
        assert counts["settlements"] > 0 and counts["stock_movements"] > 0
        if previous:
            migrate.upgrade(engine, revision)
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
    con = sqlite3.connect(path)
    try:
        after = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _tables(con)}
        fees_after = dict(con.execute("SELECT id, general_fee_fen FROM settlements"))
        residents = con.execute("SELECT name, pinyin_abbr, pinyin_keys, pinyin_sort FROM residents").fetchall()
        drugs = con.execute("SELECT generic_name, pinyin_abbr, pinyin_keys, pinyin_sort FROM drugs").fetchall()
        own = con.execute("SELECT store_id, drug_id, shelf, min_stock_units FROM store_drug_settings").fetchall()
        stores = dict(con.execute("SELECT id, site_id FROM stores"))
        local_site = con.execute("SELECT site_id FROM local_site").fetchone()[0]
    finally:
        con.close()
    demo_con = sqlite3.connect(f"file:{demo_build.database}?mode=ro", uri=True)
    try:
        fees_demo = dict(demo_con.execute("SELECT id, general_fee_fen FROM settlements"))
        own_demo = demo_con.execute(
            "SELECT o.drug_id, o.shelf, o.min_stock_units FROM store_drug_settings o JOIN stores st ON st.id = o.store_id "
            "WHERE st.site_id = (SELECT site_id FROM local_site)").fetchall()
    finally:
        demo_con.close()
    for table, count in counts.items():
        if table in after:
            assert after[table] == count, table
    # 0002 backfills the general fee charged from each settlement's total and its lines, exactly
    assert fees_after == fees_demo
    # 0003 fills the pinyin search and sort keys from the names (a resident's surname read as a surname)
    assert residents and drugs
    for name, *stored in residents:
        codes = pinyin_codes(name, person=True, width=16)
        assert stored == [codes.abbr, codes.keys, codes.sort], name
    for name, *stored in drugs:
        codes = pinyin_codes(name)
        assert stored == [codes.abbr, codes.keys, codes.sort], name
    # 0005 moves the catalog row's shelf and minimum stock into every store's own settings
    own_demo = {drug: (shelf, minimum) for drug, shelf, minimum in own_demo}
    assert own_demo and stores
    local_own = {drug: (shelf, minimum) for store, drug, shelf, minimum in own if stores[store] == local_site}
    assert local_own == own_demo or previous != "0004"
    by_store: dict[str, dict] = {}
    for store, drug, shelf, minimum in own:
        by_store.setdefault(store, {})[drug] = (shelf, minimum)
    assert previous != "0004" or all(values == own_demo for values in by_store.values()), "every store, same values"
    assert cli_main(["check", "--data", str(data)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["ok"] is True and "库存台账 = 批次结存" in result["checked"]


def test_trace_codes_become_their_events(demo_build, tmp_path: Path) -> None:
    """0007: every code row becomes its events with its dates: received, sold (to its visit), a reversed
    receipt as received then unreceived, a code first seen at a sale as its sale alone."""
    path = tmp_path / "cunyi.db"
    engine = make_engine(path)
    try:
        migrate.upgrade(engine, "0006")
        with sqlite3.connect(path) as con:  # the demo brings its own (idle) transaction marker
            con.execute("DELETE FROM outbox_tx")
        _fill_from_demo(path, demo_build.database)
        con = sqlite3.connect(path, isolation_level=None)
        owner, store, batch, drug, at = con.execute(
            "SELECT m.owner_site_id, m.store_id, m.batch_id, m.drug_id, m.occurred_at FROM stock_movements m "
            "WHERE m.kind IN ('receipt', 'transfer_in') ORDER BY m.seq LIMIT 1").fetchone()
        receipt_type, receipt_doc = con.execute(  # the demo's first receipt: a purchase, or a village's 调拨入库
            "SELECT doc_type, doc_id FROM stock_movements WHERE batch_id = ? AND occurred_at = ? "
            "AND kind IN ('receipt', 'transfer_in') ORDER BY seq LIMIT 1", (batch, at)).fetchone()
        visit, sold_at = con.execute("SELECT id, occurred_at FROM visits ORDER BY occurred_at LIMIT 1").fetchone()
        rows = [  # code, received_at, sold_at, sold_visit_id
            ("89000000000000000001", at, None, None),
            ("89000000000000000002", at, sold_at, visit),
            ("89000000000000000003", None, None, None),
            ("89000000000000000004", None, sold_at, "manual-doc"),
        ]
        con.executemany(
            "INSERT INTO trace_codes (id, owner_site_id, created_at, updated_at, version, code, drug_id, batch_id, "
            "store_id, received_at, sold_at, sold_visit_id) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
            [(f"tc-{code}", owner, at, sold_at, code, drug, batch, store, r, s, v) for code, r, s, v in rows])
        con.close()
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    con = sqlite3.connect(path)
    try:
        events = con.execute("SELECT code, seq, kind, occurred_at, doc_type, doc_id, store_id, batch_id, owner_site_id "
                             "FROM trace_code_events WHERE code LIKE '89%' ORDER BY code, seq").fetchall()
        assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'trace_codes'").fetchone()[0] == 0
    finally:
        con.close()
    assert [e[:6] for e in events] == [
        ("89000000000000000001", 1, "received", at, receipt_type, receipt_doc),
        ("89000000000000000002", 1, "received", at, receipt_type, receipt_doc),
        ("89000000000000000002", 2, "sold", sold_at, "visit", visit),
        ("89000000000000000003", 1, "received", at, "receipt", None),
        ("89000000000000000003", 2, "unreceived", sold_at, "receipt", None),
        ("89000000000000000004", 1, "sold", sold_at, "manual", "manual-doc"),
    ]
    assert {e[6:] for e in events} == {(store, batch, owner)}


@pytest.mark.parametrize("picked", ["county-2026.toml", "missing.toml", ""])
def test_policy_files_become_rows_and_settlements_name_their_version(picked: str, demo_build, tmp_path: Path) -> None:
    """0008: the bundled demo file and the file the setting names (when it can be read) become rows of the
    local site; the existing settlements get the version of the file in force. A file that can no longer
    be read points at no row, so settling asks for it again instead of using other figures."""
    from app.domain.policy_file import policy_version
    from app.paths import resource

    demo_text = resource("policies", "demo-2026.toml").read_text(encoding="utf-8")
    custom = tmp_path / "county-2026.toml"
    custom.write_text(demo_text.replace("ratio_bp = 6000", "ratio_bp = 7000"), encoding="utf-8")
    path = tmp_path / "cunyi.db"
    engine = make_engine(path)
    try:
        migrate.upgrade(engine, "0007")
        with sqlite3.connect(path) as con:  # the demo brings its own (idle) transaction marker
            con.execute("DELETE FROM outbox_tx")
        _fill_from_demo(path, demo_build.database)
        with sqlite3.connect(path) as con:  # before 0008 the setting named a file and nothing else
            con.execute("DELETE FROM app_settings WHERE key IN ('policy_file', 'policy_id')")
            if picked:
                con.execute("INSERT INTO app_settings (key, value) VALUES ('policy_file', ?)",
                            (json.dumps(str(tmp_path / picked)),))
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    con = sqlite3.connect(path)
    try:
        local = con.execute("SELECT site_id FROM local_site").fetchone()[0]
        rows = dict(con.execute("SELECT policy_version, id FROM policies WHERE owner_site_id = ?", (local,)))
        versions = {v for (v,) in con.execute("SELECT DISTINCT policy_version FROM settlements")}
        in_force = con.execute("SELECT value FROM app_settings WHERE key = 'policy_id'").fetchone()
        count = con.execute("SELECT count(*) FROM settlements").fetchone()[0]
    finally:
        con.close()
    demo, county = policy_version(demo_text), policy_version(custom.read_text(encoding="utf-8"))
    assert count > 0
    if picked == "county-2026.toml":
        assert set(rows) == {demo, county} and versions == {county} and json.loads(in_force[0]) == rows[county]
    elif picked:
        assert set(rows) == {demo} and versions == {demo} and in_force is None
    else:
        assert set(rows) == {demo} and versions == {demo} and json.loads(in_force[0]) == rows[demo]
