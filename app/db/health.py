"""Is a data file damaged? One plain message for every door that opens it.

Start-up, ``cunyi check`` and ``cunyi report`` all stop on a damaged data file with the same Chinese
message: the file, what is wrong, the way back (``cunyi restore``). SQLite says a file is damaged
with ``SQLITE_CORRUPT`` ("database disk image is malformed") or ``SQLITE_NOTADB``, raised by the
standard driver or wrapped by SQLAlchemy; ``is_damage`` recognises both.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from app.domain.errors import RuleViolation

from .connection import file_check

#: SQLite's primary result codes for a damaged file
SQLITE_CORRUPT, SQLITE_NOTADB = 11, 26

#: ``cunyi report`` runs SQLite's quick check on files up to this size (about two seconds); a larger
#: file (a township hub's decade) is left to ``cunyi check``, and damage the report reads still stops it
REPORT_QUICK_CHECK_MAX_BYTES = 1 << 30


def damaged_file_error(database: Path) -> RuleViolation:
    """The message for a data file that is damaged or not a 村医通 database."""
    return RuleViolation(
        f"数据文件 {database} 打不开：它已损坏或不是村医通的数据库。"
        "请用“cunyi restore”从备份恢复，或用 --data 指定另一个数据文件夹",
        "数据文件",
    )


def is_damage(error: BaseException) -> bool:
    """True when ``error`` (or the driver error SQLAlchemy wraps in it) says the file is damaged."""
    while error is not None:
        orig = getattr(error, "orig", None)
        if isinstance(orig, BaseException) and orig is not error:
            error = orig
            continue
        if isinstance(error, sqlite3.DatabaseError):
            code = getattr(error, "sqlite_errorcode", None)
            if code is not None:
                return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
            text = str(error).lower()
            return "malformed" in text or "not a database" in text
        error = error.__cause__
    return False


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to ``path`` that writes nothing, not even next to it.

    A file no program has open (no ``-shm``) is opened immutable: SQLite then creates no ``-wal`` or
    ``-shm`` beside it, so a damaged file can be looked at and still be moved aside exactly as it was.
    """
    path = Path(path)
    in_use = Path(f"{path}-shm").exists() or Path(f"{path}-wal").exists()
    return sqlite3.connect(f"file:{quote(path.as_posix(), safe='/:')}?mode=ro{'' if in_use else '&immutable=1'}",
                           uri=True)


def check_file(path: Path, pragma: str = "quick_check") -> bool:
    """Run SQLite's ``quick_check`` (or ``integrity_check``) on ``path``, read-only; False when damaged."""
    try:
        con = open_read_only(path)
    except sqlite3.DatabaseError:
        return False
    try:
        return file_check(con, pragma)
    except sqlite3.DatabaseError:
        return False
    finally:
        con.close()


def ensure_intact(database: Path, max_bytes: int | None = REPORT_QUICK_CHECK_MAX_BYTES) -> None:
    """Raise the damaged-file message unless ``database`` passes the quick check.

    Files larger than ``max_bytes`` are not read through (None: always check).
    """
    if not database.is_file() or database.stat().st_size == 0:
        return
    if max_bytes is not None and database.stat().st_size > max_bytes:
        return
    if not check_file(database):
        raise damaged_file_error(database)
