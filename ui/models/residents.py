"""Table models of the residents area: the resident list (the site's, paged, or a search result), and the
two editable tables of the resident dialog (enrollment years 参保年度, chronic qualifications 慢特病资格)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont

from app.domain import clock
from app.domain.digits import FULL_WIDTH, is_ascii_digits
from app.services.residents.types import ChronicRecord, EnrollmentRecord, ResidentInfo

from .base import ColumnsModel

Index = QModelIndex | QPersistentModelIndex
_RED = QColor("#b3261e")
_GREY = QColor("#7b8794")
_TOWN = re.compile(r"^.{0,12}?[县区市旗].{0,12}?[镇乡]")
#: records fetched at a time when the site's list scrolls on
PAGE_SIZE = 100
#: ``loader(ids, done)``: read the records of ``ids`` (on the database thread) and call ``done(records)``
Loader = Callable[[list[str], Callable[[list[ResidentInfo]], None]], None]


class ResidentsModel(ColumnsModel):
    """The 居民档案 list: a search result (loaded whole), or this site's residents in list order.

    For the site's list the model knows every id (``ResidentService.site_roster``) and holds the
    records of the first rows; ``fetchMore`` asks ``loader(ids, done)`` for the next ``page_size``
    records (the page runs it on the database thread) and appends them when ``done`` is called.
    """

    COLUMNS = ("姓名", "性别", "年龄", "身份证号", "住址", "参保", "手机号", "救助 / 慢特病")
    NAME, ADDRESS, ENROLLED, FLAGS = 0, 4, 5, 7

    def __init__(self, parent: Any = None, today: date | None = None, loader: Loader | None = None,
                 page_size: int | None = None) -> None:
        super().__init__(parent)
        self.today = today or clock.today()
        self.loader = loader
        self.page_size = page_size or PAGE_SIZE
        self._rows: list[ResidentInfo] = []
        self._ids: tuple[str, ...] = ()
        self._listing = False
        self._loading = False
        self._generation = 0

    def set_residents(self, residents: list[ResidentInfo]) -> None:
        """Show a search result (every record given)."""
        self._reset(list(residents), tuple(r.id for r in residents), listing=False)

    def set_roster(self, ids: Sequence[str], first: list[ResidentInfo]) -> None:
        """Show the site's list: ``ids`` in order, the records of its first rows in ``first``."""
        self._reset(list(first), tuple(ids), listing=True)

    def _reset(self, rows: list[ResidentInfo], ids: tuple[str, ...], listing: bool) -> None:
        self._generation += 1
        self.beginResetModel()
        self._rows, self._ids, self._listing, self._loading = rows, ids, listing, False
        self.endResetModel()

    def is_listing(self) -> bool:
        """True when the model shows the site's list (not a search result)."""
        return self._listing

    def total(self) -> int:
        """How many residents the list holds, loaded or not."""
        return len(self._ids)

    def loaded(self) -> int:
        return len(self._rows)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return (not parent.isValid() and self.loader is not None and not self._loading
                and len(self._rows) < len(self._ids))

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if not self.canFetchMore(parent):
            return
        assert self.loader is not None
        self._loading = True
        generation, start = self._generation, len(self._rows)
        chunk = list(self._ids[start:start + self.page_size])
        self.loader(chunk, lambda found: self._fetched(generation, start, len(chunk), found))

    def _fetched(self, generation: int, start: int, asked: int, found: list[ResidentInfo]) -> None:
        if generation != self._generation:
            return
        self._loading = False
        # a record that disappeared meanwhile drops out of the ids too, so the list still ends
        self._ids = self._ids[:start] + tuple(r.id for r in found) + self._ids[start + asked:]
        if found:
            self.beginInsertRows(QModelIndex(), start, start + len(found) - 1)
            self._rows.extend(found)
            self.endInsertRows()

    def resident(self, row: int) -> ResidentInfo | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, resident_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == resident_id), -1)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and section == self.ENROLLED:
            return f"{self.today.year}年"
        return super().headerData(section, orientation, role)

    def _flags(self, r: ResidentInfo) -> str:
        flags = [r.assistance_label] if r.assistance_label else []
        return " · ".join(flags + [c.name for c in r.chronic if c.valid_on(self.today)])

    def _enrolled(self, r: ResidentInfo) -> str:
        if r.coverage is not None and self.today == clock.today():
            return r.coverage.label  # 门诊收费's words: 已参保 / 未参保 / 等待期至…
        return "已参保" if self.today.year in r.covered_years else "未参保"

    def _covered(self, r: ResidentInfo) -> bool:
        if r.coverage is not None and self.today == clock.today():
            return r.coverage.eligible
        return self.today.year in r.covered_years

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            values = (r.name, r.sex_label, str(r.age_on(self.today)), r.masked_id, short_address(r.address), self._enrolled(r),
                      r.phone, self._flags(r))
            return values[col] if 0 <= col < len(values) else None
        if role == Qt.ItemDataRole.ForegroundRole and col == self.ENROLLED and not self._covered(r):
            return _RED
        if role == Qt.ItemDataRole.ForegroundRole and not r.owned_here:
            return _GREY
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.NAME:
                relation = "户主" if r.relation_to_head == "本人" else f"与户主关系：{r.relation_to_head}"
                return relation + ("" if r.owned_here else "（该居民档案属于其他机构，本机只读）")
            if col == self.ENROLLED:
                return "参保年度：" + ("、".join(str(y) for y in sorted(r.covered_years)) or "无")
            if col == self.ADDRESS:
                return r.address
            if col == self.FLAGS and self._flags(r):
                return self._flags(r)
            return None if r.owned_here else "该居民档案属于其他机构，本机只读"
        if role == Qt.ItemDataRole.FontRole and col == self.NAME and self._listing and r.relation_to_head == "本人":
            font = QFont()  # only the weight is set: the view's family and size stay
            font.setBold(True)
            return font  # the list runs household by household: each starts with its head in bold
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def short_address(address: str) -> str:
    """The address without its county and town (``示例县示例镇西河村6组14号`` → ``西河村6组14号``)."""
    match = _TOWN.match(address or "")
    rest = address[match.end():] if match else address
    return rest or address


