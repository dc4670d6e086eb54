"""``cunyi restore``: put a backup in place of the data folder's database, safely.

- The backup must be a sound SQLite file (``integrity_check``) holding a 村医通 installation (its
  ``local_site`` row names the site and the installation, ``db_instance_id``).
- A backup of another installation (another site, or the same site's database on another computer)
  is refused, naming both; ``replace_site`` restores it on purpose (this computer replaces that one).
- What is replaced is kept in ``backups/``: a sound database as a verified copy
  (``cunyi-…-before-restore.db``), a damaged one moved aside as it is, with its ``-wal``/``-shm``
  (``cunyi-损坏-YYYYMMDD-HHMMSS.db``), never read through ``VACUUM``. A zero-byte file is no data and
  is removed.
- The new file is written next to the database first (``cunyi.restore``), checked, then renamed over
  it: an interrupted restore leaves the old database in place and no half-written file behind.

The app must be closed: ``cunyi restore`` holds the data folder's lock while it works.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from app.db.health import check_file, open_read_only
from app.domain import clock
from app.domain.errors import RuleViolation, ValidationError
from app.paths import DataDir
from app.services.core.backup import backup_name

FIELD = "备份文件"
DAMAGED_PREFIX = "cunyi-损坏-"
SIDE_FILES = ("-wal", "-shm")


@dataclass(frozen=True)
class Installation:
    """Which site a database belongs to, and which installation of it (``db_instance_id``)."""

    site_id: str
    db_instance_id: str
    site_name: str

    def label(self) -> str:
        return f"“{self.site_name}”（机构编号 {self.site_id}）"


@dataclass(frozen=True)
class RestoreResult:
    database: Path
    installation: Installation  # what the data folder holds now
    kept: Path | None  # where the replaced database now is (None: there was none)
    damaged: bool  # the replaced database was damaged and moved aside as it was
    replaced: Installation | None  # the other installation replaced on purpose (``replace_site``)
    previous: Installation | None  # what the data folder held before (None: nothing readable)

    def notes(self) -> list[str]:
        """What was done, in Chinese, for the person who ran it."""
        lines = [f"已从备份恢复 {self.installation.label()} 的数据到 {self.database}。"]
        if self.kept and self.damaged:
            lines.append(f"原来的数据文件已损坏，已原样移到 {self.kept}（未做任何修改）。")
        elif self.kept:
            lines.append(f"原来的数据已另存为 {self.kept}，需要时可以再用它恢复。")
        if self.replaced is not None:
            lines.append(
                f"按 --replace-site：本机原来是 {self.replaced.label()}，现在接替 {self.installation.label()}"
                "（换电脑时这样做）。请不要再在原来那台电脑上继续用这份数据开单。"
            )
        return lines


def _tables(con: sqlite3.Connection) -> set[str]:
    return {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def read_installation(path: Path) -> Installation | None:
    """The installation a database file holds; None when it holds none or cannot be read."""
    try:
        con = open_read_only(path)
    except sqlite3.DatabaseError:
        return None
    try:
        if not {"local_site", "sites", "alembic_version"} <= _tables(con):
            return None
        row = con.execute("SELECT site_id, db_instance_id FROM local_site WHERE id = 1").fetchone()
        if row is None:
            return None
        name = con.execute("SELECT name FROM sites WHERE id = ?", (row[0],)).fetchone()
        return Installation(row[0], row[1], name[0] if name else "未知机构")
    except sqlite3.DatabaseError:
        return None
    finally:
        con.close()


def _check_source(source: Path, data: DataDir) -> Installation:
    if not source.is_file():
        raise ValidationError(f"备份文件 {source} 不存在", FIELD)
    if data.database.exists() and source.resolve() == data.database.resolve():
        raise ValidationError(f"{source} 就是数据文件本身，不能用它恢复；请选择 backups 文件夹里的备份", FIELD)
    if not check_file(source, "integrity_check"):
        raise ValidationError(f"{source.name} 不是完好的村医通备份文件，未恢复", FIELD)
    found = read_installation(source)
    if found is None:
        raise ValidationError(
            f"{source.name} 不是村医通的数据库（里面没有村医通建站的数据），未恢复；"
            "请选择村医通做的备份（数据文件夹 backups 里的 cunyi-….db）", FIELD)
    return found


def _refuse_another(backup: Installation, here: Installation) -> None:
    if backup.site_id != here.site_id:
        raise RuleViolation(
            f"这份备份属于 {backup.label()}，本机是 {here.label()}，两者不是同一个机构，未恢复。"
            "如果确实要用它替换本机的数据（例如换电脑），请加 --replace-site 重新运行", FIELD)
    raise RuleViolation(
        f"这份备份来自 {backup.label()} 的另一台电脑（安装编号 {backup.db_instance_id}），"
        f"本机是 {here.label()} 的安装 {here.db_instance_id}，未恢复。"
        "如果确实要用它替换本机的数据（例如换电脑），请加 --replace-site 重新运行", FIELD)


def _copy(source: Path, target: Path) -> None:
    """A consistent, self-contained copy of a sound database (its WAL included), verified."""
    target.unlink(missing_ok=True)
    try:
        con = open_read_only(source)
        try:
            con.execute("VACUUM INTO ?", (str(target),))
        finally:
            con.close()
        if not check_file(target):
            raise RuleViolation(f"写入 {target} 后检查未通过，未恢复；请检查磁盘空间后重试", FIELD)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _free_name(folder: Path, stem: str) -> Path:
    path, n = folder / f"{stem}.db", 1
    while any(Path(str(path) + side).exists() for side in ("", *SIDE_FILES)):
        n += 1
        path = folder / f"{stem}-{n}.db"
    return path


def _has_data(database: Path) -> bool:
    return any(Path(str(database) + side).is_file() and Path(str(database) + side).stat().st_size > 0
               for side in ("", "-wal"))


def restore_database(data: DataDir, source: Path, *, replace_site: bool = False) -> RestoreResult:
    """Replace ``data``'s database with the backup ``source``; see the module docstring."""
    data.ensure()
    backup = _check_source(Path(source), data)
    database = data.database
    previous = read_installation(database) if database.exists() else None
    another = previous is not None and (previous.site_id, previous.db_instance_id) != (
        backup.site_id, backup.db_instance_id)
    if another and not replace_site:
        _refuse_another(backup, previous)
    incoming = database.with_suffix(".restore")
    _copy(Path(source), incoming)
    try:
        kept, damaged = None, False
        if _has_data(database):
            stamp = clock.now()
            if check_file(database, "integrity_check"):
                kept = data.backups / backup_name(stamp, "before-restore")
                _copy(database, kept)
            else:  # damaged: moved aside as it is, with its journal files, never read through
                damaged = True
                kept = _free_name(data.backups, f"{DAMAGED_PREFIX}{stamp:%Y%m%d-%H%M%S}")
                for side in ("", *SIDE_FILES):
                    if Path(str(database) + side).exists():
                        os.replace(str(database) + side, str(kept) + side)
        for side in SIDE_FILES:
            Path(str(database) + side).unlink(missing_ok=True)
        os.replace(incoming, database)
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    # the case attachment files a backup took along (``attachments/`` beside it) that this folder lacks
    from app.services.core.backup import mirror_attachments

    mirror_attachments(Path(source).parent / "attachments", data.attachments)
    return RestoreResult(database, backup, kept, damaged, previous if another else None, previous)
