"""``cunyi-hub``: the township sync server's command line (DESIGN §9).

Exit 0 on success, 1 on a rule violation or invalid input (a Chinese message on stderr), 2 on bad usage.

- ``init --home DIR [--db URL] [--public-url URL]``: settings, TLS key and certificate, database.
- ``serve --home DIR --host H --port N``: the hub over HTTPS.
- ``add-site --home DIR --kind village|township --name NAME [--township SITE_ID]``: a one-time
  enrollment code as the last stdout line, and a QR image of it in DIR.
- ``sites --home DIR [--json]``: sites with last sync, last sequence and rejected ops.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.exc import OperationalError

from app.domain.errors import CunyiError, RuleViolation


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cunyi-hub", description="村医通乡镇同步服务")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="初始化：配置、TLS 证书、数据库")
    init.add_argument("--home", required=True, type=Path, help="同步服务的目录")
    init.add_argument("--db", help="数据库地址：默认目录中的 SQLite 文件，或 postgresql+psycopg://…")
    init.add_argument("--public-url", help="各站点访问本服务的地址，如 https://10.0.0.2:8443")
    serve = commands.add_parser("serve", help="启动同步服务 (HTTPS)")
    serve.add_argument("--home", required=True, type=Path)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    add = commands.add_parser("add-site", help="登记站点并生成一次性同步码")
    add.add_argument("--home", required=True, type=Path)
    add.add_argument("--kind", required=True, choices=("village", "township"))
    add.add_argument("--name", required=True)
    add.add_argument("--township", help="村卫生室所属乡镇卫生院的站点编号")
    sites = commands.add_parser("sites", help="列出站点")
    sites.add_argument("--home", required=True, type=Path)
    sites.add_argument("--json", action="store_true", help="以 JSON 输出")
    return parser


@contextmanager
def _hub(home):
    """The hub over the home's database, its connections closed on exit."""
    from app.sync.hub.db import open_engine
    from app.sync.hub.service import Hub
    from app.sync.hub.tables import check_version

    engine = open_engine(home.read()["db_url"])
    try:
        with engine.begin() as conn:
            check_version(conn)
        yield Hub(engine, home.root / "blobs")
    except CunyiError:
        raise
    except OperationalError as error:
        raise RuleViolation(f"无法连接乡镇同步服务的数据库：{error.orig}", field="db") from error
    finally:
        engine.dispose()


def _init(args: argparse.Namespace) -> None:
    from sqlalchemy import make_url

    from app.sync.hub.db import open_engine, transaction
    from app.sync.hub.home import HubHome
    from app.sync.hub.tables import create
    from app.sync.hub.tls import make_certificate

    home = HubHome(args.home.resolve())
    if home.exists():
        raise RuleViolation(f"{home.root} 已经初始化过（有 hub.json），不能重复初始化", field="home")
    url = args.db or f"sqlite:///{home.sqlite_path}"
    try:
        backend = make_url(url).drivername
    except Exception:  # noqa: BLE001
        backend = ""
    if backend not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise RuleViolation("--db 应为 SQLite 地址（sqlite:///文件）或 postgresql+psycopg://用户:密码@主机/库", field="db")
    public = args.public_url.rstrip("/") if args.public_url else None
    if public is not None and (not public.startswith("https://") or not urlsplit(public).hostname):
        raise RuleViolation("--public-url 应以 https:// 开头，如 https://10.0.0.2:8443", field="public-url")
    home.root.mkdir(parents=True, exist_ok=True)
    engine = open_engine(url)
    try:
        with transaction(engine) as conn:
            create(conn)
    except Exception as error:  # noqa: BLE001 - any driver's connection failure
        raise RuleViolation(f"无法在 --db 指定的数据库中建表：{error}", field="db") from error
    finally:
        engine.dispose()
    fingerprint = make_certificate(home.cert_path, home.key_path, [urlsplit(public).hostname] if public else [])
    home.write({"db_url": url, "public_url": public, "served_url": None})
    print(json.dumps({"home": str(home.root), "db": make_url(url).render_as_string(hide_password=True),
                      "public_url": public, "fingerprint": fingerprint}, ensure_ascii=False))


def _serve(args: argparse.Namespace) -> None:
    from app.sync.hub.home import HubHome
    from app.sync.hub.server import serve

    home = HubHome(args.home.resolve())
    config = home.read()
    host = args.host
    url_host = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        import socket

        url_host = socket.gethostname()
    url = f"https://{url_host}:{args.port}"
    with _hub(home) as hub:
        if not config.get("public_url"):
            home.write({**config, "served_url": url})
        print(f"乡镇同步服务已启动：{config.get('public_url') or url}（按 Ctrl+C 停止）", file=sys.stderr, flush=True)
        serve(hub, host, args.port, str(home.cert_path), str(home.key_path))


def _add_site(args: argparse.Namespace) -> None:
    import qrcode

    from app.sync import codes
    from app.sync.hub.home import HubHome
    from app.sync.hub.tls import fingerprint

    home = HubHome(args.home.resolve())
    url = home.hub_url()
    with _hub(home) as hub:
        site_id, secret = hub.add_site(args.kind, args.name, args.township)
    code = codes.encode(codes.EnrollmentCode(url, fingerprint(home.cert_path), secret))
    png = home.root / "codes" / f"enroll-{site_id}.png"
    png.parent.mkdir(parents=True, exist_ok=True)
    qrcode.make(code).save(png)
    print(json.dumps({"site_id": site_id, "kind": args.kind, "name": args.name.strip(),
                      "township_site_id": args.township, "qr_png": str(png)}, ensure_ascii=False))
    print(f"已登记站点“{args.name.strip()}”。同步码只能使用一次；二维码图片：{png}")
    print(code)


def _sites(args: argparse.Namespace) -> None:
    from app.sync.hub.home import HubHome

    with _hub(HubHome(args.home.resolve())) as hub:
        rows = hub.sites()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        state = f"上次同步 {row['last_sync_at']}" if row["last_sync_at"] else ("已加入" if row["enrolled"] else "未加入")
        print(f"{row['site_id']}  {row['name']}（{'乡镇' if row['kind'] == 'township' else '村'}）  {state}  "
              f"已确认序号 {row['acked_local_seq']}  被拒绝 {row['rejected_ops']} 条")


def main(argv: list[str] | None = None) -> int:
    """Run one ``cunyi-hub`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    run = {"init": _init, "serve": _serve, "add-site": _add_site, "sites": _sites}[args.command]
    try:
        run(args)
    except CunyiError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