def _parse_date(text: str) -> date | None:
    raw = str(text or "").translate(FULL_WIDTH).strip().replace("/", "-").replace(".", "-")
    if not raw.isascii():
        return None
    if len(raw) == 8 and raw.isdigit():
        raw = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


class _EditableRows(ColumnsModel):
    """A small editable table of plain rows; ``problem(str)`` tells the dialog why an edit was refused."""

    CHECKS: frozenset[int] = frozenset()
    problem = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[list[Any]] = []

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in self.CHECKS:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(self.COLUMNS):
            return None
        value = self._rows[index.row()][index.column()]
        if index.column() in self.CHECKS:
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if value else Qt.CheckState.Unchecked
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return value.isoformat() if isinstance(value, date) else str(value)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return False
        col = index.column()
        if col in self.CHECKS:
            if role != Qt.ItemDataRole.CheckStateRole:
                return False
            state = value.value if hasattr(value, "value") else value
            self._rows[index.row()][col] = state == Qt.CheckState.Checked.value
        elif role == Qt.ItemDataRole.EditRole:
            parsed = self.parse(index.row(), col, str(value))
            if parsed is None:
                return False
            self._rows[index.row()][col] = parsed
        else:
            return False
        self.dataChanged.emit(index, index.siblingAtColumn(self.columnCount() - 1))
        return True

    def parse(self, row: int, col: int, text: str) -> Any:
        raise NotImplementedError

    def add_row(self, values: list[Any]) -> int:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(values)
        self.endInsertRows()
        return row

    def remove_row(self, row: int) -> None:
        if 0 <= row < len(self._rows):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()


class EnrollmentModel(_EditableRows):
    """参保年度: year, enrollment (payment) date, central period, repaid gap years, newborn."""

    COLUMNS = ("年度", "参保(缴费)日期", "集中参保期", "补缴年数", "新生儿")
    CHECKS = frozenset({2, 4})

    def set_records(self, records: tuple[EnrollmentRecord, ...]) -> None:
        self.beginResetModel()
        self._rows = [[e.year, e.enrolled_on, e.central_period, e.repaid_years, e.newborn]
                      for e in sorted(records, key=lambda e: e.year)]
        self.endResetModel()

    def records(self) -> tuple[EnrollmentRecord, ...]:
        return tuple(EnrollmentRecord(int(y), d, bool(c), int(r), bool(n)) for y, d, c, r, n in self._rows)

    def years(self) -> set[int]:
        return {int(r[0]) for r in self._rows}

    def parse(self, row: int, col: int, text: str) -> Any:
        text = text.translate(FULL_WIDTH).strip()
        if col == 0:
            if not is_ascii_digits(text) or len(text) != 4 or not 2000 <= int(text) <= 2100:
                self.problem.emit(f"参保年度“{text}”不对，应为 2000–2100 的年份，如 2026")
                return None
            if int(text) in self.years() - {int(self._rows[row][0])}:
                self.problem.emit(f"参保年度 {text} 已经登记，每年只登记一次")
                return None
            return int(text)
        if col == 1:
            parsed = _parse_date(text)
            if parsed is None:
                self.problem.emit(f"参保日期“{text}”不对，请按 2025-11-15 的格式输入")
            return parsed
        if col == 3:
            if not is_ascii_digits(text) or len(text) > 2 or int(text) > 20:
                self.problem.emit(f"补缴年数“{text}”应为 0–20 的整数")
                return None
            return int(text)
        return None


class ChronicModel(_EditableRows):
    """门诊慢特病资格: disease code and name, valid from/to. ``names`` fills the name from the code."""

    COLUMNS = ("编码", "病种名称", "有效期起", "有效期止")

    def __init__(self, parent: Any = None, names: dict[str, str] | None = None) -> None:
        super().__init__(parent)
        self.names = dict(names or {})

    def set_records(self, records: tuple[ChronicRecord, ...]) -> None:
        self.beginResetModel()
        self._rows = [[c.code, c.name, c.valid_from, c.valid_to] for c in records]
        self.endResetModel()

    def records(self) -> tuple[ChronicRecord, ...]:
        return tuple(ChronicRecord(str(c), str(n), f, t) for c, n, f, t in self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and 0 <= index.row() < len(self._rows):
            valid_to = self._rows[index.row()][3]
            return _RED if isinstance(valid_to, date) and valid_to < clock.today() else None
        return super().data(index, role)

    def parse(self, row: int, col: int, text: str) -> Any:
        text = text.strip()
        if col == 0:
            code = text.upper()
            if not code or len(code) > 16:
                self.problem.emit("慢特病病种编码不能为空（最多 16 位），如 I10")
                return None
            if not self._rows[row][1] and code in self.names:
                self._rows[row][1] = self.names[code]
            return code
        if col == 1:
            if not text:
                self.problem.emit("慢特病病种名称不能为空，如 高血压")
                return None
            return text[:32]
        parsed = _parse_date(text)
        if parsed is None:
            self.problem.emit(f"有效期“{text}”不对，请按 2027-06-30 的格式输入")
        return parsed
