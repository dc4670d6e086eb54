"""同步: how this site's sync with the township hub stands, and 立即同步 (DESIGN §4).

At the top a summary: joined or standalone, the last sync and how it ended, the rows written here and
not yet sent (待上传, with the oldest's time: what restoring a backup could lose), and the big 立即同步
button (F5) with its progress. Below, the changes the hub rejected: table, field, reason, what to do.

The sync itself runs on ``AppContext.background_sync``'s own thread, never on the database worker;
this page only starts it and shows how it goes. A standalone site is told plainly how to join.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QProgressBar, QPushButton, QTableView, QVBoxLayout

from app.domain import clock
from ui.models.sync import RejectionsModel
from ui.widgets.forms import ErrorLabel
from ui.widgets.layout import hint, row, section, setup_table, shortcut, size_columns
from ui.widgets.page import Page
from ui.workers import Op

STYLE = """
QFrame#syncSummary { background: #ffffff; border: 1px solid #d9e2ec; border-radius: 8px; }
QLabel#syncHeadline { font-size: 18px; font-weight: bold; color: #102a43; }
QLabel#syncHeadline[state="error"] { color: #b42318; }
QLabel#syncHeadline[state="standalone"] { color: #52606d; }
QLabel[role="figure"] { font-size: 15px; color: #102a43; }
QPushButton#syncNow { font-size: 16px; padding: 10px 28px; min-width: 160px; }
"""

NOT_JOINED_HELP = ("本站单机运行，数据只保存在这台电脑上，没有加入乡镇同步服务。\n"
                   "加入方法：向乡镇卫生院的管理员要一个同步码（CY1- 开头的一行字或二维码）；"
                   "新装的电脑在建站向导第 1 步选「加入乡镇同步服务」，粘贴或扫码即可；"
                   "也可以用命令 cunyi init --code 同步码 建站加入。")

#: what a village does about its own drugs the township catalog lacks; how many the page lists
UNMAPPED_TODO = ("本站加入乡镇前自建的这些药品，乡镇目录里还没有同医保编码的药品，仍可照常使用。"
                 "请乡镇把这些药品加入目录；乡镇加入后，下次同步会自动对照并把库存转到乡镇目录的药品上。")
UNMAPPED_SHOWN = 10


def when(at: datetime | None) -> str:
    """A time as the page shows it: 今天 09:30, 昨天 17:05, or 06-12 08:00 (with the year when not this one)."""
    if at is None:
        return "—"
    days = (clock.today() - at.date()).days
    if days == 0:
        return f"今天 {at:%H:%M}"
    if days == 1:
        return f"昨天 {at:%H:%M}"
    return f"{at:%m-%d %H:%M}" if at.year == clock.today().year else f"{at:%Y-%m-%d %H:%M}"


class SyncPage(Page):
    """同步: summary, 立即同步 (F5) and the rejected changes."""

    area = "sync"
    watches = ("sync", "*")

    def __init__(self, ctx: Any, parent: Any = None) -> None:
        super().__init__(ctx, parent)
        self.setStyleSheet(STYLE)
        self.hint = self.add_header("与乡镇同步服务交换数据：本站的新记录上传，乡镇和其他站的变化取回")
        self.status: Any = None

        card = QFrame()
        card.setObjectName("syncSummary")
        box = QVBoxLayout(card)
        box.setContentsMargins(20, 16, 20, 16)
        box.setSpacing(10)
        self.headline = QLabel("正在读取…")
        self.headline.setObjectName("syncHeadline")
        self.headline.setWordWrap(True)
        box.addWidget(self.headline)
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(8)
        self.last_sync = self._figure(grid, 0, "上次同步")
        self.pending = self._figure(grid, 1, "待上传")
        self.pulled = self._figure(grid, 2, "已取回")
        grid.setColumnStretch(1, 1)
        box.addLayout(grid)
        self.error = ErrorLabel()
        box.addWidget(self.error)
        self.help = hint(NOT_JOINED_HELP)
        self.help.setObjectName("syncHelp")
        self.help.setWordWrap(True)
        self.help.hide()
        box.addWidget(self.help)

        self.sync_button = QPushButton("立即同步 (F5)")
        self.sync_button.setObjectName("syncNow")
        self.sync_button.setProperty("kind", "primary")
        self.sync_button.setToolTip("上传本站的新记录，再取回乡镇的变化（F5）")
        self.sync_button.clicked.connect(lambda _=False: self.sync_now())
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)  # busy: a page count is not known in advance
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedWidth(180)
        self.progress_bar.hide()
        self.progress_label = hint()
        self.progress_label.setObjectName("syncProgress")
        box.addLayout(row(self.sync_button, self.progress_bar, self.progress_label, None, spacing=14))
        self.body().addWidget(card)

        # a village that kept its own drugs while standalone: the ones the township catalog lacks
        self.unmapped_title = section("待乡镇加入目录的药品")
        self.unmapped_title.setObjectName("unmappedTitle")
        self.unmapped = QLabel()
        self.unmapped.setObjectName("unmappedDrugs")
        self.unmapped.setWordWrap(True)
        self.unmapped.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for widget in (self.unmapped_title, self.unmapped):
            widget.hide()
            self.body().addWidget(widget)

        self.rejections_title = section("乡镇同步服务拒绝的变化")
        self.body().addWidget(self.rejections_title)
        self.rejections_hint = hint("没有被拒绝的变化。")
        self.body().addWidget(self.rejections_hint)
        self.model = RejectionsModel(self)
        self.table = QTableView()
        self.table.setObjectName("rejections")
        self.table.setModel(self.model)
        setup_table(self.table)
        self.table.setWordWrap(True)
        size_columns(self.table, (110, 90, 420, 330, 130), stretch=2)
        self.body().addWidget(self.table, 1)

        shortcut(self, "F5", self.sync_now)
        background = ctx.background_sync
        background.started.connect(self._started)
        background.progress.connect(self.progress_label.setText)
        background.finished.connect(self._finished)
        if background.running():
            self._started()

    def _figure(self, grid: QGridLayout, line: int, name: str) -> QLabel:
        label = QLabel(f"{name}：")
        label.setProperty("role", "figure")
        value = QLabel("—")
        value.setProperty("role", "figure")
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(label, line, 0, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(value, line, 1)
        return value

    # -- data -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        sv = self.ctx.sv
        Op(self, lambda: sv.sync.status()).success(self.show_status).run()
        Op(self, lambda: sv.sync.unmapped_drugs()).success(self.show_unmapped).run()

    def show_unmapped(self, drugs: list[Any]) -> None:
        """The village's own drugs the township catalog has no drug for yet, and what to do."""
        lines = [f"· {d.generic_name} {d.strength}（医保编码 {d.national_code or '无'}，结存 {d.on_hand_units}）：{d.reason}"
                 for d in drugs[:UNMAPPED_SHOWN]]
        if len(drugs) > UNMAPPED_SHOWN:
            lines.append(f"…… 共 {len(drugs)} 种，全部清单：cunyi report unmapped-drugs")
        self.unmapped_title.setText(f"待乡镇加入目录的药品（{len(drugs)} 种）")
        self.unmapped.setText("\n".join([UNMAPPED_TODO, *lines]))
        for widget in (self.unmapped_title, self.unmapped):
            widget.setVisible(bool(drugs))

    def show_status(self, status: Any) -> None:
        self.status = status
        running = self.ctx.background_sync.running()
        if not status.joined:
            self.headline.setText("未加入乡镇同步服务（单机运行）")
            self.headline.setProperty("state", "standalone")
        elif status.failing:
            self.headline.setText(f"同步出错 · 乡镇同步服务 {status.hub_url}")
            self.headline.setProperty("state", "error")
        else:
            self.headline.setText(f"已加入乡镇同步服务 · {status.hub_url}")
            self.headline.setProperty("state", "ok")
        self.headline.style().polish(self.headline)
        self.help.setVisible(not status.joined)
        self.sync_button.setEnabled(status.joined and not running)
        if not status.joined:
            self.last_sync.setText("从未同步")
        elif status.failing:
            done = f"；上次成功 {when(status.last_sync_at)}" if status.last_sync_at else "；还没有成功同步过"
            self.last_sync.setText(f"{when(status.last_error_at)} 失败{done}")
        elif status.last_sync_at is not None:
            self.last_sync.setText(f"{when(status.last_sync_at)} 成功")
        else:
            self.last_sync.setText("还没有同步过")
        self.error.show_error(f"同步没有完成：{status.last_error}" if status.failing else "")
        if status.pending:
            oldest = f"（最早一条写于 {when(status.oldest_pending_at)}）" if status.oldest_pending_at else ""
            lose = "；这些记录只在本机，从备份恢复会丢失它们" if status.joined else "；加入乡镇同步服务后上传"
            self.pending.setText(f"{status.pending} 条{oldest}{lose}")
        else:
            self.pending.setText("0 条，本站的记录都已上传" if status.joined else "0 条")
        if not status.joined:
            self.pulled.setText("—")
        elif status.pulled_seq:
            self.pulled.setText(f"已取回到乡镇同步服务的第 {status.pulled_seq} 号变化")
        else:
            self.pulled.setText("还没有从乡镇同步服务取回变化")
        count = len(status.rejections)
        self.rejections_title.setText(f"乡镇同步服务拒绝的变化（{count} 条）" if count else "乡镇同步服务拒绝的变化")
        self.rejections_hint.setText("以下记录没有被乡镇接受，请按“处理办法”处理；处理前这些记录只在本机。"
                                     if count else "没有被拒绝的变化。")
        self.model.set_rows(status.rejections)
        self.table.resizeRowsToContents()

    # -- 立即同步 ----------------------------------------------------------------------------------
    def sync_now(self) -> None:
        """立即同步 (F5): start a sync; while one runs, this one waits for it."""
        if self.status is not None and not self.status.joined:
            self.error.show_error("本站还没有加入乡镇同步服务，无法同步。" + "加入方法见下方说明。")
            return
        self.ctx.background_sync.start()

    def _started(self) -> None:
        self.sync_button.setEnabled(False)
        self.progress_bar.show()
        self.progress_label.setText("正在连接乡镇同步服务…")

    def _finished(self, result: Any, error: str | None) -> None:
        self.progress_bar.hide()
        if error is None:
            parts = [f"上传 {result.pushed} 条", f"取回 {result.pulled} 条"]
            if result.rejected:
                parts.append(f"被拒绝 {result.rejected} 条")
            self.progress_label.setText(f"{clock.now():%H:%M} 同步完成：" + "，".join(parts))
        else:
            self.progress_label.setText(f"{clock.now():%H:%M} 同步没有完成")
            self.error.show_error(f"同步没有完成：{error}")
        self.sync_button.setEnabled(self.status is None or self.status.joined)

    def focus_first(self) -> None:
        if self.sync_button.isEnabled():
            self.sync_button.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
