"""The desktop app: ``cunyi`` / ``cunyi gui [--data DIR]``.

Start-up: Qt application with the bundled CJK font, Qt's own Chinese translations and the house
style sheet; the crash handler; ``bootstrap`` of the data folder; the 建站向导 when the folder holds no
site; the login dialog; the main window. Heavy modules (pages, reportlab…) load only when needed.
"""

from __future__ import annotations

import gc
import importlib
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from app.paths import DataDir, default_data_dir, resource, settings_dir

if TYPE_CHECKING:
    import argparse

    from PySide6.QtWidgets import QApplication, QWidget

    from app.bootstrap import Services
    from app.services.core.identity import SiteInfo

    from .main_window import MainWindow

# Import order matters for start-up time. Nothing before the first paint loads the database layer
# (SQLAlchemy and the models, ~0.35 s): ``open_session`` checks the schema and signs the user in on the
# standard ``sqlite3`` driver on a start-up thread (scrypt runs without the GIL) while ``make_application``
# loads Qt; the database thread opens the data layer after the window has painted once.

#: modules the first window needs that do not need Qt, loaded by ``open_session`` before Qt
_FIRST_WINDOW_WITHOUT_QT = ("app.domain.roles", "ui.tiles")
#: services the 工作台's figures call (``ui.pages.TILE_PROVIDERS``), loaded by ``warm_up``
_FIRST_FIGURES_SERVICES = ("status", "settings", "stock", "settlement")

FONT_FILE = resource("fonts", "wqy-microhei.ttc")
STYLE_FILE = resource("style.qss")
BASE_FONT_PX = 14


_gc = {"paused": False, "done": False}


def pause_gc() -> None:
    """Pause the cyclic garbage collector for start-up (once per process).

    Start-up creates ~35,000 long-lived objects (modules, Qt wrappers) and almost no garbage; the
    collector would walk them again and again. ``resume_gc`` ends it.
    """
    if not _gc["done"] and not _gc["paused"] and gc.isenabled():
        gc.disable()
        _gc["paused"] = True


def resume_gc() -> None:
    """End the start-up pause: what start-up built is moved out of the collector's sight
    (``gc.freeze``, it lives as long as the app), then collection runs as usual."""
    _gc["done"] = True
    if _gc["paused"]:
        _gc["paused"] = False
        gc.freeze()
        gc.enable()


def load_font(app: QApplication) -> str | None:
    """Register the bundled WenQuanYi Micro Hei (the PDFs' font) and make it the app font."""
    from PySide6.QtGui import QFont, QFontDatabase

    font_id = QFontDatabase.addApplicationFont(str(FONT_FILE))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        return None
    font = QFont(families[0])
    font.setPixelSize(BASE_FONT_PX)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)
    return families[0]


def load_translations(app: QApplication) -> bool:
    """Load Qt's own ``qtbase_zh_CN`` so standard dialogs and buttons speak Chinese."""
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load("qtbase_zh_CN", folder):
        app.installTranslator(translator)
        return True
    return False


def use_settings_folder(folder: Path | None) -> None:
    """A portable installation keeps its desktop settings (QSettings) as INI files in ``folder``."""
    if folder is None:
        return
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


def setup_application(app: QApplication) -> QApplication:
    """Font, translations and style sheet, once per application."""
    if app.property("cunyi_ready"):
        return app
    use_settings_folder(settings_dir())
    app.setApplicationName("村医通")
    app.setOrganizationName("cunyi")
    load_font(app)
    load_translations(app)
    app.setStyle("Fusion")
    app.setStyleSheet(STYLE_FILE.read_text(encoding="utf-8").replace("@ICONS@", resource("icons").as_posix()))
    from ui.widgets.file_copies import forget_copies

    forget_copies()  # left by a run that did not quit normally
    app.aboutToQuit.connect(forget_copies)
    app.setProperty("cunyi_ready", True)
    return app


def make_application(argv: list[str] | None = None) -> QApplication:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "cunyi", *(argv or [])])
    return setup_application(app)


