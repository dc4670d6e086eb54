"""Schema migrations (Alembic), run at start-up after an automatic backup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from . import schema_head
from .connection import foreign_key_violation, set_foreign_keys
from .outbox import install_triggers

if TYPE_CHECKING:
    from alembic.config import Config

# alembic is imported only when a migration is due: it alone costs ~0.5 s of every start-up;
# whether one is due is ``app.db.schema_head.is_current``


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(schema_head.MIGRATIONS))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision``; at the head, (re)install the generated triggers.

    SQLite rebuilds a table for most ALTERs (copy, drop, rename). Dropping a table that other tables
    reference would fail with foreign keys on, so they are switched off for the migration (the
    pragma only works outside a transaction), every reference is verified with
    ``foreign_key_check`` before the commit, and they are switched on again.
    """
    from alembic import command

    from app.domain.errors import CunyiError

    config = alembic_config()
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        set_foreign_keys(raw, False)
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                command.upgrade(config, revision)
                if revision == "head" or revision == head_revision():
                    install_triggers(conn)
                broken = foreign_key_violation(raw)
                if broken is not None:
                    raise CunyiError(
                        f"数据库升级后表 {broken[0]} 引用了不存在的 {broken[2]} 记录，升级已撤销；"
                        "请联系技术支持并保留升级前的自动备份"
                    )
        finally:
            set_foreign_keys(raw, True)
