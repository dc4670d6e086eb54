"""Build 村医通 for installation: the PyInstaller bundle, its smoke test, and the platform's installer.

Usage (with the project's virtual environment, after ``bash installer/dev.sh``)::

    .venv/bin/python installer/build.py            # Linux: dist/cunyi/ and dist/cunyi_<版本>_<架构>.deb
    .venv\\Scripts\\python installer\\build.py       # Windows: dist\\cunyi\\ and, with Inno Setup, the setup .exe
    … --no-deb / --no-installer                     # only the bundle and its smoke test
    … --compress gzip                               # a larger .deb, built in seconds instead of minutes

Steps: PyInstaller into the virtual environment when it is missing (the ``build`` extra); the bundle
from ``installer/cunyi.spec``; the frozen ``cunyi --smoke-test`` (offscreen); the bundle's size; then
on Linux a ``.deb`` (dpkg-deb) and on Windows the Inno Setup installer (``installer/cunyi.iss``, when
``ISCC.exe`` is found). With ``CUNYI_TEST_PG_URL`` (CI), the frozen ``cunyi-hub init`` also makes a hub
in a new PostgreSQL database on that server. The last stdout line is one JSON object with the figures. Exit 0 when all
worked, 1 with the reason on stderr otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INSTALLER = REPO / "installer"
DIST = REPO / "dist"
WORK = REPO / "build" / "pyinstaller"
BUNDLE = DIST / "cunyi"
WINDOWS = sys.platform == "win32"
EXE = ".exe" if WINDOWS else ""

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
VERSION = PROJECT["version"]

#: the Debian packages the bundle expects from the system (see cunyi.spec): Qt's display stack and
#: printing; OpenSSL 3, SQLite (at least the 3.40 the bundle was tested with) and the C++ runtime that
#: Python and Qt link to; libpq for a hub on PostgreSQL; udev for the bundle's libusb (USB printers)
DEB_DEPENDS = (
    "libc6 (>= 2.36), libegl1, libgl1, libfontconfig1, libfreetype6, libglib2.0-0, libdbus-1-3, "
    "libx11-6, libx11-xcb1, libxcb1, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, "
    "libxcb-randr0, libxcb-render-util0, libxcb-shape0, libxcb-xinerama0, libxcb-xkb1, libxkbcommon0, "
    "libxkbcommon-x11-0, libcups2, libssl3, libsqlite3-0 (>= 3.40), libstdc++6 (>= 12), libgcc-s1, libpq5, "
    "libudev1"
)

DESKTOP_ENTRY = """[Desktop Entry]
Type=Application
Name=村医通
Name[zh_CN]=村医通
GenericName=村卫生室管理
Comment=村卫生室与乡镇卫生院的药品、门诊统筹结算与帮办代办
Exec=/opt/cunyi/cunyi %F
Icon=cunyi
Terminal=false
Categories=Office;MedicalSoftware;
StartupWMClass=cunyi
"""

POSTINST = """#!/bin/sh
set -e
# the hub's unit is installed, not enabled: see /lib/systemd/system/cunyi-hub.service
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q /usr/share/applications || true; fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true; fi
exit 0
"""

PRERM = """#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl stop cunyi-hub.service >/dev/null 2>&1 || true
  systemctl disable cunyi-hub.service >/dev/null 2>&1 || true
fi
exit 0
"""

POSTRM = """#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
if [ "$1" = purge ] && [ -e /var/lib/cunyi-hub ]; then
  echo "村医通：乡镇同步服务的数据保留在 /var/lib/cunyi-hub（确认不再需要后可手动删除）" >&2
fi
exit 0
"""


class BuildError(Exception):
    """A step failed; the message says which and why (Chinese, for the person building)."""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def ensure_pyinstaller() -> None:
    """PyInstaller of the ``build`` extra, installed into this interpreter's environment when missing."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        wanted = PROJECT["optional-dependencies"]["build"]
        say(f"安装打包工具：{' '.join(wanted)}")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", *wanted],
                       check=True)