def open_session(data_dir: Path | str, username: str, password: str, services=None) -> Future:  # noqa: ANN001
    """Start opening ``data_dir`` and signing ``username`` in on a start-up thread.

    Returns a future of ``(services, user, site)``; ``build_main_window`` takes it. Call it first,
    before any Qt module is loaded: it bootstraps the folder and checks the password on its own thread
    while the caller loads Qt and builds the application. Nothing else touches the database until the
    future is done; after that every call goes through the database thread of ``ui.workers``. The
    cyclic GC is paused from here until ``build_main_window`` returns.
    """
    pause_gc()
    try:
        from app.bootstrap import bootstrap

        future: Future = Future()

        def work() -> None:
            try:
                sv = services or bootstrap(data_dir)
            except BaseException as exc:  # noqa: BLE001 - re-raised by future.result()
                future.set_exception(exc)
                return
            try:
                future.set_result((sv, sv.identity.sign_in(username, password), sv.identity.local_site()))
            except BaseException as exc:  # noqa: BLE001 - re-raised by future.result()
                if services is None:
                    sv.close()
                future.set_exception(exc)

        threading.Thread(target=work, name="cunyi-open-session", daemon=True).start()
        for module in _FIRST_WINDOW_WITHOUT_QT:
            importlib.import_module(module)
    except BaseException:
        resume_gc()
        raise
    return future


def warm_up_steps(sv: Services, site: SiteInfo) -> list[Callable[[], object]]:
    """What the first window needs before its figures, in steps, for the database thread before sign-in.

    The database layer (SQLAlchemy, the models, the reader connection); the services and tile
    providers of the 工作台 (with the report registry and pypinyin behind them); the window's own
    modules: a second or two of imports on a slow machine, done while the person types the password.
    Last, every tile provider runs once for the widest scope (an administrator who sees every area)
    and the result is thrown away: their statements are compiled and their index pages read into
    memory. Nothing is shown; the figures on screen are read again after sign-in, for the user's role.
    """

    def services() -> None:
        from app.services.core.reports import load_reports

        from .pages import TILE_PROVIDERS
        from .tiles import load_provider

        for name in _FIRST_FIGURES_SERVICES:
            getattr(sv, name)
        load_reports()
        for spec in TILE_PROVIDERS:
            load_provider(spec)

    def window() -> None:
        from .pages import page_class

        importlib.import_module(".main_window", __package__)
        page_class("dashboard")

    def figures() -> None:
        from app.domain import clock
        from app.domain.enums import Role
        from app.domain.roles import AREAS

        from .pages import TILE_PROVIDERS
        from .tiles import TileScope, collect_tiles

        collect_tiles(sv, TileScope(Role.ADMIN, site.kind, clock.today(), frozenset(AREAS)), TILE_PROVIDERS)
        sv.status.recent_days(7)

    return [lambda: sv.db.local_site_id, services, window, figures]


def warm_up_behind(login: QWidget, sv: Services, site: SiteInfo) -> Future:
    """Once ``login`` has painted, run ``warm_up_steps`` on the database thread while the person types.

    One step per job: Enter's sign-in (an ``Op`` on the same thread) waits at most for the step under
    way, and once someone has signed in the steps stop (the window's own loads take over). The future
    is True when every step ran, False when a sign-in came first.
    """
    from .workers import FirstPaint, runner

    FirstPaint(login)
    db_thread, steps, done = runner(), iter(warm_up_steps(sv, site)), Future()

    def next_step() -> None:
        step = next(steps, None)
        if step is None or sv.session.actor.user_id is not None:
            done.set_result(step is None)
            return
        try:
            step()
        except BaseException as exc:  # noqa: BLE001 - the window's own loads meet it again and report it
            done.set_exception(exc)
            return
        db_thread.start_call(next_step)

    db_thread.start_call(next_step)
    return done


