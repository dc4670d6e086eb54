"""The headless door (DESIGN §9): ``cunyi COMMAND --data DIR …``.

Exit 0 on success, 1 on a rule violation or invalid input (a Chinese message naming the field on
stderr), 2 on bad usage. Data goes to stdout as JSON; commands that create something print one JSON
object as their last stdout line. ``gui`` and ``--smoke-test`` are handled by ``ui.launcher``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.domain.errors import CunyiError

EXIT_OK, EXIT_RULE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line usage: exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors; keep that, in Chinese
        self.print_usage(sys.stderr)
        print(f"用法错误：{message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def emit(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False, default=str))


def _services(args: argparse.Namespace):  # noqa: ANN202
    from app.bootstrap import bootstrap
    from app.services.core.context import CLI_ACTOR

    return bootstrap(args.data, actor=CLI_ACTOR)


def _folder_lock(args: argparse.Namespace, program: str, action: str):  # noqa: ANN202 - FolderLock
    """The data folder's lock, for a command that changes the folder (the app must not have it open)."""
    from app.folder_lock import FolderLock

    return FolderLock(Path(args.data), program, action)


# -- commands --------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    if args.code:
        from app.cli_sync import init_enrolled

        return init_enrolled(args, emit)
    if not (args.kind and args.name and args.admin and args.password_file):
        raise UsageError("需要 --kind、--name、--admin 与 --password-file")
    password = Path(args.password_file).read_text(encoding="utf-8").strip()
    with _folder_lock(args, "cunyi init", "建站"):
        sv = _services(args)
        try:
            info = sv.sites.create_standalone(args.kind, args.name, args.admin, password)
        finally:
            sv.close()
    emit({"site_id": info.id})
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from app.services.core.check import run_checks

    sv = _services(args)
    try:
        with sv.db.read() as session:
            checked, violation = run_checks(session)
    finally:
        sv.close()
    if violation:
        print(violation, file=sys.stderr)
        emit({"ok": False, "violation": violation, "checked": checked})
        return EXIT_RULE
    emit({"ok": True, "checked": checked})
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from app.services.core.backup import make_backup

    sv = _services(args)
    try:
        result = make_backup(sv.db, sv.data, Path(args.to) if args.to else None, sv.settings.get("backup_folder"))
    finally:
        sv.close()
    emit({"backup": str(result.path), "size_bytes": result.size_bytes, "removed": [str(p) for p in result.removed]})
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from app.paths import DataDir
    from app.services.core.backup import restore

    data = DataDir(Path(args.data)).ensure()
    with _folder_lock(args, "cunyi restore", "恢复备份"):
        result = restore(data, Path(args.source), replace_site=args.replace_site)
        sv = _services(args)  # migrates a backup made by an older release
        sv.close()
    for line in result.notes():
        print(line, file=sys.stderr)
    site = result.installation
    emit({"restored": str(data.database), "kept": str(result.kept) if result.kept else None,
          "damaged": result.damaged, "site_id": site.site_id, "site_name": site.site_name,
          "replaced_site_id": result.replaced.site_id if result.replaced else None})
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from app.services.demo.builder import build_demo

    with _folder_lock(args, "cunyi demo", "生成演示数据"):
        summary = build_demo(Path(args.data), scale=args.scale, progress=lambda msg: print(msg, file=sys.stderr),
                             site=args.site)
    emit(summary)
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    from app.cli_sync import sync_once

    if not args.once:
        raise UsageError("请加 --once：同步一次（先上传、再取回，直到没有剩余）；定时同步在程序的 同步 页里")
    return sync_once(args, emit)


def cmd_join(args: argparse.Namespace) -> int:
    from app.cli_sync import join_standalone

    return join_standalone(args, emit)


def cmd_calc(args: argparse.Namespace) -> int:
    from app.domain.calc import run_calc

    return run_calc(Path(args.policy), sys.stdin, sys.stdout, sys.stderr, jsonl=args.jsonl)


def cmd_report(args: argparse.Namespace) -> int:
    from app.db.health import ensure_intact
    from app.services.core.reports import run_report

    sv = _services(args)
    try:
        ensure_intact(sv.data.database)  # a damaged file stops here, not with figures read around the damage
        return run_report(sv, args.name, site=args.site, month=args.month, day=args.day, as_json=args.json, xlsx=args.xlsx, pdf=args.pdf)
    finally:
        sv.close()