def make_icon() -> Path:
    """``build/cunyi.ico`` (Windows programs and installer) from ``installer/cunyi.svg``, drawn with Qt."""
    target = REPO / "build" / "cunyi.ico"
    source = INSTALLER / "cunyi.svg"
    if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    code = (
        "import sys\n"
        "from PySide6.QtCore import Qt\n"
        "from PySide6.QtGui import QGuiApplication, QImage, QPainter\n"
        "from PySide6.QtSvg import QSvgRenderer\n"
        "app = QGuiApplication([])\n"
        "image = QImage(256, 256, QImage.Format.Format_ARGB32)\n"
        "image.fill(Qt.GlobalColor.transparent)\n"
        "painter = QPainter(image)\n"
        "QSvgRenderer(sys.argv[1]).render(painter)\n"
        "painter.end()\n"
        "sys.exit(0 if image.save(sys.argv[2]) else 1)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run([sys.executable, "-c", code, str(source), str(target)], check=True, env=env)
    return target


def build_bundle() -> float:
    """Run PyInstaller on the spec; returns the seconds it took."""
    started = time.monotonic()
    shutil.rmtree(BUNDLE, ignore_errors=True)
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--workpath", str(WORK), "--distpath", str(DIST), str(INSTALLER / "cunyi.spec")]
    done = subprocess.run(command, cwd=REPO)
    if done.returncode != 0:
        raise BuildError(f"PyInstaller 打包失败（退出码 {done.returncode}），见上面的输出")
    for link in BUNDLE.rglob("*"):  # links to libraries the spec dropped
        if link.is_symlink() and not link.exists():
            link.unlink()
    if not WINDOWS:  # one program, two names: cunyi-hub runs the hub's command line (installer/entry.py)
        hub = BUNDLE / "cunyi-hub"
        hub.unlink(missing_ok=True)
        hub.symlink_to("cunyi")
    return time.monotonic() - started


def bundle_size(folder: Path = BUNDLE) -> int:
    """Bytes of the bundle's files (links not counted twice)."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def frozen_env() -> dict[str, str]:
    """The environment a user's session would give the frozen program: no Python paths of the build."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def smoke_test(program: Path) -> str:
    """Run ``program --smoke-test`` (and the hub's ``--help``) outside the source tree; its summary line."""
    with tempfile.TemporaryDirectory(prefix="cunyi-frozen-") as cwd:
        done = subprocess.run([str(program), "--smoke-test"], cwd=cwd, env=frozen_env(),
                              capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=600)
        if done.returncode != 0:
            raise BuildError(f"{program} --smoke-test 失败（退出码 {done.returncode}）：\n{done.stdout}{done.stderr}")
        hub_smoke_test(program.with_name(f"cunyi-hub{EXE}"), Path(cwd))
    lines = done.stdout.strip().splitlines()  # a windowed Windows program may have no stdout
    return lines[-1] if lines else "冒烟测试通过（程序没有输出）"


def hub_smoke_test(hub: Path, folder: Path) -> None:
    """``cunyi-hub init`` a home in ``folder``, ``serve`` it on a free loopback port, ask ``/v1/info``."""
    import socket
    import ssl
    import urllib.request

    home = folder / "hub"
    done = subprocess.run([str(hub), "init", "--home", str(home)], cwd=folder, env=frozen_env(),
                          capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=120)
    if done.returncode != 0:
        raise BuildError(f"{hub} init 失败（退出码 {done.returncode}）：\n{done.stdout}{done.stderr}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(hub), "serve", "--home", str(home), "--port", str(port)], cwd=folder,
                              env=frozen_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the hub's own self-signed certificate
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/v1/info", context=context, timeout=5) as answer:
                    info = json.loads(answer.read())
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode("utf-8", "replace") if server.poll() is not None else ""
                    raise BuildError(f"{hub} serve 没有应答（端口 {port}）：{output}") from None
                time.sleep(0.3)
        if "protocol_version" not in info:
            raise BuildError(f"{hub} serve 的 /v1/info 应答不对：{info}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()


def hub_postgresql_test(hub: Path) -> str | None:
    """With ``CUNYI_TEST_PG_URL`` (a PostgreSQL server, as in CI): ``cunyi-hub init --db`` a new database.

    The Linux bundle reaches PostgreSQL through the system's libpq (psycopg's pure-Python implementation),
    so this is what shows that it works. Returns the database's server version, or None without a server.
    """
    admin = os.environ.get("CUNYI_TEST_PG_URL")
    if not admin:
        return None
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(admin)
    name = f"bundle_{uuid.uuid4().hex[:12]}"
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
            version = conn.info.server_version
    except psycopg.Error as error:
        raise BuildError(f"CUNYI_TEST_PG_URL 的 PostgreSQL 不可用：{error}") from error
    try:
        with tempfile.TemporaryDirectory(prefix="cunyi-frozen-pg-") as folder:
            db = url.set(database=name).render_as_string(hide_password=False)
            done = subprocess.run([str(hub), "init", "--home", str(Path(folder) / "hub"), "--db", db], cwd=folder,
                                  env=frozen_env(), capture_output=True, text=True, encoding="utf-8",
                                  errors="replace", timeout=120)
            if done.returncode != 0:
                raise BuildError(f"{hub} init --db PostgreSQL 失败（退出码 {done.returncode}）：\n{done.stdout}{done.stderr}")
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return f"PostgreSQL {version // 10000}.{version % 10000}"


def deb_architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def build_deb(compression: str = "xz") -> Path:
    """``dist/cunyi_<版本>_<架构>.deb``: the bundle in /opt/cunyi, links in /usr/bin, menu entry, hub unit."""
    if shutil.which("dpkg-deb") is None:
        raise BuildError("没有 dpkg-deb：请在 Debian/Ubuntu/统信 UOS/麒麟 系统上构建 .deb")
    arch = deb_architecture()
    root = REPO / "build" / "deb" / f"cunyi_{VERSION}_{arch}"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(BUNDLE, root / "opt" / "cunyi", symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    for name in ("cunyi", "cunyi-hub"):
        (root / "usr" / "bin" / name).symlink_to(f"/opt/cunyi/{name}")
    applications = root / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    (applications / "cunyi.desktop").write_text(DESKTOP_ENTRY, encoding="utf-8")
    icons = root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    icons.mkdir(parents=True)
    shutil.copy2(INSTALLER / "cunyi.svg", icons / "cunyi.svg")
    units = root / "lib" / "systemd" / "system"
    units.mkdir(parents=True)
    shutil.copy2(INSTALLER / "cunyi-hub.service", units / "cunyi-hub.service")
    debian = root / "DEBIAN"
    debian.mkdir()
    installed_kb = (bundle_size(root) + 1023) // 1024
    (debian / "control").write_text(
        f"Package: cunyi\nVersion: {VERSION}\nArchitecture: {arch}\nMaintainer: 村医通 <cunyi@localhost>\n"
        f"Installed-Size: {installed_kb}\nDepends: {DEB_DEPENDS}\nSection: misc\nPriority: optional\n"
        f"Description: 村医通：村卫生室与乡镇卫生院的药品、门诊统筹结算与帮办代办\n"
        f" 桌面程序 cunyi（含命令行）与乡镇同步服务 cunyi-hub（systemd 服务，安装后不自动启用）。\n",
        encoding="utf-8",
    )
    for name, text in (("postinst", POSTINST), ("prerm", PRERM), ("postrm", POSTRM)):
        (debian / name).write_text(text, encoding="utf-8")
        (debian / name).chmod(0o755)
    for path in [root, *root.rglob("*")]:  # dpkg-deb refuses group- or world-writable control files
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o022)
    target = DIST / f"cunyi_{VERSION}_{arch}.deb"
    target.unlink(missing_ok=True)
    done = subprocess.run(["dpkg-deb", "--root-owner-group", f"-Z{compression}", "-z6", "--build", str(root), str(target)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"dpkg-deb 失败：{done.stderr.strip()}")
    shutil.rmtree(root, ignore_errors=True)
    return target


def build_windows_installer() -> Path | None:
    """The Inno Setup installer from ``installer/cunyi.iss``; None when Inno Setup is not installed."""
    iscc = shutil.which("ISCC") or shutil.which("iscc")
    for folder in (os.environ.get("ProgramFiles(x86)", ""), os.environ.get("ProgramFiles", "")):
        candidate = Path(folder) / "Inno Setup 6" / "ISCC.exe"
        if not iscc and folder and candidate.exists():
            iscc = str(candidate)
    if not iscc:
        say("没有找到 Inno Setup 6 (ISCC.exe)：只生成了 dist\\cunyi 文件夹；安装 Inno Setup 后重新运行可生成安装程序")
        return None
    if not (INSTALLER / "windows" / "WinSW-x64.exe").exists():
        say("没有 installer\\windows\\WinSW-x64.exe：安装程序不含“乡镇同步服务”选项（见 installer\\windows\\cunyi-hub-service.xml）")
    done = subprocess.run([iscc, f"/DAppVersion={VERSION}", f"/DRepo={REPO}", str(INSTALLER / "cunyi.iss")])
    if done.returncode != 0:
        raise BuildError(f"Inno Setup 编译失败（退出码 {done.returncode}）")
    return DIST / f"cunyi-setup-{VERSION}.exe"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="打包村医通：PyInstaller 文件夹、冒烟测试、安装包")
    parser.add_argument("--no-deb", "--no-installer", dest="installer", action="store_false",
                        help="只打包并做冒烟测试，不生成 .deb / 安装程序")
    parser.add_argument("--compress", choices=("xz", "gzip"), default="xz",
                        help=".deb 的压缩方式：xz 最小（默认），gzip 快得多（CI 用）")
    args = parser.parse_args(argv)
    report: dict[str, object] = {"version": VERSION}
    try:
        ensure_pyinstaller()
        make_icon()
        say("打包（PyInstaller）……")
        report["build_s"] = round(build_bundle(), 1)
        size = bundle_size()
        report["bundle_mb"] = round(size / 2**20, 1)
        say(f"打包完成：{BUNDLE}，{size / 2**20:.1f} MB，用时 {report['build_s']} 秒")
        report["smoke"] = smoke_test(BUNDLE / f"cunyi{EXE}")
        say(f"打包后的冒烟测试：{report['smoke']}")
        postgresql = hub_postgresql_test(BUNDLE / f"cunyi-hub{EXE}")
        if postgresql:
            report["hub_postgresql"] = postgresql
            say(f"打包后的同步服务连上了 {postgresql}")
        if args.installer and sys.platform.startswith("linux"):
            started = time.monotonic()
            deb = build_deb(args.compress)
            report["deb"] = str(deb)
            report["deb_mb"] = round(deb.stat().st_size / 2**20, 1)
            report["deb_s"] = round(time.monotonic() - started, 1)
            say(f"安装包：{deb}（{report['deb_mb']} MB）")
        elif args.installer and WINDOWS:
            setup = build_windows_installer()
            if setup is not None:
                report["installer"] = str(setup)
    except (BuildError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        say(f"打包失败：{error}")
        return 1
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
