"""Helpers for the stock integration tests: dates, ``db_fingerprint``, the ``Clinic`` bundle and its three drugs."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.bootstrap import Services, bootstrap
from app.domain import clock
from app.services.catalog.service import DrugInfo

TODAY = clock.today()
NOW = clock.now().replace(microsecond=0)


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


def create_drugs(sv: Services) -> tuple[DrugInfo, DrugInfo, DrugInfo]:
    """The three catalog drugs both stock test folders start from: 阿莫西林胶囊, 硝苯地平缓释片, 维生素B1片.

    Also used by the UI tests (``tests/ui/stock/stock_seed.py``), so a change here changes both.
    """
    amox = sv.catalog.create(
        generic_name="阿莫西林胶囊", strength="0.25g×24粒", form="胶囊", pack_unit="盒", base_unit="粒",
        units_per_pack=24, price_fen=1200, national_code="XJ01CAA040E001010100483", barcode="6901234567890",
        coverage_class="甲", shelf="A1", category="抗感染", maker="某药业",
    )
    nife = sv.catalog.create(
        generic_name="硝苯地平缓释片", strength="20mg×30片", pack_unit="盒", base_unit="片", units_per_pack=30,
        price_fen=812, national_code="XC08CAN050A010010100483", is_vbp=True, vbp_round="国家第七批",
        coverage_class="A", shelf="B2", category="心血管", min_stock_units=60,
    )
    vb1 = sv.catalog.create(
        generic_name="维生素B1片", strength="10mg×100片", pack_unit="瓶", base_unit="片", units_per_pack=100,
        price_fen=350, coverage_class="B", shelf="A1", category="维生素",
    )
    return amox, nife, vb1


def ledger(clinic: Clinic, drug_id: str) -> list[SimpleNamespace]:
    """The drug's ledger rows (detached copies), in seq order."""
    from sqlalchemy import select

    from app.db.models import StockMovement

    cols = [c.name for c in StockMovement.__table__.columns]
    with clinic.sv.db.read() as s:
        rows = s.scalars(select(StockMovement).where(StockMovement.drug_id == drug_id).order_by(StockMovement.seq))
        return [SimpleNamespace(**{c: getattr(r, c) for c in cols}) for r in rows]


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    """A village site in a real SQLite file with three drugs (the stock and catalog tests' clinic)."""
    sv = bootstrap(tmp_path / "data", backup_before_migrate=False)
    site = sv.sites.create_standalone("village", "测试村卫生室", "admin", "secret123")
    amox, nife, vb1 = create_drugs(sv)
    yield Clinic(sv, site.store_id, sv.data.database, amox, nife, vb1)
    sv.close()
