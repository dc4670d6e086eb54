"""``cunyi check``: integrity rules over one database. Each rule yields violations in Chinese.

Areas register their rules with ``@rule``; ``run_checks`` stops at the first violation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from app.db.connection import file_check, foreign_key_violation
from app.db.health import damaged_file_error

Rule = Callable[[Session], Iterator[str]]
RULES: list[tuple[str, Rule]] = []


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES.append((name, fn))
        return fn

    return register


@rule("SQLite 完整性")
def _integrity(session: Session) -> Iterator[str]:
    if not file_check(session.connection().connection.dbapi_connection, "integrity_check"):
        # a damaged file: the message start-up gives (the file, the way back), not a rule's violation
        raise damaged_file_error(Path(session.get_bind().url.database))
    yield from ()


@rule("外键")
def _foreign_keys(session: Session) -> Iterator[str]:
    row = foreign_key_violation(session.connection().connection.dbapi_connection)
    if row is not None:
        yield f"表 {row[0]} 第 {row[1]} 行引用了不存在的 {row[2]} 记录"


def run_checks(session: Session) -> tuple[list[str], str | None]:
    """Run every rule; return the names checked and the first violation (or None)."""
    _load_area_rules()
    checked = []
    for name, fn in RULES:
        checked.append(name)
        for violation in fn(session):
            return checked, f"{name}：{violation}"
    return checked, None


def _load_area_rules() -> None:
    """Import the modules whose rules register themselves."""
    import importlib

    for module in ("app.services.stock.service", "app.services.settlement.service", "app.services.transfers.service"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
