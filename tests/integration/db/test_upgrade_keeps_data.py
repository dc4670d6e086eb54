"""An upgrade never loses data: a data folder made at the previous migration head, holding the small
demo's rows, is opened by this build's ``cunyi`` (its start-up: backup, then migrate). A backup of the
old file is made first, and every row is there afterwards, in the upgraded file and in the backup.

``CUNYI_FROZEN_PROGRAM`` (the bundle's ``cunyi``, e.g. ``dist/cunyi/cunyi``) runs the same test with
the frozen build too; ``.ci/run`` sets it after building the bundle.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from demo_cli import last_json, run_cunyi
from test_migrations import REVISIONS, _fill_from_demo, _tables

from app.db import migrate
from app.db.engine import make_engine

HEAD = migrate.head_revision()
PREVIOUS = next(previous for revision, previous in REVISIONS if revision == HEAD)

PROGRAMS = ["source"] + (["frozen"] if os.environ.get("CUNYI_FROZEN_PROGRAM") else [])


def _counts(path: Path) -> tuple[str, dict[str, int]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        stamped = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        return stamped, {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in _tables(con)}
    finally:
        con.close()


def _check(program: str, data: Path) -> subprocess.CompletedProcess:
    if program == "source":
        return run_cunyi("check", "--data", str(data))
    frozen = Path(os.environ["CUNYI_FROZEN_PROGRAM"]).resolve()
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(frozen), "check", "--data", str(data)], cwd=data.parent, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("program", PROGRAMS)
def test_a_previous_head_folder_is_backed_up_then_upgraded_with_every_row(program: str, demo_build,
                                                                          tmp_path: Path) -> None:
    assert PREVIOUS is not None, "only one revision: nothing to upgrade from"
    data = tmp_path / "data"
    data.mkdir()
    engine = make_engine(data / "cunyi.db")
    try:
        migrate.upgrade(engine, PREVIOUS)
    finally:
        engine.dispose()
    before = _fill_from_demo(data / "cunyi.db", demo_build.database)
    assert before["settlements"] > 0 and before["residents"] > 0 and before["stock_movements"] > 0
    stamped, counted = _counts(data / "cunyi.db")
    assert stamped == PREVIOUS
    shutil.rmtree(data / "backups", ignore_errors=True)

    result = _check(program, data)

    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout)["ok"] is True
    backups = sorted((data / "backups").glob("cunyi-*-before-upgrade.db"))
    assert len(backups) == 1, list((data / "backups").iterdir())
    assert _counts(backups[0]) == (PREVIOUS, counted), "the backup is the old file, every row of it"
    stamped_after, after = _counts(data / "cunyi.db")
    assert stamped_after == HEAD
    for table, count in counted.items():
        assert after[table] == count, table
    assert set(after) >= set(counted)

    # opened again, nothing is due: no second backup
    again = _check(program, data)
    assert again.returncode == 0, again.stderr
    assert sorted((data / "backups").glob("cunyi-*-before-upgrade.db")) == backups
