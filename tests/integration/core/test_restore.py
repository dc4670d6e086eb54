"""``cunyi restore`` a frightened person can trust, and a damaged file met by ``check`` and ``report``:

over a damaged file (moved aside as it is), from another site's or another computer's backup
(refused, then restored on purpose with ``--replace-site``), from a file that is not a 村医通
database, and while the app holds the folder (refused). Every case through the real command, with
its exit code, its message and the data afterwards; no zero-byte database file is ever left.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from demo_cli import holding_folder, last_json, run_cunyi

from app.services.core.reports import load_reports

DAMAGED_MESSAGE = "已损坏或不是村医通的数据库"


def _state(db: Path) -> tuple:
    """Which installation a database is and how many rows its busiest tables hold."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        site = con.execute("SELECT site_id, db_instance_id FROM local_site").fetchone()
        rows = tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("residents", "visits", "settlements", "stock_movements", "audit_log"))
        return site, rows
    finally:
        con.close()


def _damage(db: Path) -> bytes:
    """Overwrite 40 pages in the middle of ``db`` (a failing disk): start-up still opens it."""
    data = bytearray(db.read_bytes())
    for offset in range(len(data) // 3, len(data) // 3 + 120 * 4096, 3 * 4096):
        data[offset:offset + 4096] = b"\x5a" * 4096
    db.write_bytes(bytes(data))
    return bytes(data)


def _no_empty_database(folder: Path) -> None:
    empty = [p for p in folder.rglob("*") if p.is_file() and p.suffix == ".db" and p.stat().st_size == 0]
    assert not empty


def _backup(data: Path, to: Path) -> Path:
    made = run_cunyi("backup", "--data", str(data), "--to", str(to))
    assert made.returncode == 0, made.stderr
    return to


def _other_site(tmp_path: Path, name: str) -> Path:
    """A standalone site set up with ``cunyi init`` in its own folder."""
    folder = tmp_path / "other"
    password = tmp_path / "pw.txt"
    password.write_text("other-admin-1", encoding="utf-8")
    made = run_cunyi("init", "--data", str(folder), "--kind", "village", "--name", name, "--admin", "admin",
                     "--password-file", str(password))
    assert made.returncode == 0, made.stderr
    return folder


def test_check_and_every_report_stop_on_a_damaged_file_with_the_start_up_message(demo_copy: Path) -> None:
    db = demo_copy / "cunyi.db"
    _damage(db)
    for args in (["check"], *(["report", name] for name in load_reports())):
        result = run_cunyi(*args, "--data", str(demo_copy))
        assert result.returncode == 1, (args, result.stdout[-300:])
        assert DAMAGED_MESSAGE in result.stderr and str(db) in result.stderr and "cunyi restore" in result.stderr
        assert "Traceback" not in result.stderr, args


def test_restore_over_a_damaged_file_moves_it_aside_as_it_is(demo_copy: Path, tmp_path: Path) -> None:
    db = demo_copy / "cunyi.db"
    backup = _backup(demo_copy, tmp_path / "cunyi-20260614-180000.db")
    good = _state(backup)
    damaged = _damage(db)
    result = run_cunyi("restore", "--data", str(demo_copy), "--from", str(backup))
    assert result.returncode == 0, result.stderr
    info = last_json(result.stdout)
    kept = Path(info["kept"])
    assert info["damaged"] is True and info["restored"] == str(db)
    assert kept.parent == demo_copy / "backups" and kept.name.startswith("cunyi-损坏-") and kept.suffix == ".db"
    assert kept.read_bytes() == damaged  # moved aside exactly as it was, nothing written next to it
    assert not Path(f"{kept}-wal").exists() and not Path(f"{kept}-shm").exists()
    assert "已损坏" in result.stderr and str(kept) in result.stderr
    assert _state(db) == good
    check = run_cunyi("check", "--data", str(demo_copy))
    assert check.returncode == 0, check.stderr
    _no_empty_database(demo_copy)
    assert not (demo_copy / "cunyi.restore").exists()


def test_another_sites_backup_is_refused_naming_both_then_restored_on_purpose(demo_copy: Path,
                                                                             tmp_path: Path) -> None:
    db = demo_copy / "cunyi.db"
    here = _state(db)
    other = _other_site(tmp_path, "西河新村卫生室")
    backup = _backup(other, tmp_path / "xihe.db")
    theirs = _state(backup)
    before = db.read_bytes()

    refused = run_cunyi("restore", "--data", str(demo_copy), "--from", str(backup))
    assert refused.returncode == 1
    assert "西河新村卫生室" in refused.stderr and "东坡村卫生室" in refused.stderr and "未恢复" in refused.stderr
    assert theirs[0][0] in refused.stderr and here[0][0] in refused.stderr
    assert "--replace-site" in refused.stderr and "Traceback" not in refused.stderr
    assert db.read_bytes() == before and not list((demo_copy / "backups").glob("*before-restore*"))

    replaced = run_cunyi("restore", "--data", str(demo_copy), "--from", str(backup), "--replace-site")
    assert replaced.returncode == 0, replaced.stderr
    info = last_json(replaced.stdout)
    assert info["site_id"] == theirs[0][0] and info["replaced_site_id"] == here[0][0]
    assert "--replace-site" in replaced.stderr and "西河新村卫生室" in replaced.stderr and "东坡村卫生室" in replaced.stderr
    assert _state(db) == theirs
    assert _state(Path(info["kept"])) == here  # this computer's own data is kept, restorable
    _no_empty_database(demo_copy)


def test_a_backup_of_the_same_site_from_another_computer_is_refused(demo_copy: Path, tmp_path: Path) -> None:
    db = demo_copy / "cunyi.db"
    backup = _backup(demo_copy, tmp_path / "same-site.db")
    con = sqlite3.connect(backup)
    con.execute("UPDATE local_site SET db_instance_id = '0190aaaa-0000-7000-8000-000000000001'")
    con.commit()
    con.close()
    before = db.read_bytes()
    refused = run_cunyi("restore", "--data", str(demo_copy), "--from", str(backup))
    assert refused.returncode == 1
    assert "另一台电脑" in refused.stderr and "东坡村卫生室" in refused.stderr and "--replace-site" in refused.stderr
    assert db.read_bytes() == before
    accepted = run_cunyi("restore", "--data", str(demo_copy), "--from", str(backup), "--replace-site")
    assert accepted.returncode == 0, accepted.stderr
    assert _state(db)[0][1] == "0190aaaa-0000-7000-8000-000000000001"


@pytest.mark.parametrize("kind", ["another-program", "empty-file", "schema-without-site"])
def test_a_file_that_is_not_a_cunyi_database_is_refused(demo_copy: Path, tmp_path: Path, kind: str) -> None:
    db = demo_copy / "cunyi.db"
    source = tmp_path / f"{kind}.db"
    if kind == "another-program":
        con = sqlite3.connect(source)
        con.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        con.execute("INSERT INTO contacts VALUES ('张三', '13800000000')")
        con.commit()
        con.close()
    elif kind == "empty-file":
        source.write_bytes(b"")
    else:  # a 村医通 database in which no site was ever set up
        made = run_cunyi("check", "--data", str(tmp_path / "fresh"))
        assert made.returncode == 0, made.stderr
        shutil.copy2(tmp_path / "fresh" / "cunyi.db", source)
    before = db.read_bytes()
    result = run_cunyi("restore", "--data", str(demo_copy), "--from", str(source))
    assert result.returncode == 1
    assert "不是村医通的数据库" in result.stderr and source.name in result.stderr and "未恢复" in result.stderr
    assert "Traceback" not in result.stderr
    assert db.read_bytes() == before
    assert not list((demo_copy / "backups").glob("*before-restore*"))


def test_restore_demo_and_init_are_refused_while_the_app_holds_the_folder(demo_copy: Path, tmp_path: Path) -> None:
    """A real second process holds the folder as ``cunyi gui`` does; reading commands still run."""
    db = demo_copy / "cunyi.db"
    backup = _backup(demo_copy, tmp_path / "backup.db")
    before = db.read_bytes()
    with holding_folder(demo_copy) as holder:
        refused = run_cunyi("restore", "--data", str(demo_copy), "--from", str(backup))
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert "正在被另一个村医通程序使用" in refused.stderr and "不能恢复备份" in refused.stderr
        assert f"进程号 {holder.pid}" in refused.stderr and "村医通桌面程序" in refused.stderr
        password = tmp_path / "pw.txt"
        password.write_text("admin-pass-1", encoding="utf-8")
        for args in (["demo"], ["init", "--kind", "village", "--name", "新村", "--admin", "a", "--password-file",
                                str(password)]):
            result = run_cunyi(*args, "--data", str(demo_copy))
            assert result.returncode == 1 and f"进程号 {holder.pid}" in result.stderr, (args, result.stderr)
        assert db.read_bytes() == before
        for args in (["check"], ["report", "stock"], ["backup"]):  # reads stay allowed
            result = run_cunyi(*args, "--data", str(demo_copy))
            assert result.returncode == 0, (args, result.stderr)
    # the holder was killed, as in a crash: the folder is free again, its left-over text taken over
    restored = run_cunyi("restore", "--data", str(demo_copy), "--from", str(backup))
    assert restored.returncode == 0, restored.stderr
    _no_empty_database(demo_copy)
