"""Database-level guarantees derived from the models: outbox and append-only triggers.

Every insert or update of a synced row owned by the local site appends an ``outbox`` row in the same
transaction. It is done by SQLite triggers generated from ``Base.metadata``, so no code path (ORM,
Core, raw SQL) can skip it; rows owned by other sites (pulled from the hub) are not queued.
Ledger, visit, prescription, settlement and audit rows are append-only: triggers refuse UPDATE and DELETE on them.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from .models import Base, SyncedBase, synced_tables
from .schema_head import GENERATED_TRIGGERS

#: tables whose rows are never updated or deleted once written
APPEND_ONLY = {
    "stock_movements": "库存台账只能追加，更正请做冲正或调整",
    "trace_code_events": "追溯码记录只能追加，更正请做冲正",
    "visits": "就诊记录已定稿，不能修改，请做冲正",
    "prescription_lines": "处方明细已定稿，不能修改，请做冲正",
    "settlements": "结算记录已定稿，不能修改，请做冲正",
    "reversals": "冲正记录已定稿，不能修改",
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
            "WHEN NEW.owner_site_id = (SELECT site_id FROM local_site WHERE id = 1) "
            "BEGIN INSERT INTO outbox (op_id, table_name, record_id, schema_version, payload, created_at) "
            f"VALUES ({_UUID_SQL}, '{table}', NEW.id, {_schema_version(table)}, {payload}, "
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')); END"
        )
    return statements


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
    return {sql.split()[2]: sql for sql in statements}


def install_triggers(conn: Connection) -> None:
    """Drop and recreate every generated trigger to match the models at the migration head."""
    for name in [row[0] for row in conn.execute(text(GENERATED_TRIGGERS))]:
        conn.exec_driver_sql(f"DROP TRIGGER {name}")
    for sql in trigger_sql().values():
        conn.exec_driver_sql(sql)
