"""Idle lock: no keyboard or mouse input for ``idle_lock_minutes`` hides the data behind a lock screen
that only the signed-in user's password opens (checked by ``IdentityService.sign_in``, so it is audited
and counts towards the 5-wrong-passwords lockout)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.errors import CunyiError

from .context import AppContext
from .workers import Op

_INPUT_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatcher(QObject):
    """Emits ``idle`` after ``interval_ms`` without user input anywhere in the app (0 = never)."""

    idle = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer rounds the remaining time
        self._timer.timeout.connect(self.idle)
        self._interval_ms = 0
        self._installed = False

    @property
    def interval_ms(self) -> int:
        return self._interval_ms

    def set_minutes(self, minutes: int) -> None:
        self.set_interval_ms(max(0, int(minutes)) * 60_000)

    def set_interval_ms(self, ms: int) -> None:
        """Set the idle time (also the test hook: a few milliseconds). 0 switches the lock off."""
        self._interval_ms = max(0, int(ms))
        self.start()

    def start(self) -> None:
        app = QApplication.instance()
        if not self._installed and app is not None:
            app.installEventFilter(self)
            self._installed = True
        if self._interval_ms > 0:
            self._timer.start(self._interval_ms)
        else:
            self._timer.stop()

    def stop(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if self._installed and app is not None:
            app.removeEventFilter(self)
        self._installed = False

    def active(self) -> bool:
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in _INPUT_EVENTS and self._interval_ms > 0 and self._timer.isActive():
            self._timer.start(self._interval_ms)
        return False


class LockScreen(QWidget):
    """Covers the main window's content; ``unlocked`` once the same user's password is right."""

    unlocked = Signal()
    quit_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        from .widgets.forms import ErrorLabel, password_edit  # built when the screen first locks

        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("lockScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        card = QFrame()
        card.setObjectName("lockCard")
        card.setFixedWidth(440)
        title = QLabel("屏幕已锁定")
        title.setProperty("role", "title")
        who = QLabel(f"{ctx.user.display_name}（{ctx.user.role.label}） · {ctx.site.name}")
        who.setProperty("role", "hint")
        why = QLabel("为保护居民信息，长时间无操作或按 Ctrl+L 后屏幕会锁定。请输入本人密码解锁。")
        why.setWordWrap(True)
        self.password = password_edit("密码")
        self.password.returnPressed.connect(self.try_unlock)
        self.error = ErrorLabel()
        self.unlock_button = QPushButton("解锁")
        self.unlock_button.setProperty("kind", "primary")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        quit_button = QPushButton("退出程序")
        quit_button.clicked.connect(self.quit_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.unlock_button)
        buttons.addStretch(1)
        buttons.addWidget(quit_button)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 28, 32, 24)
        inner.setSpacing(12)
        for widget in (title, who, why, self.password, self.error):
            inner.addWidget(widget)
        inner.addLayout(buttons)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def reset(self) -> None:
        self.password.clear()
        self.error.clear_error()
        self.unlock_button.setEnabled(True)
        self.password.setFocus()

    def try_unlock(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        identity, username, password = self.ctx.sv.identity, self.ctx.user.username, self.password.text()
        self.unlock_button.setEnabled(False)
        Op(self, lambda: identity.sign_in(username, password)).success(lambda _u: self._done()).failure(
            self._failed
        ).busy().run()

    def _done(self) -> None:
        self.reset()
        self.unlocked.emit()

    def _failed(self, error: CunyiError) -> None:
        self.unlock_button.setEnabled(True)
        self.password.clear()
        self.password.setFocus()
        self.error.show_error(str(error))
