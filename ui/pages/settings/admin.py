"""The 用户, 备份 and 操作日志 tabs of the 设置 page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.core.backup import KEEP_DAILY, KEEP_WEEKLY, BackupResult, make_backup
from ui.dialogs.user import NewUserDialog, PasswordDialog, RoleDialog
from ui.models.audit import FILTERS, AuditModel
from ui.models.users import UsersModel
from ui.widgets.tables import read_only_rows
from ui.workers import Op

if TYPE_CHECKING:
    from ui.widgets.page import Page


def _table(view: QTableView) -> QTableView:
    read_only_rows(view)
    view.horizontalHeader().setHighlightSections(False)
    view.setTabKeyNavigation(False)
    return view


def _shortcut(widget: QWidget, keys: str, slot) -> None:  # noqa: ANN001
    shortcut = QShortcut(QKeySequence(keys), widget, slot)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)


def _size(size_bytes: int) -> str:
    return f"{size_bytes / 1024 / 1024:.1f} MB" if size_bytes >= 1024 * 1024 else f"{max(1, size_bytes // 1024)} KB"


class UsersTab(QWidget):
    """Accounts of this site: 新增用户 (Ctrl+N), 重置密码 (Ctrl+R), 停用/启用 (Ctrl+D), 修改角色 (Ctrl+E),
    and 解锁 for accounts locked by wrong passwords. The rules (not oneself, one active administrator
    always) are ``UserService``'s; refusals show as they come."""

    def __init__(self, page: Page) -> None:
        super().__init__()
        self.ctx = page.ctx
        self.model = UsersModel(self)
        self.view = _table(QTableView())
        self.view.setModel(self.model)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.add_button = QPushButton("新增用户 (Ctrl+N)")
        self.add_button.setProperty("kind", "primary")
        self.add_button.clicked.connect(self.add_user)
        self.unlock_button = QPushButton("解锁")
        self.unlock_button.setToolTip("解除因密码连续错误造成的锁定")
        self.unlock_button.clicked.connect(self.unlock)
        self.reset_button = QPushButton("重置密码 (Ctrl+R)")
        self.reset_button.setToolTip("为忘记密码的用户设置新密码")
        self.reset_button.clicked.connect(self.reset_password)
        self.active_button = QPushButton("停用 (Ctrl+D)")
        self.active_button.setToolTip("停用的用户不能登录；可随时重新启用")
        self.active_button.clicked.connect(self.toggle_active)
        self.role_button = QPushButton("修改角色 (Ctrl+E)")
        self.role_button.clicked.connect(self.change_role)
        self.message = QLabel()
        self.message.setProperty("role", "success")
        self.dialog: QWidget | None = None
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.active_button)
        buttons.addWidget(self.role_button)
        buttons.addWidget(self.unlock_button)
        buttons.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 12, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)
        _shortcut(self, "Ctrl+N", self.add_user)
        _shortcut(self, "Ctrl+R", self.reset_password)
        _shortcut(self, "Ctrl+D", self.toggle_active)
        _shortcut(self, "Ctrl+E", self.change_role)
        self._update_buttons()

    def refresh(self) -> None:
        sv = self.ctx.sv

        def load():  # noqa: ANN202
            return sv.users.list(), {u.user_id: u.locked_until for u in sv.status.locked_users()}

        Op(self, load).success(self._loaded).run()

    def _loaded(self, result) -> None:  # noqa: ANN001
        current = self.view.currentIndex().row()
        self.model.set_users(*result)
        if self.model.rowCount():
            row = min(max(current, 0), self.model.rowCount() - 1)
            self.view.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.view.currentIndex().row()
        chosen = 0 <= row < self.model.rowCount()
        self.unlock_button.setEnabled(chosen and self.model.is_locked(row))
        for button in (self.reset_button, self.active_button, self.role_button):
            button.setEnabled(chosen)
        active = not chosen or self.model.user(row).active
        self.active_button.setText("停用 (Ctrl+D)" if active else "启用 (Ctrl+D)")

    def current_user(self):  # noqa: ANN201 - UserInfo | None
        row = self.view.currentIndex().row()
        return self.model.user(row) if 0 <= row < self.model.rowCount() else None

    def reset_password(self) -> None:
        user = self.current_user()
        if user is None:
            return
        self._open(PasswordDialog(self.ctx, self, user), lambda d: d.done_text)

    def change_role(self) -> None:
        user = self.current_user()
        if user is None:
            return
        self._open(RoleDialog(self.ctx, user, self),
                   lambda d: d.changed and f"{d.changed.display_name} 的角色已改为 {d.changed.role.label}")

    def toggle_active(self) -> None:
        """停用 or 启用 the chosen user, after a confirmation (Enter confirms, Esc cancels)."""
        user = self.current_user()
        if user is None:
            return
        verb = "停用" if user.active else "启用"
        text = (f"停用 {user.display_name}（{user.username}）？停用后该用户不能登录，记录全部保留，可随时重新启用。"
                if user.active else f"启用 {user.display_name}（{user.username}）？启用后该用户可以用原密码登录。")
        box = QMessageBox(QMessageBox.Icon.Question, f"{verb}用户", text, QMessageBox.StandardButton.NoButton, self)
        yes = box.addButton(f"{verb}(&Y)", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(yes)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: self._answered(box.clickedButton() is yes, user))
        self.dialog = box
        box.open()

    def _answered(self, confirmed: bool, user) -> None:  # noqa: ANN001 - UserInfo
        self.dialog = None
        self.view.setFocus()
        if confirmed:
            self._set_active(user, not user.active)

    def _set_active(self, user, active: bool) -> None:  # noqa: ANN001 - UserInfo
        users = self.ctx.sv.users
        done = f"已{'启用' if active else '停用'} {user.display_name}（{user.username}）"
        Op(self, lambda: users.set_active(user.id, active)).success(lambda _u: self.message.setText(done)).failure(
            self._refused).changes("users").run()

    def _refused(self, error: Exception) -> None:
        from ui.errors import show_error

        self.message.setText("")
        show_error(self, error)

    def _open(self, dialog, text) -> None:  # noqa: ANN001 - a dialog, and what to say after it
        self.dialog = dialog
        dialog.finished.connect(lambda _r: self._closed(dialog, text(dialog)))
        dialog.open()

    def _closed(self, dialog, text: str | None) -> None:  # noqa: ANN001
        if text:
            self.message.setText(text)
        self.dialog = None
        dialog.deleteLater()
        self.view.setFocus()

    def add_user(self) -> None:
        dialog = NewUserDialog(self.ctx, self)
        dialog.finished.connect(lambda _r: self._added(dialog))
        dialog.open()

    def _added(self, dialog: NewUserDialog) -> None:
        if dialog.created is not None:
            self.message.setText(f"已新增用户 {dialog.created.username}（{dialog.created.role.label}）")
        dialog.deleteLater()

    def unlock(self) -> None:
        row = self.view.currentIndex().row()
        if not (0 <= row < self.model.rowCount()):
            return
        user = self.model.user(row)
        users = self.ctx.sv.users
        Op(self, lambda: users.unlock(user.id)).success(
            lambda _: self.message.setText(f"已解锁 {user.display_name}（{user.username}）")
        ).changes("users").run()


