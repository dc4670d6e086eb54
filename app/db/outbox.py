"""Database-level guarantees derived from the models: outbox and append-only triggers.

Every insert or update of a synced row owned by the local site appends an ``outbox`` row in the same
transaction. It is done by SQLite triggers generated from ``Base.metadata``, so no code path (ORM,
Core, raw SQL) can skip it; rows owned by other sites, and any row written while pulled rows are
applied (``mark_transaction(applying_remote=True)``), are not queued. Every outbox row carries the
``tx_id`` its writer set at ``BEGIN`` (``mark_transaction``); a write that set none gets a ``tx_id`` of
its own per row. No synced row is ever deleted (a deletion could not be sent to other sites):
triggers refuse DELETE on every synced table. Ledger, visit, prescription, settlement and audit rows
are append-only: triggers refuse UPDATE and DELETE on them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, inspect, text

from app.domain.ids import new_id

from .connection import CLEAR_TX_SQL, MARK_TX_SQL
from .models import Base, SyncedBase, synced_tables
from .schema_head import GENERATED_TRIGGERS, TRIGGER_PREFIXES

#: tables whose rows are never updated or deleted once written
APPEND_ONLY = {
    "stock_movements": "库存台账只能追加，更正请做冲正或调整",
    "trace_code_events": "追溯码记录只能追加，更正请做冲正",
    "visits": "就诊记录已定稿，不能修改，请做冲正",
    "prescription_lines": "处方明细已定稿，不能修改，请做冲正",
    "settlements": "结算记录已定稿，不能修改，请做冲正",
    "reversals": "冲正记录已定稿，不能修改",
    "policies": "待遇政策文件导入后不能修改，新版本请重新选择文件导入",
    "case_events": "办理记录只能追加，情况有变请再记一步",
    "case_attachments": "附件添加后不能修改，有误请再添加一份",
    "purchase_receipts": "采购入库单已定稿，不能修改，有误请做采购退货",
    "purchase_lines": "采购入库明细已定稿，不能修改，有误请做采购退货",
    "transfer_receipts": "调拨入库单已确认，不能修改",
    "transfer_receipt_lines": "调拨入库明细已确认，不能修改",
    "stock_returns": "退回乡镇单已发出，不能修改",
    "return_receipts": "退货验收已确认，不能修改",
    "month_closes": "月结标记只能追加",
    "statement_acknowledgments": "结算单确认后不能修改",
    "audit_log": "审计日志只能追加",
}

#: Unix time in milliseconds from SQLite's clock (the same value for every row of one statement)
_UNIX_MS_SQL = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"

#: a UUIDv7 made in SQL: 48-bit millisecond timestamp, version 7, variant 10, 74 random bits. Being
#: time-ordered, the unique ``op_id`` index grows at its right edge: a random UUIDv4 here cost every
#: outbox row a write to a random page of that index, which on a 10-year database means disk reads.
_UUID_SQL = (
    f"printf('%08x-%04x-7%03x-%04x-%012x', {_UNIX_MS_SQL} >> 16, {_UNIX_MS_SQL} & 65535, random() & 4095, "
    "32768 | (random() & 16383), random() & 281474976710655)"
)


#: refused DELETE on a synced table that is not append-only
NO_DELETE = "同步记录不能删除，请做冲正或停用"

#: the transaction being written (``outbox_tx``), as the triggers read it
_TX_ID_SQL = "(SELECT tx_id FROM outbox_tx WHERE id = 1)"
_QUEUE_SQL = (
    "NEW.owner_site_id = (SELECT site_id FROM local_site WHERE id = 1) "
    "AND coalesce((SELECT applying_remote FROM outbox_tx WHERE id = 1), 0) = 0"
)


def mark_transaction(conn: Any, *, applying_remote: bool = False) -> str:
    """Give the write transaction just begun on ``conn`` a ``tx_id``; every outbox row it writes carries it.

    Args:
        conn: a SQLAlchemy ``Connection`` or a ``sqlite3`` connection, inside the transaction.
        applying_remote: the transaction applies rows pulled from the hub; the triggers queue none of them.

    Returns:
        The transaction's id (a UUIDv7).
    """
    tx_id = new_id()
    run = conn.exec_driver_sql if isinstance(conn, Connection) else conn.execute
    run(MARK_TX_SQL, (tx_id, int(applying_remote)))
    return tx_id


def clear_transaction(conn: Any) -> None:
    """Empty ``outbox_tx`` before ``COMMIT``, so a later writer that sets no id never reuses this one."""
    run = conn.exec_driver_sql if isinstance(conn, Connection) else conn.execute
    run(CLEAR_TX_SQL)


#: the base columns of every synced row, in the order the models (and the demo's row tuples) have them
SYNC_COLUMNS = ("id", "owner_site_id", "created_at", "updated_at", "version")


def sync_columns(owner_site_id: str, stamp: datetime, record_id: str | None = None) -> dict[str, Any]:
    """The base columns of a new synced row (DESIGN §3), as every writer sets them.

    The unit of work fills them on ORM objects; the Core inserts (settlement, dispensing, catalog
    import) start their rows from this. The demo's bulk rows are tuples in ``SYNC_COLUMNS`` order.
    """
    return dict(zip(SYNC_COLUMNS, (record_id or new_id(), owner_site_id, stamp, stamp, 1), strict=True))


def _schema_version(table: str) -> int:
    for mapper in Base.registry.mappers:
        if mapper.local_table.name == table and issubclass(mapper.class_, SyncedBase):
            return int(mapper.class_.__schema_version__)
    raise KeyError(table)


def outbox_trigger_sql(table: str) -> list[str]:
    """CREATE TRIGGER statements (insert and update) that queue ``table``'s local rows."""
    columns = [c.name for c in Base.metadata.tables[table].columns]
    payload = "json_object(" + ", ".join(f"'{c}', NEW.{c}" for c in columns) + ")"
    statements = []
    for event_name in ("INSERT", "UPDATE"):
        statements.append(
            f"CREATE TRIGGER outbox_{event_name.lower()}_{table} AFTER {event_name} ON {table} "
            f"WHEN {_QUEUE_SQL} "
            "BEGIN INSERT INTO outbox (op_id, table_name, record_id, schema_version, payload, created_at, tx_id) "
            f"VALUES ({_UUID_SQL}, '{table}', NEW.id, {_schema_version(table)}, {payload}, "
            f"strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), coalesce({_TX_ID_SQL}, {_UUID_SQL})); END"
        )
    return statements


