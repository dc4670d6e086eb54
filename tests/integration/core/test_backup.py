"""Backups: CLI round trip, rotation (7 daily + 4 weekly), refusing a corrupt file, and the automatic
backup before a pending migration."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from demo_cli import last_json, run_cunyi

from app.bootstrap import bootstrap
from app.db import migrate, schema_head
from app.domain.errors import RuleViolation, ValidationError
from app.paths import DataDir
from app.services.core.backup import backup_name, integrity_ok, restore, rotate


def _counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("residents", "visits", "settlements", "stock_movements", "outbox", "audit_log")}
    finally:
        con.close()


def test_backup_restore_round_trip_through_the_cli(demo_copy: Path, tmp_path: Path) -> None:
    db = demo_copy / "cunyi.db"
    original = _counts(db)
    made = run_cunyi("backup", "--data", str(demo_copy))
    assert made.returncode == 0, made.stderr
    info = last_json(made.stdout)
    backup = Path(info["backup"])
    assert backup.parent == demo_copy / "backups" and backup.stat().st_size == info["size_bytes"] > 0
    assert backup.name.startswith("cunyi-") and integrity_ok(backup)

    con = sqlite3.connect(db)  # a change made after the backup
    con.execute("DELETE FROM outbox")
    con.commit()
    con.close()
    assert _counts(db)["outbox"] == 0

    restored = run_cunyi("restore", "--data", str(demo_copy), "--from", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert last_json(restored.stdout)["restored"] == str(db)
    assert _counts(db) == original
    assert integrity_ok(db)
    # what was replaced is kept, so a restore can be undone
    assert list((demo_copy / "backups").glob("cunyi-*-before-restore.db"))
    check = run_cunyi("check", "--data", str(demo_copy))
    assert check.returncode == 0, check.stderr


def test_restore_refuses_a_corrupt_file_and_changes_nothing(demo_copy: Path, tmp_path: Path) -> None:
    db = demo_copy / "cunyi.db"
    before = _counts(db)
    garbage = tmp_path / "cunyi-20260101-120000.db"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\x13" * 8192)
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(db.read_bytes()[: 64 * 1024])
    for bad in (garbage, truncated):
        result = run_cunyi("restore", "--data", str(demo_copy), "--from", str(bad))
        assert result.returncode == 1
        assert "备份文件" in result.stderr and "未恢复" in result.stderr
    with pytest.raises(ValidationError) as err:
        restore(DataDir(demo_copy), tmp_path / "missing.db")
    assert err.value.field == "备份文件"
    assert _counts(db) == before and integrity_ok(db)


def test_rotation_keeps_seven_daily_and_four_weekly(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    start = datetime(2026, 3, 31, 22, 0)
    made = []
    for day in range(60):  # two backups a day for 60 days
        for hour in (9, 18):
            stamp = (start - timedelta(days=day)).replace(hour=hour)
            path = folder / backup_name(stamp)
            path.write_bytes(b"x")
            made.append((stamp, path))
    (folder / "notes.txt").write_text("不是备份", encoding="utf-8")
    removed = rotate(folder)
    kept = sorted(p.name for p in folder.glob("cunyi-*.db"))
    newest_per_day: dict = {}
    for stamp, path in sorted(made, reverse=True):
        newest_per_day.setdefault(stamp.date(), path.name)
    days = sorted(newest_per_day, reverse=True)
    expected = {newest_per_day[d] for d in days[:7]}
    weeks: dict = {}
    for d in days:
        weeks.setdefault(d.isocalendar()[:2], newest_per_day[d])
    expected |= set(list(weeks.values())[:4])
    assert kept == sorted(expected)
    assert 7 <= len(kept) <= 11
    assert len(removed) == len(made) - len(kept)
    assert (folder / "notes.txt").exists()


def test_automatic_backup_before_a_pending_migration(demo_copy: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A new revision on top of the current head makes bootstrap back up the database first."""
    scripts = tmp_path / "migrations"
    shutil.copytree(schema_head.MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    head = migrate.head_revision()
    (scripts / "versions" / "9999_test_pending.py").write_text(
        f'"""test: a pending migration"""\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f'revision = "9999"\ndown_revision = "{head}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        "def upgrade() -> None:\n    op.create_table('test_pending_marker', sa.Column('id', sa.Integer, primary_key=True))\n\n\n"
        "def downgrade() -> None:\n    op.drop_table('test_pending_marker')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(schema_head, "MIGRATIONS", scripts)  # the head check and alembic both read it
    before = _counts(demo_copy / "cunyi.db")
    assert not list((demo_copy / "backups").glob("*before-upgrade*"))
    sv = bootstrap(demo_copy)
    try:
        assert migrate.current_revision(sv.db.writer) == "9999"
    finally:
        sv.close()
    backups = list((demo_copy / "backups").glob("cunyi-*-before-upgrade.db"))
    assert len(backups) == 1 and integrity_ok(backups[0])
    con = sqlite3.connect(backups[0])
    try:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head
        assert not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'test_pending_marker'").fetchall()
    finally:
        con.close()
    assert _counts(backups[0]) == before
    sv = bootstrap(demo_copy)  # up to date now: no second backup
    sv.close()
    assert len(list((demo_copy / "backups").glob("*before-upgrade*"))) == 1


def test_a_damaged_data_file_is_refused_with_what_to_do_and_left_as_it_is(tmp_path: Path) -> None:
    """A data file that is not a database (a disk error, a wrong file copied in) stops start-up with a
    Chinese message naming the file and the way back (``cunyi restore``); nothing is written to it."""
    folder = tmp_path / "data"
    folder.mkdir()
    damaged = folder / "cunyi.db"
    damaged.write_bytes(b"\x00\x13 not a database " * 300)
    before = damaged.read_bytes()
    with pytest.raises(RuleViolation) as err:
        bootstrap(folder)
    assert err.value.field == "数据文件" and str(damaged) in str(err.value) and "cunyi restore" in str(err.value)
    result = run_cunyi("check", "--data", str(folder))
    assert result.returncode == 1 and "已损坏或不是村医通的数据库" in result.stderr and "Traceback" not in result.stderr
    assert damaged.read_bytes() == before


def test_a_backup_on_a_usb_drive_takes_the_case_attachments_and_a_new_pc_gets_them_back(
        demo_copy: Path, tmp_path: Path) -> None:
    """``backup --to`` copies the attachment files into ``attachments/`` beside the copy; restoring that
    copy into an empty folder (a new PC) brings them back."""
    from PIL import Image

    photo = tmp_path / "发票.png"
    Image.new("RGB", (60, 40), (200, 30, 30)).save(photo)
    sv = bootstrap(demo_copy, backup_before_migrate=False)
    try:
        sv.identity.sign_in("doctor", "demo1234")
        case = sv.cases.list()[0]
        added = sv.cases.add_attachment(case.id, photo)
    finally:
        sv.close()
    stored = sorted(p for p in (demo_copy / "attachments").rglob("*") if p.is_file())
    assert stored and any(p.name == added.sha256 for p in stored)

    usb = tmp_path / "usb"
    usb.mkdir()
    made = run_cunyi("backup", "--data", str(demo_copy), "--to", str(usb / "cunyi-backup.db"))
    assert made.returncode == 0, made.stderr
    copied = sorted((usb / "attachments").rglob("*"))
    assert [p.read_bytes() for p in copied if p.is_file()] == [p.read_bytes() for p in stored]

    fresh = tmp_path / "new-pc"
    restored = run_cunyi("restore", "--data", str(fresh), "--from", str(usb / "cunyi-backup.db"))
    assert restored.returncode == 0, restored.stderr
    sv = bootstrap(fresh, backup_before_migrate=False)
    try:
        sv.identity.sign_in("doctor", "demo1234")
        path = Path(sv.cases.open_attachment(added.attachment_id))
        assert path.is_file() and path.read_bytes() == (demo_copy / "attachments" / path.relative_to(
            fresh / "attachments")).read_bytes()
    finally:
        sv.close()
