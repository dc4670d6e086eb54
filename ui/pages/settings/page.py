"""设置: site settings, users, backups and the audit log, one tab each (admins only)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import CunyiError, ValidationError
from app.printing.thermal_connection import THERMAL_SETTING, parse_connection
from app.services.core.settings import SPECS, SettingSpec
from ui.pages.settings.admin import AuditTab, BackupTab, UsersTab
from ui.pages.settings.printer import PrinterCombo, ThermalPrinterBox
from ui.widgets.forms import ErrorLabel, focus_field
from ui.widgets.page import Page
from ui.workers import Op

#: settings whose value is a folder or a file picked with a dialog
_FOLDER_KEYS = {"backup_folder"}
_FILE_KEYS = {"policy_file": "待遇政策文件 (*.toml)"}
_CHOICES = {"receipt_paper": ("A5", "80mm")}


class SiteSettingsTab(QWidget):
    """What this site is, and the typed settings registry as a form with 保存 (Ctrl+S)."""

    def __init__(self, page: Page) -> None:
        super().__init__()
        self.page = page
        self.ctx = page.ctx
        self.loaded: dict[str, Any] = {}
        self.editors: dict[str, QWidget] = {}

        site = self.ctx.site
        info = QFormLayout()
        info.setHorizontalSpacing(16)
        info.setVerticalSpacing(8)
        info.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        info.addRow("机构名称", QLabel(site.name))
        info.addRow("机构类型", QLabel(site.kind.label))
        if site.code:
            info.addRow("机构编码", QLabel(site.code))
        if site.region:
            info.addRow("所在地区", QLabel(site.region))
        site_id = QLabel(site.id)
        site_id.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        site_id.setProperty("role", "hint")
        site_id.setWordWrap(True)
        info.addRow("机构标识", site_id)

        form = QFormLayout()
        form.setHorizontalSpacing(24)
        form.setVerticalSpacing(10)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for spec in SPECS.values():
            form.addRow(spec.label, self._editor(spec))

        self.error = ErrorLabel()
        self.message = QLabel()
        self.message.setProperty("role", "success")
        self.save_button = QPushButton("保存 (Ctrl+S)")
        self.save_button.setProperty("kind", "primary")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("还原")
        self.revert_button.setToolTip("放弃未保存的修改")
        self.revert_button.clicked.connect(lambda: self._fill(self.loaded))
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.message, 1)

        params = QWidget()
        column = QVBoxLayout(params)
        column.setContentsMargins(4, 4, 16, 4)
        column.setSpacing(10)
        heading = QLabel("参数")
        heading.setProperty("role", "section")
        column.addWidget(heading)
        column.addLayout(form)
        column.addWidget(self.error)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(params)

        site_box = QFrame()
        site_box.setObjectName("infoPanel")
        site_box.setFixedWidth(330)
        site_column = QVBoxLayout(site_box)
        site_column.setContentsMargins(18, 14, 18, 14)
        site_heading = QLabel("本机机构")
        site_heading.setProperty("role", "section")
        site_column.addWidget(site_heading)
        site_column.addLayout(info)
        # a standalone site joins the township's sync service with its data (administrators)
        self.join_button = QPushButton("加入乡镇同步服务…")
        self.join_button.setObjectName("joinHubButton")
        self.join_button.setToolTip("用乡镇管理员给的同步码加入；本机构已有的数据都保留并上传")
        self.join_button.clicked.connect(self.ask_join)
        self.join_message = QLabel()
        self.join_message.setWordWrap(True)
        self.join_message.setProperty("role", "success")
        self.join_message.hide()
        site_column.addWidget(self.join_button)
        site_column.addWidget(self.join_message)
        self.join_button.setHidden(not self.ctx.allows("sync.join") or site.enrolled)
        site_column.addStretch(1)

        row = QHBoxLayout()
        row.setSpacing(16)
        row.addWidget(scroll, 1)
        row.addWidget(site_box, 0, Qt.AlignmentFlag.AlignTop)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(10)
        outer.addLayout(row, 1)
        outer.addLayout(buttons)

        shortcut = QShortcut(QKeySequence("Ctrl+S"), self, self.save)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def _editor(self, spec: SettingSpec) -> QWidget:
        if spec.type is int:
            editor: QWidget = QSpinBox()
            editor.setRange(spec.minimum if spec.minimum is not None else 0,
                            spec.maximum if spec.maximum is not None else 1_000_000)
            editor.setFixedWidth(180)
            self.editors[spec.key] = editor
            return editor
        if spec.key == "printer_name":
            editor = PrinterCombo()
            self.editors[spec.key] = editor
            return editor
        if spec.key == THERMAL_SETTING:
            editor = ThermalPrinterBox()
            self.editors[spec.key] = editor
            return editor
        if spec.key in _CHOICES:
            editor = QComboBox()
            editor.addItems(_CHOICES[spec.key])
            self.editors[spec.key] = editor
            return editor
        line = QLineEdit()
        line.setMinimumWidth(300)
        self.editors[spec.key] = line
        if spec.key not in _FOLDER_KEYS and spec.key not in _FILE_KEYS:
            return line
        line.setPlaceholderText("未设置" if spec.key in _FOLDER_KEYS else "未设置（使用示例政策文件）")
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(line, 1)
        pick = QPushButton("选择…")
        pick.clicked.connect(lambda _=False, key=spec.key: self._pick(key))
        box.addWidget(pick)
        return row

    def _pick(self, key: str) -> None:
        line = self.editors[key]
        assert isinstance(line, QLineEdit)
        if key in _FOLDER_KEYS:
            chosen = QFileDialog.getExistingDirectory(self, SPECS[key].label, line.text())
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, SPECS[key].label, line.text(), _FILE_KEYS[key])
        if chosen:
            line.setText(chosen)

    # -- values ---------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, editor in self.editors.items():
            if isinstance(editor, (QSpinBox, PrinterCombo, ThermalPrinterBox)):
                out[key] = editor.value()
            elif isinstance(editor, QComboBox):
                out[key] = editor.currentText()
            else:
                out[key] = editor.text().strip()
        return out

    def _fill(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            editor = self.editors.get(key)
            if isinstance(editor, QSpinBox):
                editor.setValue(int(value))
            elif isinstance(editor, (PrinterCombo, ThermalPrinterBox)):
                editor.set_value(str(value))
            elif isinstance(editor, QComboBox):
                index = editor.findText(str(value))
                editor.setCurrentIndex(max(0, index))
            elif isinstance(editor, QLineEdit):
                editor.setText(str(value))
        self.error.clear_error()

    def refresh(self) -> None:
        printers = self.editors.get("printer_name")
        if isinstance(printers, PrinterCombo):
            printers.reload_printers()  # a printer added since the page was built
        settings, sync = self.ctx.sv.settings, self.ctx.sv.sync
        Op(self, settings.all).success(self._loaded).run()
        if self.ctx.allows("sync.join"):
            Op(self, sync.joined).success(lambda joined: self.join_button.setHidden(joined)).run()

    def ask_join(self) -> None:
        from ui.dialogs.join_hub import JoinHubDialog

        self.join_dialog = JoinHubDialog(self.ctx, self)
        self.join_dialog.accepted.connect(self._joined)
        self.join_dialog.open()

    def _joined(self) -> None:
        joined = self.join_dialog.joined
        self.join_button.hide()
        text = "已加入乡镇同步服务，本机构数据已上传。"
        if joined is not None and joined.sync_error:
            text = f"已加入乡镇同步服务，但首次同步没有完成：{joined.sync_error}。请到 同步 页点 立即同步。"
        self.join_message.setText(text + "自建药品的对照情况见 同步 页。")
        self.join_message.show()

    def _loaded(self, values: dict[str, Any]) -> None:
        self.loaded = dict(values)
        self._fill(values)

    def unsaved_work(self) -> str | None:
        """Settings changed in the form and not saved (保存 is Ctrl+S)."""
        if self.loaded and any(self.loaded.get(k) != v for k, v in self.values().items()):
            return "机构设置：有修改尚未保存"
        return None

    def save(self) -> None:
        changed = {k: v for k, v in self.values().items() if self.loaded.get(k) != v}
        if not changed:
            self.message.setText("没有需要保存的修改")
            return
        if THERMAL_SETTING in changed:  # checked before anything is written: a refusal saves nothing
            try:
                parse_connection(changed[THERMAL_SETTING])
            except ValidationError as error:
                self._failed(error)
                return
        settings = self.ctx.sv.settings

        def write() -> int:
            for key, value in changed.items():
                settings.set(key, value)
            return len(changed)

        self.save_button.setEnabled(False)
        Op(self, write).success(self._saved).failure(self._failed).busy().changes("settings").run()

    def _saved(self, count: int) -> None:
        self.save_button.setEnabled(True)
        self.message.setText(f"已保存 {count} 项设置")

    def _failed(self, error: Exception) -> None:
        self.save_button.setEnabled(True)
        self.message.clear()
        self.error.show_error(str(error))
        thermal = self.editors.get(THERMAL_SETTING)
        if isinstance(error, CunyiError) and isinstance(thermal, ThermalPrinterBox):
            focus_field(error, thermal.fields)


class SettingsPage(Page):
    """The admin's page: 机构设置 · 用户 · 备份 · 操作日志."""

    area = "settings"
    watches = ("settings", "users", "backup")
    TABS = ("site", "users", "backup", "audit")

    def __init__(self, ctx, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(ctx, parent)
        self.add_header("机构参数、用户账户、数据备份与操作日志 · Ctrl+Tab 切换分页")
        self.tabs = QTabWidget()
        self.site_tab = SiteSettingsTab(self)
        self.users_tab = UsersTab(self)
        self.backup_tab = BackupTab(self)
        self.audit_tab = AuditTab(self)
        self.tabs.addTab(self.site_tab, "机构设置")
        self.tabs.addTab(self.users_tab, "用户")
        self.tabs.addTab(self.backup_tab, "备份")
        self.tabs.addTab(self.audit_tab, "操作日志")
        self.body().addWidget(self.tabs, 1)

    def refresh(self) -> None:
        for tab in (self.site_tab, self.users_tab, self.backup_tab, self.audit_tab):
            tab.refresh()

    def open_target(self, target: str | None) -> None:
        if target in self.TABS:
            self.tabs.setCurrentIndex(self.TABS.index(target))

    def unsaved_work(self) -> str | None:
        return self.site_tab.unsaved_work()

    def focus_first(self) -> None:
        self.tabs.setFocus()
