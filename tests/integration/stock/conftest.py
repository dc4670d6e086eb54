"""Fixtures for stock integration tests: a village site in a real SQLite file with a small catalog.

``db_fingerprint(path)`` (row counts, column sums and a digest per table) lives in ``stock_helpers``
so test modules can import it; it is re-exported here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from stock_helpers import Clinic, db_fingerprint

from app.bootstrap import bootstrap

__all__ = ["db_fingerprint"]


@pytest.fixture
def clinic(tmp_path: Path) -> Clinic:
    sv = bootstrap(tmp_path / "data", backup_before_migrate=False)
    site = sv.sites.create_standalone("village", "测试村卫生室", "admin", "secret123")
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
    yield Clinic(sv, site.store_id, sv.data.database, amox, nife, vb1)
    sv.close()