def no_delete_trigger_sql(table: str) -> str:
    """The CREATE TRIGGER that refuses DELETE on the synced ``table``."""
    return f"CREATE TRIGGER no_delete_{table} BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{NO_DELETE}'); END"


def append_only_trigger_sql(table: str, message: str) -> list[str]:
    return [
        f"CREATE TRIGGER append_only_{op.lower()}_{table} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        for op in ("UPDATE", "DELETE")
    ]


def trigger_sql() -> dict[str, str]:
    """Every generated trigger by name: its CREATE TRIGGER statement, as this code writes it."""
    statements = [sql for table in synced_tables() for sql in outbox_trigger_sql(table)]
    statements += [sql for table, message in APPEND_ONLY.items() for sql in append_only_trigger_sql(table, message)]
    # an append-only table already refuses DELETE with its own message
    statements += [no_delete_trigger_sql(table) for table in synced_tables() if table not in APPEND_ONLY]
    return {sql.split()[2]: sql for sql in statements}


def drop_generated_triggers(conn: Connection) -> None:
    """Drop the generated triggers of every table, found by SQLAlchemy inspection (not SQLite's catalog).

    Migrations call it before they backfill, so a backfill is neither refused nor queued; the triggers
    come back from the models when the upgrade reaches the head. Other databases (the hub's
    PostgreSQL) have no generated triggers: nothing to do there.
    """
    if conn.dialect.name != "sqlite":
        return
    for table in inspect(conn).get_table_names():
        for prefix in TRIGGER_PREFIXES:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {prefix}{table}")


def install_triggers(conn: Connection) -> None:
    """Drop and recreate every generated trigger to match the models at the migration head."""
    for name in [row[0] for row in conn.execute(text(GENERATED_TRIGGERS))]:
        conn.exec_driver_sql(f"DROP TRIGGER {name}")
    for sql in trigger_sql().values():
        conn.exec_driver_sql(sql)
