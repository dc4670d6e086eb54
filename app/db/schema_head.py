"""Is a database at this code's schema head? Answered with the standard ``sqlite3`` driver alone.

Every start-up asks this before the window shows, so it must not load SQLAlchemy or the models (see
``app.db.connection``). The head is two things:

- the head revision of the migration files, read straight from them (no alembic import);
- the generated triggers (outbox and append-only, ``app.db.outbox``). They are made from the models,
  so ``TRIGGERS_DIGEST`` keeps their SHA-256 as this code writes them, and a unit test proves it is
  the digest of ``trigger_sql()``. SQLite keeps a trigger's text as written, so a changed trigger
  (e.g. how ``op_id`` is made) shows here and start-up reinstalls them even when no revision is due.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

MIGRATIONS = Path(__file__).with_name("migrations")

#: how the name of every generated trigger starts (the table's name follows)
TRIGGER_PREFIXES = ("outbox_insert_", "outbox_update_", "append_only_update_", "append_only_delete_", "no_delete_")

#: the generated triggers of a database, by name
GENERATED_TRIGGERS = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
    "AND (name LIKE 'outbox_%' OR name LIKE 'append_only_%' OR name LIKE 'no_delete_%')"
)

#: ``triggers_digest(app.db.outbox.trigger_sql().items())``; a unit test keeps it true
TRIGGERS_DIGEST = "6ae82aff0bfd68df6180e3bebff2a49e6afee639beb4498e7032de504f86c1f0"

_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.M)


def script_heads() -> set[str]:
    """The head revisions, read straight from the version files."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN_REVISION.search(text)
        if down:
            downs.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return revisions - downs


def triggers_digest(triggers: Iterable[tuple[str, str]]) -> str:
    """SHA-256 of (name, CREATE TRIGGER text) pairs, in name order."""
    digest = hashlib.sha256()
    for name, sql in sorted((name, sql) for name, sql in triggers):
        digest.update(f"{name}\n{sql}\n".encode())
    return digest.hexdigest()


def is_current(conn: sqlite3.Connection) -> bool:
    """True when the database is stamped with the head revision and its triggers are this code's."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone() is None:
        return False
    stamped = {row[0] for row in conn.execute("SELECT version_num FROM alembic_version")}
    heads = script_heads()
    return bool(heads) and stamped == heads and triggers_digest(conn.execute(GENERATED_TRIGGERS)) == TRIGGERS_DIGEST
