"""The sync commands of ``cunyi`` (DESIGN §9): ``init --code`` joins a hub, ``sync --once`` syncs once.

``cunyi init --data DIR --code CODE --admin USER --password-file F`` checks everything it can before it
asks the hub (the code's check digits, the password, an empty data folder), enrolls, then creates the
site with the hub's ``site_id``, kind and name and stores how to reach the hub, in one transaction, and
runs the first sync. A refused code writes nothing locally: no data folder is left half made.

``cunyi sync --data DIR --once`` pushes then pulls until nothing is left and prints
``{"pushed": n, "pulled": n, "rejected": n}``; when the hub cannot be reached it retries for at most
``CUNYI_SYNC_RETRY_SECONDS`` (30 s by default), then exits 1 with the reason. ``CUNYI_SYNC_PAGE_SIZE``
(1–1000, default 1000) makes the pages smaller for a poor connection.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.domain.errors import RuleViolation, ValidationError

EXIT_OK = 0


def retry_seconds() -> float:
    """How long a sync keeps trying an unreachable hub (``CUNYI_SYNC_RETRY_SECONDS``, default 30)."""
    from app.sync.status import default_retry_seconds

    return default_retry_seconds()


def _progress(event: dict[str, Any]) -> None:
    if event["phase"] == "push":
        print(f"已上传 {event['rows']} 条（{event['pages']} 页）", file=sys.stderr)
    else:
        left = f"，乡镇同步服务上约剩 {event['remaining']} 条" if event.get("remaining") else ""
        print(f"已取回 {event['rows']} 条（{event['pages']} 页）{left}", file=sys.stderr)


def _has_site(database: Path) -> bool:
    if not database.exists():
        return False
    from app.db.connection import connect

    try:
        with connect(database) as conn:
            return conn.execute("SELECT 1 FROM local_site WHERE id = 1").fetchone() is not None
    except sqlite3.DatabaseError:
        return True  # a file that is not a site database is not overwritten either


def _services(data: Path):
    from app.bootstrap import bootstrap
    from app.services.core.context import CLI_ACTOR

    return bootstrap(data, actor=CLI_ACTOR)


def _undo_folder(data: Path, existed: bool, before: set[str]) -> None:
    """Remove what a failed ``init --code`` made in the data folder (the folder too, if it made it)."""
    if not existed:
        shutil.rmtree(data, ignore_errors=True)
        return
    for entry in data.iterdir():
        if entry.name not in before:
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)


def init_enrolled(args: argparse.Namespace, emit: Callable[[object], None]) -> int:
    """``cunyi init --code``: join the hub and create this site as the hub enrolled it."""
    from app import joining
    from app.folder_lock import FolderLock
    from app.paths import DataDir
    from app.sync import codes

    if args.kind or args.name:
        raise ValidationError("用同步码加入时，机构类型和名称由乡镇同步服务给出，请去掉 --kind 与 --name", "同步码")
    if not (args.admin and args.admin.strip()):
        raise ValidationError("需要 --admin 管理员用户名", "用户名")
    if not args.password_file:
        raise ValidationError("需要 --password-file 管理员密码文件", "密码")
    codes.decode(args.code)  # the code first, before the password file: it is the usual mistake
    try:
        password = Path(args.password_file).read_text(encoding="utf-8").strip()
    except OSError:
        raise ValidationError(f"读不到密码文件 {args.password_file}", "密码") from None
    request = joining.check_join(args.code, args.admin, password)
    data = Path(args.data)
    if _has_site(DataDir(data).database):
        raise RuleViolation(f"数据文件夹 {data} 里已经有一个机构，不能再加入；请换一个空的数据文件夹", "数据文件夹")
    existed = data.exists()
    before = {entry.name for entry in data.iterdir()} if existed else set()

    enrolled = joining.enroll_site(request, retry_seconds())  # a refusal: nothing written here
    try:
        with FolderLock(data, "cunyi init", "建站"):
            sv = _services(data)
            try:
                info = joining.create_site(sv, enrolled, request)
            finally:
                sv.close()
    except BaseException:
        _undo_folder(data, existed, before)
        raise
    sv = _services(data)
    try:
        _synced, error = joining.first_sync(sv, _progress)
        if error:
            print(f"机构已建好并加入乡镇同步服务，但首次同步没有完成：{error}。请稍后运行 cunyi sync --once", file=sys.stderr)
    finally:
        sv.close()
    emit({"site_id": info.id})
    return EXIT_OK


def sync_once(args: argparse.Namespace, emit: Callable[[object], None]) -> int:
    """``cunyi sync --once``: push, then pull, until nothing is left."""
    from app.paths import DataDir

    data = Path(args.data)
    if not _has_site(DataDir(data).database):
        raise ValidationError(f"数据文件夹 {data} 里还没有机构：请先用 cunyi init --code 同步码 加入乡镇同步服务",
                              "数据文件夹")
    sv = _services(data)
    try:
        result = sv.sync.sync_now(_progress)
    finally:
        sv.close()
    emit({"pushed": result.pushed, "pulled": result.pulled, "rejected": result.rejected})
    return EXIT_OK


def join_standalone(args: argparse.Namespace, emit: Callable[[object], None]) -> int:
    """``cunyi join --data DIR --code CODE``: the standalone site in DIR, with its history, joins a hub.

    Prints ``{"site_id", "pushed", "pulled", "unmapped_drugs"}``; a refused code writes nothing here.
    """
    from app import joining
    from app.folder_lock import FolderLock
    from app.paths import DataDir
    from app.sync import codes

    codes.decode(args.code)  # a malformed code: nothing opened
    data = Path(args.data)
    if not _has_site(DataDir(data).database):
        raise ValidationError(f"数据文件夹 {data} 里还没有机构：新装的电脑请用 cunyi init --code 同步码 建站加入",
                              "数据文件夹")
    with FolderLock(data, "cunyi join", "加入乡镇同步服务"):
        sv = _services(data)
        try:
            joined = joining.join_existing(sv, args.code, _progress)
            if joined.sync_error:
                print(f"本站已加入乡镇同步服务，但首次同步没有完成：{joined.sync_error}。请稍后运行 cunyi sync --once",
                      file=sys.stderr)
            unmapped = sv.sync.unmapped_drugs()
        finally:
            sv.close()
    for drug in unmapped:
        print(f"待乡镇加入目录：{drug.generic_name} {drug.strength}（医保编码 {drug.national_code or '无'}）：{drug.reason}",
              file=sys.stderr)
    synced = joined.synced
    emit({"site_id": joined.site.id, "pushed": synced.pushed if synced else 0, "pulled": synced.pulled if synced else 0,
          "unmapped_drugs": len(unmapped)})
    return EXIT_OK
