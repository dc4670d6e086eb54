"""Fixtures for stock integration tests: a village site in a real SQLite file with a small catalog.

``db_fingerprint(path)`` (row counts, column sums and a digest per table) lives in ``stock_helpers``
so test modules can import it; it is re-exported here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from stock_helpers import Clinic, create_drugs, db_fingerprint

from app.bootstrap import bootstrap

__all__ = ["db_fingerprint"]


@pytest.fixture
def clinic(tmp_path: Path) -> Clinic:
    sv = bootstrap(tmp_path / "data", backup_before_migrate=False)
    site = sv.sites.create_standalone("village", "测试村卫生室", "admin", "secret123")
    amox, nife, vb1 = create_drugs(sv)
    yield Clinic(sv, site.store_id, sv.data.database, amox, nife, vb1)
    sv.close()