def cmd_case_open(args: argparse.Namespace) -> int:
    """``cunyi case open``: a filing case at this village as the CLI actor (DESIGN §6, §9)."""
    from datetime import date

    from app.domain.errors import NotFoundError, ValidationError
    from app.services.cases.types import CaseForm

    on = None
    if args.on:
        try:
            on = date.fromisoformat(args.on.strip())
        except ValueError:
            raise ValidationError(f"受理日期“{args.on}”格式不对，应为 YYYY-MM-DD", "受理日期") from None
    with _folder_lock(args, "cunyi case open", "受理帮办代办事项"):
        sv = _services(args)
        try:
            resident = sv.residents.by_id_number(args.resident)
            if resident is None:
                raise NotFoundError(f"身份证号 {args.resident} 的居民不存在，请先在居民档案中登记", "居民")
            opened = sv.cases.open(CaseForm(
                resident_id=resident.id, case_type=args.type, agent_name=args.agent_name or "",
                agent_id_number=args.agent_id or "", agent_relation=args.agent_relation or "",
                collected=tuple(args.collected or ()), note=args.note or "", accepted_on=on))
        finally:
            sv.close()
    if opened.warning:
        print(opened.warning, file=sys.stderr)
    emit({"case_id": opened.case_id, "case_no": opened.case_no, "due_on": opened.due_on.isoformat()})
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    from app.domain import clock
    from app.paths import DataDir
    from app.services.demo import simulate as sim

    days, start = sim.check_days(args.days), sim.parse_from(args.start, clock.today())  # bad input: nothing opened
    sim.check_folder(DataDir(Path(args.data)).database)
    with _folder_lock(args, "cunyi simulate", "模拟日常业务"):
        sv = _services(args)
        try:
            result = sim.simulate(sv, days, args.seed, start, note=lambda msg: print(msg, file=sys.stderr))
        finally:
            sv.close()
    emit(result.as_json())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cunyi", description="村医通：村卫生室与乡镇卫生院桌面软件（命令行）")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    def data_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", required=True, help="数据文件夹")

    p = sub.add_parser("init", help="新建单机机构")
    data_arg(p)
    p.add_argument("--kind", choices=["village", "township"])
    p.add_argument("--name")
    p.add_argument("--code")
    p.add_argument("--admin")
    p.add_argument("--password-file")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="生成演示乡镇数据")
    data_arg(p)
    p.add_argument("--scale", choices=["small", "township-10y"], default="small")
    p.add_argument("--site", choices=["village", "township"],
                   help="本机作为哪个机构：village 第一个村卫生室（small 默认）或 township 乡镇卫生院")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("check", help="数据完整性检查")
    data_arg(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("backup", help="安全备份")
    data_arg(p)
    p.add_argument("--to", help="备份到指定文件（默认：数据文件夹 backups/，按日轮换）")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="从备份恢复（先关闭程序）")
    data_arg(p)
    p.add_argument("--from", dest="source", required=True)
    p.add_argument("--replace-site", action="store_true",
                   help="恢复另一个机构或另一台电脑的备份（换电脑时用）：本机从此接替备份里的机构，原数据另存到 backups/")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("sync", help="与乡镇同步服务同步一次")
    data_arg(p)
    p.add_argument("--once", action="store_true", help="先上传、再取回，直到没有剩余，然后退出")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("join", help="已有数据的单机机构加入乡镇同步服务（保留全部数据）")
    data_arg(p)
    p.add_argument("--code", required=True, help="乡镇管理员用 cunyi-hub add-site 生成的同步码")
    p.set_defaults(func=cmd_join)

    p = sub.add_parser("calc", help="门诊统筹结算试算（从标准输入读 JSON）")
    p.add_argument("--policy", required=True)
    p.add_argument("--jsonl", action="store_true", help="每行一个病例的批量测算")
    p.set_defaults(func=cmd_calc)

    p = sub.add_parser("report", help="报表")
    p.add_argument("name")
    data_arg(p)
    p.add_argument("--site")
    p.add_argument("--month", help="YYYY-MM")
    p.add_argument("--day", help="YYYY-MM-DD")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--xlsx")
    fmt.add_argument("--pdf")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("case", help="帮办代办事项")
    case_sub = p.add_subparsers(dest="case_command", parser_class=_Parser, required=True)
    p = case_sub.add_parser("open", help="受理一件帮办代办事项（村卫生室）")
    data_arg(p)
    p.add_argument("--resident", required=True, help="居民身份证号")
    p.add_argument("--type", required=True, help="事项类型，如 manual_reimbursement（零星报销）")
    p.add_argument("--on", help="受理日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--agent-name", help="代办人姓名")
    p.add_argument("--agent-id", help="代办人身份证号")
    p.add_argument("--agent-relation", help="代办人与居民的关系")
    p.add_argument("--collected", action="append", help="已收材料（可多次给出）")
    p.add_argument("--note", help="备注")
    p.set_defaults(func=cmd_case_open)

    p = sub.add_parser("simulate", help="模拟本机构的日常业务（经由业务服务写入）")
    data_arg(p)
    p.add_argument("--days", type=int, required=True, help="模拟天数")
    p.add_argument("--seed", type=int, default=0, help="随机种子")
    p.add_argument("--from", dest="start", help="从哪天开始 YYYY-MM-DD（默认：上次模拟的次日）")
    p.set_defaults(func=cmd_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"用法错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except CunyiError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_RULE
    except Exception as exc:
        from app.db.health import damaged_file_error, is_damage
        from app.paths import DataDir

        if not (getattr(args, "data", None) and is_damage(exc)):
            raise
        print(str(damaged_file_error(DataDir(Path(args.data)).database)), file=sys.stderr)
        return EXIT_RULE


if __name__ == "__main__":
    raise SystemExit(main())
