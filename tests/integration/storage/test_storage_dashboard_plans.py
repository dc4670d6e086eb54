"""The 工作台's figures read one site's rows through an index.

A village's database may hold the township's forty villages and ten years (the township-10y demo):
there a read of every site's settlements over a year, or of the whole outbox, costs a tenth of a
second or more each. Every statement the tile providers and 近 7 日门诊 run is captured and checked
with EXPLAIN QUERY PLAN on the small demo (same schema and indexes).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import event

from app.bootstrap import bootstrap
from app.domain import clock
from app.domain.enums import Role, SiteKind
from app.domain.roles import AREAS
from ui.pages import TILE_PROVIDERS
from ui.tiles import TileScope, collect_tiles


def _statements(data: Path) -> list[tuple[str, tuple]]:
    """(SQL, parameters) of every read the 工作台 makes for a doctor and for an administrator."""
    sv = bootstrap(data)
    seen: list[tuple[str, tuple]] = []
    try:
        @event.listens_for(sv.db.reader, "before_cursor_execute")
        def _keep(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append((statement, tuple(parameters)))

        for role in (Role.VILLAGE_DOCTOR, Role.ADMIN):
            collect_tiles(sv, TileScope(role, SiteKind.VILLAGE, clock.today(), frozenset(AREAS)), TILE_PROVIDERS)
        sv.status.recent_days(7)
        sv.status.sync_state()
    finally:
        sv.close()
    return seen


def test_dashboard_figures_read_settlements_by_site_and_time_and_never_the_whole_outbox(demo_copy: Path) -> None:
    statements = _statements(demo_copy)
    con = sqlite3.connect(demo_copy / "cunyi.db")
    try:
        plans = {sql: [row[3] for row in con.execute(f"EXPLAIN QUERY PLAN {sql}", params)] for sql, params in statements}
    finally:
        con.close()
    by_site = [sql for sql in plans if "FROM settlements" in sql and "settlements.site_id = ?" in sql]
    assert len(by_site) >= 3  # today's money, the week's, the month's, the visits without the fund
    for sql in by_site:
        settlement_steps = [step for step in plans[sql] if step.startswith(("SEARCH settlements", "SCAN settlements"))]
        assert settlement_steps and all("ix_settlements_site_time" in step for step in settlement_steps), (sql, plans[sql])
    for sql, steps in plans.items():
        for step in steps:
            # counting the queue may walk its smallest index; finding its first row stops at one row
            whole = step == "SCAN outbox" and "LIMIT" not in sql
            assert not whole and not step.startswith(("SCAN settlements", "SCAN visits", "SCAN stock_movements")), (sql, step)
