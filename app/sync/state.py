"""The site's own sync bookkeeping, read and written with SQLAlchemy Core (never synced).

- ``local_site``: ``site_id``, ``db_instance_id``, ``pushed_seq`` (the last outbox row the hub settled)
  and ``pulled_seq`` (the last hub changelog seq saved here);
- ``sync_state``: the hub's address, certificate fingerprint and this site's token, last sync and error;
- ``sync_rejections``: ops of this site the hub rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.db.models import Base
from app.domain import clock
from app.sync import protocol as p

from .transport import SyncError

local_site = Base.metadata.tables["local_site"]
sync_state = Base.metadata.tables["sync_state"]
sync_rejections = Base.metadata.tables["sync_rejections"]

NOT_JOINED = "本站还没有加入乡镇同步服务：请向乡镇管理员要同步码，用 cunyi init --code 同步码 建站加入"


@dataclass(frozen=True)
class SyncConfig:
    """Who this site is to its hub and how far its sync has come."""

    site_id: str
    db_instance_id: str
    hub_url: str
    fingerprint: str
    token: str
    township_site_id: str | None
    pushed_seq: int
    pulled_seq: int


def _now() -> datetime:
    return clock.now().replace(tzinfo=None)


def load(conn: Connection) -> SyncConfig:
    """This site's sync configuration.

    Raises:
        SyncError: the site has not joined a hub.
    """
    ls, st = local_site.c, sync_state.c
    row = conn.execute(select(ls.site_id, ls.db_instance_id, ls.pushed_seq, ls.pulled_seq, st.hub_url, st.fingerprint,
                              st.token, st.township_site_id).select_from(local_site.join(sync_state, st.id == ls.id))
                       .where(ls.id == 1)).first()
    if row is None:
        raise SyncError(NOT_JOINED, "同步")
    return SyncConfig(row.site_id, row.db_instance_id, row.hub_url, row.fingerprint, row.token, row.township_site_id,
                      int(row.pushed_seq or 0), int(row.pulled_seq or 0))


def last_local_seq(conn: Connection) -> int:
    """The highest outbox ``local_seq`` this database ever assigned (AUTOINCREMENT's ``sqlite_sequence``)."""
    value = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")).scalar()
    return int(value or 0)


def save_hub(conn: Connection, hub_url: str, fingerprint: str, token: str, township_site_id: str | None) -> None:
    """Store how this site reaches its hub (at enrollment, inside the transaction that creates the site)."""
    conn.execute(sync_state.insert().values(id=1, hub_url=hub_url, fingerprint=fingerprint, token=token,
                                            township_site_id=township_site_id))


def save_pushed(conn: Connection, acked_local_seq: int, results: list[p.OpResult]) -> int:
    """Move ``pushed_seq`` to the hub's acknowledgment and keep its rejections; returns how many are new."""
    ls = local_site.c
    conn.execute(update(local_site).where(ls.id == 1, ls.pushed_seq < acked_local_seq)
                 .values(pushed_seq=acked_local_seq))
    rows = [{"local_seq": r.local_seq, "op_id": r.op_id, "table_name": r.table_name, "record_id": r.record_id,
             "field": r.field, "reason": r.reason or "乡镇同步服务拒绝了这条记录", "action": r.action, "at": _now()}
            for r in results if r.status == "rejected"]
    if not rows:
        return 0
    done = conn.execute(sqlite_insert(sync_rejections).on_conflict_do_nothing(), rows)
    return max(done.rowcount, 0)


def save_pulled(conn: Connection, cursor: int) -> None:
    """Move ``pulled_seq`` to ``cursor`` (in the transaction that saved the changes it covers)."""
    conn.execute(update(local_site).where(local_site.c.id == 1).values(pulled_seq=cursor))


def record_outcome(engine: Engine, error: str | None) -> None:
    """Note the last successful sync, or the last error (its own small transaction)."""
    values = {"last_error": error, "last_error_at": _now()} if error else {"last_sync_at": _now(), "last_error": None}
    with engine.begin() as conn:
        conn.execute(update(sync_state).where(sync_state.c.id == 1).values(**values))
