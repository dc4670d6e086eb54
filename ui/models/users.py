"""This site's user accounts as a table model (a short list: loaded whole)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.services.core.identity import UserInfo

from .base import ColumnsModel


class UsersModel(ColumnsModel):
    COLUMNS = ("用户名", "姓名", "角色", "状态")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[UserInfo] = []
        self._locked: dict[str, datetime] = {}

    def set_users(self, users: list[UserInfo], locked: dict[str, datetime]) -> None:
        self.beginResetModel()
        self._rows = list(users)
        self._locked = dict(locked)
        self.endResetModel()

    def user(self, row: int) -> UserInfo:
        return self._rows[row]

    def is_locked(self, row: int) -> bool:
        return self._rows[row].id in self._locked

    def _status(self, user: UserInfo) -> str:
        if not user.active:
            return "已停用"
        until = self._locked.get(user.id)
        if until is not None:
            return f"已锁定（至 {until:%H:%M}）"
        return "正常"

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        user = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (user.username, user.display_name, user.role.label, self._status(user))[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 3 and user.id in self._locked:
            return QColor("#b3261e")
        return None
