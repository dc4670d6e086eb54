"""The main window: left navigation of the user's areas, pages built on first visit, status bar, lock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QFontMetrics, QKeyEvent, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.domain import clock
from app.domain.roles import AREAS, visible_areas

from .context import AppContext
from .lock import IdleWatcher, LockScreen
from .pages import available_areas, page_class
from .widgets.page import Page
from .workers import FirstPaint, Op, hub, runner

if TYPE_CHECKING:
    from app.sync.status import SyncStatus

#: refresh the sync figure at least this often
STATUS_REFRESH_MS = 60_000
SYNC_LABEL_STYLE = """
QPushButton#syncLabel { border: none; background: transparent; padding: 0 6px; color: #334e68; }
QPushButton#syncLabel:hover { text-decoration: underline; }
QPushButton#syncLabel[state="error"] { color: #b42318; font-weight: bold; }
QPushButton#syncLabel[state="pending"] { color: #9a6700; }
"""


def nav_areas(ctx: AppContext) -> list[str]:
    """The areas in this user's navigation: role × site kind × pages that exist."""
    return visible_areas(ctx.role, ctx.site_kind, available_areas())


def nav_key(position: int) -> str:
    """The shortcut of the navigation's ``position``-th area (from 1): Ctrl+1…Ctrl+9, then Ctrl+0; "" after that."""
    return f"Ctrl+{position % 10}" if position <= 10 else ""


class _NavDelegate(QStyledItemDelegate):
    """Draws each area's shortcut (Ctrl+n) in grey at the right of its row."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().paint(painter, option, index)
        hint = index.data(Qt.ItemDataRole.UserRole + 1)
        if hint:
            painter.save()
            painter.setPen(option.palette.color(option.palette.ColorRole.PlaceholderText))
            font = painter.font()
            font.setPixelSize(11)
            painter.setFont(font)
            rect = QRect(option.rect).adjusted(0, 0, -14, 0)
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), hint)
            painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), 44))


class _NavList(QListWidget):
    """Enter moves the focus into the current page."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self._window = window

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Right):
            page = self._window.current_page()
            if page is not None:
                page.focus_first()
                return
        super().keyPressEvent(event)


