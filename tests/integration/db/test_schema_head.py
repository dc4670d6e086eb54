"""The start-up schema check (``app.db.schema_head``), which runs on sqlite3 before any window.

It must agree with alembic about the head revision and with the models about the generated triggers,
and it must send start-up down the migrating path whenever either is off: then ``bootstrap``
reinstalls the triggers (a changed trigger needs no revision of its own).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.bootstrap import bootstrap
from app.db import migrate, schema_head
from app.db.connection import connect
from app.db.outbox import trigger_sql


def _is_current(database: Path) -> bool:
    with connect(database) as conn:
        return schema_head.is_current(conn)


def test_the_kept_digest_is_the_digest_of_the_models_triggers() -> None:
    actual = schema_head.triggers_digest(trigger_sql().items())
    assert actual == schema_head.TRIGGERS_DIGEST, (
        f"the generated triggers changed: set TRIGGERS_DIGEST in app/db/schema_head.py to {actual!r}"
    )


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    assert schema_head.script_heads() == {migrate.head_revision()}


def test_a_fresh_installation_is_current_and_an_empty_file_is_not(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert not _is_current(empty)
    bootstrap(tmp_path / "site").close()
    assert _is_current(tmp_path / "site" / "cunyi.db")


def test_a_changed_or_missing_trigger_is_reinstalled_at_start_up(demo_copy: Path) -> None:
    database = demo_copy / "cunyi.db"
    name, sql = next(iter(trigger_sql().items()))
    with connect(database) as conn:
        conn.execute(f"DROP TRIGGER {name}")
        conn.execute(sql.replace(" BEGIN ", "  BEGIN ", 1))
    assert not _is_current(database)  # same effect, different text: not this code's trigger
    bootstrap(demo_copy).close()
    assert _is_current(database)
    with connect(database) as conn:
        conn.execute(f"DROP TRIGGER {name}")
    assert not _is_current(database)
    bootstrap(demo_copy).close()
    with connect(database) as conn:
        assert conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()["sql"] == sql
    assert _is_current(database)


def test_a_database_stamped_with_an_older_revision_is_not_current(demo_copy: Path) -> None:
    database = demo_copy / "cunyi.db"
    with connect(database) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    assert not _is_current(database)