class BackupTab(QWidget):
    """立即备份 (Ctrl+B), where backups live, and the backups on disk."""

    def __init__(self, page: Page) -> None:
        super().__init__()
        self.ctx = page.ctx
        data = self.ctx.sv.data
        self.folder = QLabel(str(data.backups))
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        open_folder = QPushButton("打开文件夹")
        open_folder.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(data.backups))))
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder)
        folder_row.addSpacing(8)
        folder_row.addWidget(open_folder)
        folder_row.addStretch(1)
        self.extra = QLabel()
        info = QFormLayout()
        info.setHorizontalSpacing(24)
        info.addRow("备份文件夹", folder_row)
        info.addRow("第二备份位置", self.extra)
        info.addRow("保留规则", QLabel(f"每天最近 1 份，保留 {KEEP_DAILY} 天；每周 1 份，保留 {KEEP_WEEKLY} 周；"
                                      "每份备份都经过完整性检查"))
        self.backup_button = QPushButton("立即备份 (Ctrl+B)")
        self.backup_button.setProperty("kind", "primary")
        self.backup_button.clicked.connect(self.backup_now)
        self.result = QLabel()
        self.result.setProperty("role", "success")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(self.backup_button)
        row.addWidget(self.result, 1)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["备份时间", "文件", "大小"])
        _table(self.table)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        heading = QLabel("已有备份")
        heading.setProperty("role", "section")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 12, 4, 4)
        layout.setSpacing(12)
        layout.addLayout(info)
        layout.addLayout(row)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        _shortcut(self, "Ctrl+B", self.backup_now)

    def refresh(self) -> None:
        sv = self.ctx.sv
        Op(self, lambda: (sv.status.backups(), sv.settings.get("backup_folder"))).success(self._loaded).run()

    def _loaded(self, result) -> None:  # noqa: ANN001
        files, extra = result
        self.extra.setText(extra or "未设置（可在“机构设置”中选择U盘上的文件夹）")
        self.table.setRowCount(len(files))
        for i, f in enumerate(files):
            for col, text in enumerate((f"{f.at:%Y-%m-%d %H:%M:%S}", f.path.name, _size(f.size_bytes))):
                self.table.setItem(i, col, QTableWidgetItem(text))

    def backup_now(self) -> None:
        sv = self.ctx.sv
        self.backup_button.setEnabled(False)
        self.result.setText("正在备份…")
        Op(self, lambda: make_backup(sv.db, sv.data, None, sv.settings.get("backup_folder"))).success(
            self._done
        ).failure(self._failed).busy("正在备份数据库并检查完整性…").changes("backup").run()

    def _done(self, result: BackupResult) -> None:
        self.backup_button.setEnabled(True)
        text = f"已备份到 {result.path}（{_size(result.size_bytes)}）"
        if result.extra_copy:
            text += f"，并复制到 {result.extra_copy}"
        self.result.setText(text)

    def _failed(self, error: Exception) -> None:
        self.backup_button.setEnabled(True)
        self.result.setText("")
        from ui.errors import show_error

        show_error(self, error)


class AuditTab(QWidget):
    """The append-only audit log, newest first, filtered by kind of action; scrolls in pages."""

    def __init__(self, page: Page) -> None:
        super().__init__()
        self.model = AuditModel(page.ctx.sv, self)
        self.filter = QComboBox()
        for label, prefix in FILTERS.items():
            self.filter.addItem(label, prefix)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh())
        reload_button = QPushButton("刷新 (F5)")
        reload_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        filter_label = QLabel("类别(&K)")
        filter_label.setBuddy(self.filter)
        top.addWidget(filter_label)
        top.addWidget(self.filter)
        top.addWidget(reload_button)
        top.addStretch(1)
        self.view = _table(QTableView())
        self.view.setModel(self.model)
        header = self.view.horizontalHeader()
        for col in range(4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 12, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        _shortcut(self, "F5", self.refresh)

    def refresh(self) -> None:
        self.model.reload(self.filter.currentData())