class _LockedShortcuts(QObject):
    """While the screen is locked, swallows every shortcut of the window except the lock screen's own
    (area keys, F-keys, Alt+letters, Ctrl+Q): only unlocking works."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not self._window.is_locked():
            return False
        if event.type() == QEvent.Type.KeyPress and isinstance(watched, QWidget) and watched.window() is self._window:
            # Alt+letter is a command, not text for the password field
            return bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)  # type: ignore[attr-defined]
        if event.type() != QEvent.Type.Shortcut:
            return False
        owner = watched.parent() if isinstance(watched, (QShortcut, QAction)) else watched
        if not isinstance(owner, QWidget) or owner.window() is not self._window:
            return False  # another window (a message box): not behind the lock
        return not self._window.lock_screen.isAncestorOf(owner) and owner is not self._window.lock_screen


class MainWindow(QMainWindow):
    """One signed-in session. Closing it closes the session's services."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.areas = nav_areas(ctx)
        ctx.areas = tuple(self.areas)
        self.pages: dict[str, Page] = {}
        self.setWindowTitle(f"村医通 — {ctx.site.name}")
        self.setObjectName("mainWindow")
        self.resize(1366, 768)
        self.first_paint = FirstPaint(self)

        self.nav = _NavList(self)
        self.nav.setObjectName("nav")
        self.nav.setItemDelegate(_NavDelegate(self.nav))
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for i, area in enumerate(self.areas, start=1):
            item = QListWidgetItem(AREAS[area])
            item.setData(Qt.ItemDataRole.UserRole, area)
            key = nav_key(i)
            item.setData(Qt.ItemDataRole.UserRole + 1, key)
            item.setToolTip(f"{AREAS[area]}（{key}）" if key else AREAS[area])
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._nav_changed)

        brand = QLabel("村医通")
        brand.setObjectName("navBrand")
        site = QLabel(ctx.site.name)
        site.setObjectName("navSite")
        site.setWordWrap(True)
        user = QLabel(f"{ctx.user.display_name} · {ctx.user.role.label}")
        user.setObjectName("navUser")
        panel = QFrame()
        panel.setObjectName("navPanel")
        panel.setFixedWidth(208)
        side = QVBoxLayout(panel)
        side.setContentsMargins(0, 18, 0, 12)
        side.setSpacing(4)
        side.addWidget(brand)
        side.addWidget(site)
        side.addSpacing(14)
        side.addWidget(self.nav, 1)
        side.addWidget(user)

        self.stack = QStackedWidget()
        self.stack.setObjectName("pageStack")
        workspace = QWidget()
        row = QHBoxLayout(workspace)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(panel)
        row.addWidget(self.stack, 1)

        self._lock_screen: LockScreen | None = None  # built when the screen first locks
        self.screens = QStackedWidget()
        self.screens.addWidget(workspace)
        self.setCentralWidget(self.screens)

        self._sync_scheduled = False
        self.ctx.background_sync.finished.connect(self._sync_finished)
        self._quit_confirmed = False
        self._quit_box: QMessageBox | None = None
        self._shortcut_guard = _LockedShortcuts(self)
        self._build_status_bar()
        self._build_shortcuts()

        self.idle = IdleWatcher(self)
        self.idle.idle.connect(self.lock)
        hub().data_changed.connect(self._data_changed)
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_REFRESH_MS)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start()
        self._status_soon = QTimer(self)
        self._status_soon.setSingleShot(True)
        self._status_soon.setInterval(250)
        self._status_soon.timeout.connect(self.refresh_status)

        if self.areas:
            self.open_area(self.areas[0])
        self.refresh_status()
        self.load_idle_setting()

    # -- chrome ---------------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("statusBar")
        self.site_label = QLabel(f"{self.ctx.site.name}（{self.ctx.site.kind.label}）")
        self.user_label = QLabel(f"{self.ctx.user.display_name}（{self.ctx.user.role.label}）")
        #: the sync indicator: 单机运行 / 已同步 HH:MM / 待上传 N 条 / 同步出错; a click opens 同步
        self.sync_label = QPushButton("单机运行")
        self.sync_label.setObjectName("syncLabel")
        self.sync_label.setFlat(True)
        self.sync_label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.sync_label.setCursor(Qt.CursorShape.PointingHandCursor)
        self.sync_label.setStyleSheet(SYNC_LABEL_STYLE)
        self.sync_label.clicked.connect(lambda _=False: self.go("sync"))
        hint = QLabel("Ctrl+Shift+P 修改密码 · Ctrl+L 锁屏 · Ctrl+Q 退出")
        hint.setProperty("role", "hint")
        #: how the last action ended (a page's ``reported``), e.g. "已结算 20261202-0001 · 现金 ¥3.84"
        self.last_action = QLabel()
        self.last_action.setObjectName("lastAction")
        for label in (self.site_label, self.user_label, self.last_action):
            bar.addWidget(label)
        self.password_button = QPushButton("修改密码")
        self.password_button.setObjectName("passwordButton")
        self.password_button.setFlat(True)
        self.password_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.password_button.setToolTip("修改本人的登录密码（Ctrl+Shift+P）")
        self.password_button.clicked.connect(self.change_password)
        bar.addPermanentWidget(self.password_button)
        bar.addPermanentWidget(self.sync_label)
        bar.addPermanentWidget(hint)

    def _build_shortcuts(self) -> None:
        self.shortcuts: list[QShortcut] = []
        for i, area in enumerate(self.areas[:10], start=1):
            shortcut = QShortcut(QKeySequence(nav_key(i)), self)
            shortcut.activated.connect(lambda a=area: self.go(a))
            self.shortcuts.append(shortcut)
        lock = QShortcut(QKeySequence("Ctrl+L"), self)
        lock.activated.connect(self.lock)
        self.shortcuts.append(lock)
        password = QShortcut(QKeySequence("Ctrl+Shift+P"), self)
        password.activated.connect(self.change_password)
        self.shortcuts.append(password)
        quit_ = QShortcut(QKeySequence("Ctrl+Q"), self)
        quit_.activated.connect(self.request_quit)
        self.shortcuts.append(quit_)

    # -- navigation -----------------------------------------------------------------------------
    def current_area(self) -> str | None:
        page = self.current_page()
        return page.area if page is not None else None

    def current_page(self) -> Page | None:
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, Page) else None

    def page(self, area: str) -> Page:
        """The page of ``area``, built on first use."""
        if area not in self.pages:
            page = page_class(area)(self.ctx)
            page.navigate.connect(self.go)
            page.reported.connect(self.show_result)
            self.pages[area] = page
            self.stack.addWidget(page)
        return self.pages[area]

    def open_area(self, area: str, target: str | None = None) -> Page | None:
        """Show ``area``'s page (None when this user has no such area)."""
        if area not in self.areas:
            return None
        page = self.page(area)
        self.stack.setCurrentWidget(page)
        row = self.areas.index(area)
        if self.nav.currentRow() != row:
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(row)
            self.nav.blockSignals(False)
        if target is not None:
            page.open_target(target)
        return page

    def go(self, area: str, target: str | None = None) -> None:
        """Open ``area`` and put the focus on its page (keyboard navigation, tiles)."""
        page = self.open_area(area, target)
        if page is not None:
            page.focus_first()

    def _nav_changed(self, row: int) -> None:
        if 0 <= row < len(self.areas):
            self.open_area(self.areas[row])

    # -- status and settings ----------------------------------------------------------------------
    def show_result(self, text: str) -> None:
        """The status bar's account of the last action (the time first: a doctor glances back at it)."""
        self.last_action.setText(f"{clock.now():%H:%M} {text}")
        self.last_action.setToolTip(text)

    def refresh_status(self) -> None:
        sv = self.ctx.sv  # services load on the database thread, after the first paint
        Op(self, lambda: sv.sync.status()).success(self.show_sync_status).run()

    def show_sync_status(self, status: SyncStatus) -> None:
        """The status bar's sync indicator; the first status also starts the automatic syncs of a joined site."""
        self.sync_label.setText(status.label)
        state = "error" if status.joined and status.failing else "pending" if status.joined and status.pending else ""
        self.sync_label.setProperty("state", state)
        self.sync_label.style().polish(self.sync_label)
        bold = self.sync_label.font()
        bold.setBold(True)  # room for the bold of 同步出错 whatever the state
        self.sync_label.setMinimumWidth(QFontMetrics(bold).horizontalAdvance(status.label) + 20)
        where = "sync" in self.areas
        tip = f"（{AREAS['sync']}：{nav_key(self.areas.index('sync') + 1)}）" if where and self.areas.index("sync") < 10 else ""
        self.sync_label.setToolTip((status.last_error or status.label) + "\n点击打开同步页" + tip)
        if status.joined and not self._sync_scheduled:
            self._sync_scheduled = True
            sv = self.ctx.sv
            Op(self, lambda: sv.settings.get("sync_interval_minutes")).success(
                self.ctx.background_sync.schedule).run()

    def _sync_finished(self, _result: object, error: str | None) -> None:
        if error:
            self.sync_label.setToolTip(error)

    def load_idle_setting(self) -> None:
        sv = self.ctx.sv
        Op(self, lambda: sv.settings.get("idle_lock_minutes")).success(self._set_idle_minutes).run()

    def _set_idle_minutes(self, minutes: int) -> None:
        self.idle.set_minutes(minutes)

    def _data_changed(self, area: str) -> None:
        self._status_soon.start()
        if area in ("settings", "*"):
            self.load_idle_setting()
            if self._sync_scheduled:
                self._sync_scheduled = False  # the interval may have changed: read again with the status

    def change_password(self) -> None:
        """修改密码 of the signed-in user (Ctrl+Shift+P, or 修改密码 in the status bar)."""
        from .dialogs.user import PasswordDialog

        dialog = PasswordDialog(self.ctx, self)
        dialog.finished.connect(lambda _r: self._password_changed(dialog))
        self.password_dialog: QDialog | None = dialog
        dialog.open()

    def _password_changed(self, dialog: QDialog) -> None:
        if getattr(dialog, "done_text", ""):
            self.last_action.setText(dialog.done_text)
        dialog.deleteLater()
        self.password_dialog = None

    # -- lock -----------------------------------------------------------------------------------
    @property
    def lock_screen(self) -> LockScreen:
        """The lock screen (built on first use: it is not part of the first paint)."""
        if self._lock_screen is None:
            self._lock_screen = LockScreen(self.ctx)
            self._lock_screen.unlocked.connect(self.unlock)
            self._lock_screen.quit_requested.connect(self.request_quit)
            self.screens.addWidget(self._lock_screen)
        return self._lock_screen

    def is_locked(self) -> bool:
        return self._lock_screen is not None and self.screens.currentWidget() is self._lock_screen

    def lock(self) -> None:
        if self.is_locked():
            return
        self.idle.stop()
        for shortcut in self.shortcuts:
            shortcut.setEnabled(False)
        self.screens.setCurrentWidget(self.lock_screen)
        self.lock_screen.reset()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._shortcut_guard)

    def unlock(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._shortcut_guard)
        self.screens.setCurrentIndex(0)
        for shortcut in self.shortcuts:
            shortcut.setEnabled(True)
        self.idle.start()
        page = self.current_page()
        if page is not None:
            page.focus_first()

    # -- quitting -------------------------------------------------------------------------------
    def unsaved_work(self) -> list[str]:
        """What quitting now would lose: each built page's ``unsaved_work`` and any open dialog."""
        work = [text for page in self.pages.values() if (text := page.unsaved_work())]
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible() and not isinstance(dialog, QMessageBox):
                work.append(f"未保存的窗口：{dialog.windowTitle() or '对话框'}")
        return work

    def request_quit(self) -> None:
        """Ctrl+Q, 退出程序 on the lock screen: quit, after asking when work would be lost."""
        work = self.unsaved_work()
        if not work or self._quit_confirmed:
            self._quit_confirmed = True
            self.close()
            return
        if self._quit_box is not None and self._quit_box.isVisible():
            self._quit_box.raise_()
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "退出村医通", "以下内容尚未保存，退出后将丢失：",
                          QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("quitBox")
        box.setInformativeText("\n".join(f"· {text}" for text in work) + "\n\n确定要退出吗？")
        quit_button = box.addButton("退出(&Q)", QMessageBox.ButtonRole.DestructiveRole)
        stay = box.addButton("返回(&R)", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)  # Enter keeps the work; quitting takes a deliberate choice
        box.setEscapeButton(stay)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: self._quit_answered(box.clickedButton() is quit_button))
        self._quit_box = box
        box.open()

    def _quit_answered(self, quit_: bool) -> None:
        self._quit_box = None
        if quit_:
            self._quit_confirmed = True
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        # the window's close button asks like Ctrl+Q; a close from the program itself does not
        if event.spontaneous() and not self._quit_confirmed and self.unsaved_work():
            event.ignore()
            self.request_quit()
            return
        if self._lock_screen is not None and QApplication.instance() is not None:
            QApplication.instance().removeEventFilter(self._shortcut_guard)
        self.first_paint.release()
        self.idle.stop()
        self._status_timer.stop()
        self.ctx.background_sync.stop()
        runner().wait_idle()
        super().closeEvent(event)
        self.ctx.sv.close()
