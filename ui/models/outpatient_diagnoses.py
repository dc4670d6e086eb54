"""The bundled list of common outpatient diagnoses (resources/catalog/diagnoses.csv, ICD-10): a list
model, and ``match_diagnoses`` for the diagnosis box (name, code or pinyin initials: ``gxy`` → 高血压).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from app.domain.pinyin import pinyin_abbr
from app.paths import resource

#: the completer matches this role: "name code pinyin" in lower case
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
CODE_ROLE = Qt.ItemDataRole.UserRole + 2
NAME_ROLE = Qt.ItemDataRole.UserRole + 3


@dataclass(frozen=True)
class Diagnosis:
    code: str
    name: str
    abbr: str


@lru_cache(maxsize=1)
def load_diagnoses() -> tuple[Diagnosis, ...]:
    """The bundled diagnoses, in file order (the most common first)."""
    with resource("catalog", "diagnoses.csv").open(encoding="utf-8-sig", newline="") as fh:
        return tuple(
            Diagnosis(row["code"].strip().upper(), row["name"].strip(), pinyin_abbr(row["name"].strip()))
            for row in csv.DictReader(fh) if row.get("code") and row.get("name")
        )


def match_diagnoses(text: str, limit: int = 10) -> list[Diagnosis]:
    """Diagnoses matching ``text``: code prefix first, then pinyin-initials prefix, then name/pinyin contains."""
    query = text.strip().lower()
    if not query:
        return []
    ranked: list[tuple[int, int, Diagnosis]] = []
    for i, d in enumerate(load_diagnoses()):
        if d.code.lower().startswith(query):
            rank = 0
        elif d.abbr.startswith(query):
            rank = 1
        elif query in d.name or query in d.abbr:
            rank = 2
        else:
            continue
        ranked.append((rank, i, d))
    return [d for _, _, d in sorted(ranked)[:limit]]


def chronic_names() -> dict[str, str]:
    """Code → name for the chronic qualification table (I10 and E11 as well as E11.9)."""
    out: dict[str, str] = {}
    for d in load_diagnoses():
        out.setdefault(d.code, d.name)
        out.setdefault(d.code.split(".")[0], d.name)
    out.update({"I10": "高血压", "E11": "糖尿病"})
    return out


class DiagnosisModel(QAbstractListModel):
    """One row per bundled diagnosis: shown as ``原发性高血压  I10``."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows = load_diagnoses()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        d = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{d.name}  {d.code}"
        if role == SEARCH_ROLE:
            return f"{d.name} {d.code} {d.abbr}".lower()
        if role == CODE_ROLE:
            return d.code
        if role in (NAME_ROLE, Qt.ItemDataRole.EditRole):
            return d.name
        return None

    def find_code(self, code: str) -> Diagnosis | None:
        code = code.strip().upper()
        return next((d for d in self._rows if d.code == code), None)
