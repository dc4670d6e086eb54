"""The hub's own tables, on a metadata of their own (not the sites' ``Base``), for SQLite and PostgreSQL.

- ``hub_sites``: every enrolled (or to-be-enrolled) site, its token hash and its database's identity.
- ``applied_ops``: ``(site_id, op_id)`` of every op applied; a second copy is acknowledged and skipped.
- ``rejected_ops``: ops refused, with table, field, reason and what to do; kept, never dropped.
- ``records``: the last payload of every record any site owns (the hub holds them all).
- ``resident_ids``: which resident record holds an ID number across the township.
- ``changelog``: one row per applied op; ``seq`` is given under a lock inside the applying
  transaction, so seq order is commit order and a puller's cursor never skips a late commit.
- ``hub_meta``: the schema version of these tables.

The schema is made with ``create_all``; ``SCHEMA_VERSION`` is stored in ``hub_meta`` and checked on
every start, so a later release can add steps in ``upgrade`` for older hub databases.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    select,
    text,
)

from app.domain.errors import RuleViolation

SCHEMA_VERSION = 2

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
})

hub_meta = Table(
    "hub_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

hub_sites = Table(
    "hub_sites", metadata,
    Column("site_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(100), nullable=False),
    Column("township_site_id", String(64)),
    Column("created_at", DateTime, nullable=False),
    Column("enroll_secret_hash", String(200), nullable=False),
    Column("enroll_used", Boolean, nullable=False, default=False),
    Column("token_hash", String(200)),
    Column("enrolled_at", DateTime),
    Column("db_instance_id", String(64)),
    Column("last_local_seq", BigInteger, nullable=False, default=0),
    Column("acked_local_seq", BigInteger, nullable=False, default=0),
    Column("last_sync_at", DateTime),
)

applied_ops = Table(
    "applied_ops", metadata,
    Column("site_id", String(64), nullable=False),
    Column("op_id", String(64), nullable=False),
    Column("local_seq", BigInteger, nullable=False),
    Column("tx_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    PrimaryKeyConstraint("site_id", "op_id"),
)

rejected_ops = Table(
    "rejected_ops", metadata,
    Column("site_id", String(64), nullable=False),
    Column("op_id", String(64), nullable=False),
    Column("local_seq", BigInteger, nullable=False),
    Column("tx_id", String(64), nullable=False),
    Column("table_name", String(64), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("field", String(64)),
    Column("reason", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("rejected_at", DateTime, nullable=False),
    PrimaryKeyConstraint("site_id", "op_id"),
)

records = Table(
    "records", metadata,
    Column("table_name", String(64), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("owner_site_id", String(64), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("payload", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    PrimaryKeyConstraint("table_name", "record_id"),
)

resident_ids = Table(
    "resident_ids", metadata,
    Column("id_number", String(32), primary_key=True),
    Column("record_id", String(64), nullable=False, index=True),
    Column("owner_site_id", String(64), nullable=False),
)

changelog = Table(
    "changelog", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("table_name", String(64), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("owner_site_id", String(64), nullable=False),
    #: the owner's township (the owner itself for a township): who sees its villages' rows
    Column("township_site_id", String(64)),
    #: the site a row is addressed to (payload ``to_site_id``), if any
    Column("to_site_id", String(64)),
    Column("tx_id", String(64), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("payload", Text, nullable=False),
    #: a village reads its township's reference tables along this (not every row the township owns)
    Index("ix_changelog_owner_table_seq", "owner_site_id", "table_name", "seq"),
    Index("ix_changelog_township_seq", "township_site_id", "seq"),
    Index("ix_changelog_to_site_seq", "to_site_id", "seq"),
)


def create(conn: Connection) -> None:
    """Make the hub's tables in an empty database and record their schema version."""
    metadata.create_all(conn)
    if conn.execute(select(hub_meta.c.value).where(hub_meta.c.key == "schema_version")).first() is None:
        conn.execute(hub_meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))


def check_version(conn: Connection) -> None:
    """Upgrade an older hub database; refuse a newer one (a hub program older than its database).

    Raises:
        RuleViolation: the database is missing its tables or was made by a newer release.
    """
    try:
        row = conn.execute(select(hub_meta.c.value).where(hub_meta.c.key == "schema_version")).first()
    except Exception as error:  # noqa: BLE001 - any driver's "no such table"
        raise RuleViolation("乡镇同步服务的数据库尚未初始化，请先运行 cunyi-hub init") from error
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise RuleViolation(
            f"乡镇同步服务的数据库版本（{version}）比本程序新（{SCHEMA_VERSION}），请升级 cunyi-hub 后再启动")
    if version < SCHEMA_VERSION:
        upgrade(conn, version)


def upgrade(conn: Connection, version: int) -> None:
    """Bring the hub's tables from ``version`` to ``SCHEMA_VERSION``.

    2: the changelog's owner index also holds the table name, so a village's pull of its township's
    reference data does not read every row the township owns.
    """
    metadata.create_all(conn)
    if version < 2:
        conn.execute(text("DROP INDEX IF EXISTS ix_changelog_owner_seq"))
        for index in changelog.indexes:
            index.create(conn, checkfirst=True)
    conn.execute(hub_meta.delete().where(hub_meta.c.key == "schema_version"))
    conn.execute(hub_meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
