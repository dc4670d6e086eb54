"""The 工作台's figures read one site's rows through an index.

A village's database may hold the township's forty villages and ten years (the township-10y demo):
there a read of every site's settlements over a year, or of the whole outbox, costs a tenth of a
second or more each. Every statement the tile providers and 近 7 日门诊 run is captured and checked
with EXPLAIN QUERY PLAN on the small demo (same schema and indexes).
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event

from app.bootstrap import bootstrap
from app.domain import clock
from app.domain.enums import Role, SiteKind
from app.domain.roles import AREAS
from app.services.core import reports
from app.services.core.reports import Period
from ui.pages import TILE_PROVIDERS
from ui.tiles import TileScope, collect_tiles

#: the big tables of a township database that no screen may read whole
BIG = ("settlements", "stock_movements", "trace_code_events", "residents")


def _capture(data: Path, calls) -> dict[str, list[str]]:  # noqa: ANN001
    """EXPLAIN QUERY PLAN steps of every SELECT that ``calls(sv)`` runs, by statement."""
    sv = bootstrap(data)
    seen: list[tuple[str, tuple]] = []
    try:
        @event.listens_for(sv.db.reader, "before_cursor_execute")
        def _keep(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append((statement, tuple(parameters)))

        calls(sv)
    finally:
        sv.close()
    con = sqlite3.connect(data / "cunyi.db")
    try:
        return {sql: [row[3] for row in con.execute(f"EXPLAIN QUERY PLAN {sql}", params)] for sql, params in seen}
    finally:
        con.close()


def _dashboard(sv) -> None:  # noqa: ANN001
    """Every read the 工作台 makes for a doctor and for an administrator."""
    for role in (Role.VILLAGE_DOCTOR, Role.ADMIN):
        collect_tiles(sv, TileScope(role, SiteKind.VILLAGE, clock.today(), frozenset(AREAS)), TILE_PROVIDERS)
    sv.status.recent_days(7)
    sv.status.sync_state()


def test_dashboard_figures_read_settlements_by_site_and_time_and_never_the_whole_outbox(demo_copy: Path) -> None:
    plans = _capture(demo_copy, _dashboard)
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


def test_daily_screens_never_read_a_big_table_whole(demo_copy: Path) -> None:
    """今日结算, 药品库存, the resident search, 月度统筹汇总 and 收费日报 read the township's big tables
    through an index (the small demo has the same schema and indexes and is analysed)."""
    today = clock.today()

    def calls(sv) -> None:  # noqa: ANN001
        site = sv.db.local_site_id
        month = Period(site, f"{today:%Y-%m}", None)
        assert sv.settlement.list_day(today - timedelta(days=1))
        assert sv.stock.on_hand()
        assert sv.residents.search("wcl") or sv.residents.search("w")
        assert sv.residents.search("王") or sv.residents.search("张")
        assert sv.residents.search("w z")
        reports.build(sv, "monthly-summary", month)
        reports.build(sv, "settlements", month)
        code = _a_sold_code(data)
        assert sv.stock.trace_code(code) is not None

    data = demo_copy
    plans = _capture(data, calls)
    assert any("resident_search_keys" in sql for sql in plans)  # the pinyin search ran
    for sql, steps in plans.items():
        for step in steps:
            # SCAN t USING [COVERING] INDEX of a big table still reads it whole
            assert not any(step.startswith(f"SCAN {table}") for table in BIG), (sql, step)
    by_reversal_time = [steps for sql, steps in plans.items() if "reversals.reversed_at >=" in sql]
    assert by_reversal_time and all(any("ix_reversals_reversed_at" in s for s in steps) for steps in by_reversal_time)
    stocked = [steps for sql, steps in plans.items() if "batches.on_hand > ?" in sql or "batches.on_hand > 0" in sql]
    assert stocked and all(any("ix_batches_stocked" in s for s in steps if "batches" in s) for steps in stocked)


def _a_sold_code(data: Path) -> str:
    con = sqlite3.connect(data / "cunyi.db")
    try:
        return con.execute("SELECT code FROM trace_code_events WHERE kind = 'sold' LIMIT 1").fetchone()[0]
    finally:
        con.close()
