"""A township and two villages that sync through the real hub, for the transfers tests.

The hub is the real FastAPI app over a SQLite file and the sites are real enrolled data folders
(``tests/sync/sync_world.py``: the template is built once, each test works on a copy). The township
(``township``) holds 阿莫西林胶囊 (lot T2501, 480 粒) from the template; ``east`` and ``west`` are its villages.
``sync(world, "township", "east")`` pushes and pulls each named site in turn, as ``cunyi sync --once`` does.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "sync"))

from site_harness import run  # noqa: F401  (cunyi ARGS in this process, for the tests)
from sync_world import Template, World, build_template, scratch  # noqa: F401  (a memory disk for examples)

from app.services.transfers.types import DistributorForm, PurchaseForm, PurchaseLineForm

PASSWORD = "demo1234"


def codes(prefix: str, n: int) -> list[str]:
    """``n`` well-formed 20-digit trace codes."""
    return [f"8{prefix}{i:07d}"[:20].ljust(20, "0") for i in range(n)]


def sync(world: World, *names: str) -> None:
    for name in names:
        world.clients[name].sync_once()


def sql(world: World, name: str, query: str, *params: Any) -> list[tuple]:
    with closing(sqlite3.connect(world.root / name / "cunyi.db")) as con:
        return con.execute(query, params).fetchall()


def fingerprint(world: World, name: str) -> dict[str, int]:
    """Row counts of every table but the local bookkeeping: a refused operation leaves them all as they were."""
    with closing(sqlite3.connect(world.root / name / "cunyi.db")) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        counts = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        counts["on_hand"] = con.execute("SELECT COALESCE(SUM(on_hand), 0) FROM batches").fetchone()[0]
        counts["versions"] = con.execute("SELECT COALESCE(SUM(version), 0) FROM shipments").fetchone()[0]
        return counts


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The sites' template, built once for a test module (a conftest takes the fixtures with
    ``from transfers_sites import template, world``)."""
    return build_template(tmp_path_factory.mktemp("transfers-template") / "t")


@pytest.fixture
def world(template: Template, tmp_path: Path) -> Iterator[World]:
    """A copy of the template; the township pulls once more so it holds both villages' site rows."""
    world = World(template, tmp_path / "world", lambda name, page: None).open()
    try:
        sync(world, "township")
        yield world
    finally:
        world.close()


def purchase(sv: Any, drug_id: str, batch_no: str, expiry: date, quantity: int | str, price_fen: int, *,
             note_no: str | None = None, trace_codes: list[str] | None = None, distributor: str | None = None,
             at: datetime | None = None) -> Any:
    """One delivery of one lot into the township store (a distributor made when none is given; a near-expiry lot
    accepted)."""
    if distributor is None:
        found = sv.transfers.distributors()
        distributor = found[0].id if found else sv.transfers.save_distributor(DistributorForm("国药控股测试医药有限公司"))
    return sv.transfers.receive_purchase(PurchaseForm(distributor, note_no or f"SH-{batch_no}", "FP-1", [
        PurchaseLineForm(drug_id, batch_no, expiry, quantity, price_fen, tuple(trace_codes or ()), True)]), at=at)
