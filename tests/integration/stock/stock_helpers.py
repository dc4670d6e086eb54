"""Helpers for the stock integration tests: dates, ``db_fingerprint`` and the ``Clinic`` bundle."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from app.bootstrap import Services
from app.services.catalog import DrugInfo

TODAY = date.today()
NOW = datetime.now().replace(microsecond=0)


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def db_fingerprint(path: Path | str) -> dict[str, tuple]:
    """Per table: row count, the sum of every numeric column and a digest of all rows.

    Two equal fingerprints mean the data did not change (not even a row added to the outbox or the
    audit log).
    """
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out: dict[str, tuple] = {}
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for table in tables:
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            sums = tuple(
                sum(r[i] for r in rows if isinstance(r[i], int | float) and not isinstance(r[i], bool))
                for i in range(len(cols))
            )
            digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
            out[table] = (len(rows), sums, digest)
        return out
    finally:
        conn.close()


@dataclass
class Clinic:
    sv: Services
    store_id: str
    path: Path
    amox: DrugInfo  # 阿莫西林胶囊 24粒/盒
    nife: DrugInfo  # 硝苯地平缓释片 30片/盒, VBP
    vb1: DrugInfo  # 维生素B1片 100片/瓶

    def fingerprint(self) -> dict[str, tuple]:
        return db_fingerprint(self.path)




def ledger(clinic: Clinic, drug_id: str) -> list[SimpleNamespace]:
    """The drug's ledger rows (detached copies), in seq order."""
    from sqlalchemy import select

    from app.db.models import StockMovement

    cols = [c.name for c in StockMovement.__table__.columns]
    with clinic.sv.db.read() as s:
        rows = s.scalars(select(StockMovement).where(StockMovement.drug_id == drug_id).order_by(StockMovement.seq))
        return [SimpleNamespace(**{c: getattr(r, c) for c in cols}) for r in rows]
