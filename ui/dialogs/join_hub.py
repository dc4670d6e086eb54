"""设置 → 加入乡镇同步服务: this standalone site, with all its data, joins the township's sync service.

The same 同步码 box as the set-up wizard (``ui.widgets.sync_code``). The work is ``Services.sync.join``
(``app.joining.join_existing``): the rules (administrators only, not joined already, the hub's
refusals) live there; a refusal is shown on the code's line and nothing is written.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import CunyiError

from ..syncing import progress_text
from ..widgets.sync_code import SyncCodeBox
from ..workers import Op

EXPLAIN = ("加入后，本机构已有的全部数据（居民、就诊结算、库存台账等）都保留，并上传到乡镇。"
           "本机构自建的药品按医保编码对照到乡镇药品目录，库存随之转入；对不上的药品列在 同步 页，"
           "请乡镇加入目录，之后同步时自动对照。")


class JoinHubDialog(QDialog):
    """Enter the code and 加入; ``joined`` holds the outcome once accepted."""

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.joined = None
        self.setWindowTitle("加入乡镇同步服务")
        self.setObjectName("joinHubDialog")
        self.setMinimumWidth(560)
        self.code_box = SyncCodeBox(self, on_valid_enter=lambda: self.join_button.setFocus())
        explain = QLabel(EXPLAIN)
        explain.setWordWrap(True)
        form = QFormLayout()
        form.addRow("同步码(&S)*", self.code_box.edit)
        form.addRow("", self.code_box.error)
        form.addRow("", self.code_box.hub)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.join_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.join_button.setText("加入(&J)")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.join)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.code_box.watch_enter()  # Enter (a scanner's) reads the code; a second Enter, on 加入, joins
        self.code_box.edit.setFocus()

    def join(self) -> None:
        if not self.code_box.check():
            if not self.code_box.edit.text().strip():
                self.code_box.show_error("请粘贴或扫描乡镇管理员给的同步码（CY1- 开头）")
            return
        sync, text = self.ctx.sv.sync, self.code_box.edit.text()
        self.join_button.setEnabled(False)
        op: Op[Any] = Op(self, lambda: sync.join(text, progress=lambda event: op.report(progress_text(event))))
        op.success(self._joined).failure(self._failed).changes("*").busy("正在加入乡镇同步服务并上传本机构数据…").run()

    def _joined(self, joined: Any) -> None:
        self.joined = joined
        self.ctx.site = replace(self.ctx.site, enrolled=joined.site.enrolled)
        self.accept()

    def _failed(self, error: CunyiError) -> None:
        self.join_button.setEnabled(True)
        self.code_box.show_error(str(error))
