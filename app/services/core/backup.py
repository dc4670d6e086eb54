"""Safe backups: ``VACUUM INTO`` a copy, ``integrity_check`` the copy, rotate 7 daily + 4 weekly.

The live file is never copied byte-wise. Backups go to the data folder's ``backups/`` and, when the
setting ``backup_folder`` names one (a USB stick), to that folder too.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from app.db.connection import file_check
from app.db.uow import Database
from app.domain.errors import RuleViolation
from app.paths import DataDir

PREFIX = "cunyi-"
SUFFIX = ".db"
KEEP_DAILY = 7
KEEP_WEEKLY = 4


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    extra_copy: Path | None
    removed: tuple[Path, ...]


def integrity_ok(path: Path) -> bool:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return file_check(con, "integrity_check")
    finally:
        con.close()


def vacuum_into(db: Database, target: Path) -> None:
    """Write a consistent, compacted copy of the live database to ``target`` and verify it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.unlink(missing_ok=True)
    # VACUUM cannot run inside a transaction, and the engines' "begin" hook opens one on first use:
    # run it on the raw sqlite3 connection (autocommit: the connect hook sets isolation_level=None)
    raw = db.reader.raw_connection()
    try:
        raw.driver_connection.execute("VACUUM INTO ?", (str(tmp),))
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed copy leaves nothing that looks like a backup
        raise
    finally:
        raw.close()
    if not integrity_ok(tmp):
        tmp.unlink(missing_ok=True)
        raise RuleViolation("备份副本完整性检查未通过，未保存；请检查磁盘后重试")
    tmp.replace(target)


def backup_name(at: datetime, tag: str = "") -> str:
    return f"{PREFIX}{at:%Y%m%d-%H%M%S}{('-' + tag) if tag else ''}{SUFFIX}"


def _stamp(path: Path) -> datetime | None:
    try:
        return datetime.strptime(path.name[len(PREFIX) : len(PREFIX) + 15], "%Y%m%d-%H%M%S")
    except ValueError:
        return None


def rotate(folder: Path, today: date | None = None) -> list[Path]:
    """Keep the newest backup of each of the last 7 days and of each of the last 4 ISO weeks."""
    backups = sorted(
        (p for p in folder.glob(f"{PREFIX}*{SUFFIX}") if _stamp(p)), key=lambda p: _stamp(p), reverse=True
    )
    keep: set[Path] = set()
    days: list[date] = []
    weeks: list[tuple[int, int]] = []
    for path in backups:
        stamp = _stamp(path)
        day = stamp.date()
        week = tuple(day.isocalendar())[:2]
        if day not in days and len(days) < KEEP_DAILY:
            days.append(day)
            keep.add(path)
        if week not in weeks and len(weeks) < KEEP_WEEKLY:
            weeks.append(week)
            keep.add(path)
    removed = [p for p in backups if p not in keep]
    for path in removed:
        path.unlink()
    return removed


#: a stored attachment file: the SHA-256 of its bytes
_BLOB_NAME = re.compile(r"[0-9a-f]{64}")


def mirror_attachments(source: Path, folder: Path) -> int:
    """Copy the case attachment files of ``source`` that ``folder`` lacks into it; returns how many.

    The files are named by the SHA-256 of their bytes and never change, so a file already there is the
    same file: a backup copies only what was added since the last one. A copy is written under a
    temporary name and renamed, so an interrupted backup leaves no half file under a real name.
    """
    if not source.is_dir():
        return 0
    copied = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file() or not _BLOB_NAME.fullmatch(path.name):  # a download or a copy under way
            continue
        target = folder / path.relative_to(source)
        if target.exists() and target.stat().st_size == path.stat().st_size:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        shutil.copy2(path, partial)
        os.replace(partial, target)
        copied += 1
    return copied


def make_backup(db: Database, data: DataDir, to: Path | None = None, extra_folder: str = "", tag: str = "") -> BackupResult:
    """Back up to ``to`` (a file) or into the rotated ``backups/`` folder (plus ``extra_folder``).

    A copy that leaves this data folder (``to``, ``extra_folder``: a USB drive) takes the case attachment
    files along, into ``attachments/`` beside it, so a dead PC's clinic can be restored whole.
    """
    if to is not None:
        vacuum_into(db, to)
        mirror_attachments(data.attachments, to.parent / "attachments")
        return BackupResult(to, to.stat().st_size, None, ())
    target = data.backups / backup_name(datetime.now(), tag)
    vacuum_into(db, target)
    removed = rotate(data.backups)
    extra = None
    if extra_folder:
        folder = Path(extra_folder)
        if folder.is_dir():
            extra = folder / target.name
            shutil.copy2(target, extra)  # a verified, closed copy: safe to copy byte-wise
            removed += rotate(folder)
            mirror_attachments(data.attachments, folder / "attachments")
    return BackupResult(target, target.stat().st_size, extra, tuple(removed))


def backup_before_migration(db: Database, data: DataDir) -> Path | None:
    """The automatic backup taken before a schema upgrade (only when the file holds tables)."""
    with db.reader.connect() as conn:
        tables = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type='table'").scalar()
    if not tables:
        return None
    target = data.backups / backup_name(datetime.now(), "before-upgrade")
    vacuum_into(db, target)
    return target


def restore(data: DataDir, source: Path, *, replace_site: bool = False):  # noqa: ANN201 - RestoreResult
    """Replace the data folder's database with ``source`` after checking it (``app.services.core.restore``)."""
    from app.services.core.restore import restore_database

    return restore_database(data, source, replace_site=replace_site)