def build_main_window(session: Future) -> MainWindow:
    """The main window of an ``open_session`` (imports the window while the session opens).

    Raises what opening the session raised, e.g. ``AuthError`` for a wrong password.
    """
    try:
        from .context import AppContext
        from .main_window import MainWindow
        from .pages import page_class

        page_class("dashboard")
        sv, user, site = session.result()
        return MainWindow(AppContext(sv, site, user))
    finally:
        resume_gc()


def create_main_window(data_dir: Path | str, username: str, password: str, services=None) -> MainWindow:  # noqa: ANN001
    """Bootstrap ``data_dir``, sign ``username`` in and build (not show) the main window.

    The README run path, the smoke test, the tests and the start-up benchmark all use this.
    Raises ``AuthError`` for a wrong password.
    """
    return build_main_window(open_session(data_dir, username, password, services))


def _parse(argv: list[str]) -> argparse.Namespace:
    """``--data DIR``; anything else (e.g. ``-platform offscreen``) is left for Qt in ``qt_args``."""
    import argparse

    parser = argparse.ArgumentParser(prog="cunyi gui", description="村医通桌面程序")
    parser.add_argument("--data", help="数据文件夹（默认：本机用户数据目录）")
    args, qt_args = parser.parse_known_args(argv)
    args.qt_args = qt_args
    return args


def run_gui(argv: list[str]) -> int:
    """The desktop app. Returns the exit code."""
    pause_gc()
    try:
        with ExitStack() as held:  # the data folder's lock, released when the app ends
            return _run_gui(argv, held)
    finally:
        resume_gc()


def _run_gui(argv: list[str], held: ExitStack) -> int:
    from PySide6.QtWidgets import QDialog, QMessageBox

    from app.domain.errors import CunyiError, RuleViolation

    from .errors import install_crash_handler, report_crash
    from .workers import runner

    args = _parse(argv)
    data = DataDir(Path(args.data).expanduser() if args.data else default_data_dir())
    app = make_application(args.qt_args)
    try:
        data.ensure()
    except OSError as exc:
        QMessageBox.critical(None, "村医通", f"无法使用数据文件夹 {data.root}：{exc}\n请用 --data 指定一个可写的文件夹。")
        return 1
    install_crash_handler(data.logs)
    from app.folder_lock import FolderInUse, FolderLock

    try:
        held.enter_context(FolderLock(data.root, "村医通桌面程序", "再打开一个村医通"))
    except FolderInUse as exc:  # one app per data folder: who has it open, since when, what to do
        QMessageBox.critical(None, "村医通", str(exc))
        return 1
    try:
        from app.bootstrap import bootstrap

        sv = bootstrap(data.root)
    except CunyiError as exc:  # e.g. a damaged data file: the message says what to do
        QMessageBox.critical(None, "村医通", str(exc))
        return 1
    except Exception as exc:  # noqa: BLE001 - a start-up failure must still say where the log is
        log = report_crash(exc)
        QMessageBox.critical(None, "村医通", f"打开数据文件夹 {data.root} 失败。\n错误记录在：{log}")
        return 1

    from .dialogs.login import LoginDialog
    from .dialogs.wizard import SiteWizard

    resume_gc()  # the dialogs wait for a person: start-up is over
    admin = ""
    try:
        site = sv.identity.local_site()
    except RuleViolation:  # no site yet: the 建站向导 makes it
        wizard = SiteWizard(sv)
        if wizard.exec() != QDialog.DialogCode.Accepted:
            sv.close()
            return 0
        admin = wizard.admin_username
        site = sv.identity.local_site()
    login = LoginDialog(sv, site, username=admin)
    warm_up_behind(login, sv, site)  # once the dialog is on screen, what the figures need loads while the user types
    if login.exec() != QDialog.DialogCode.Accepted or login.user is None:
        sv.close()
        return 0

    from .context import AppContext
    from .main_window import MainWindow

    window = MainWindow(AppContext(sv, site, login.user))
    window.showMaximized()
    code = app.exec()
    runner().wait_idle()
    return code
