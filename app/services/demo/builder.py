"""``cunyi demo``: a demo township, its villages, catalog, residents and history in one data folder.

Both scales hold one database as the township hub would see it: the township and its villages,
every record owned by its site (sites, catalog and the transfer warehouse by the township; users,
stores, residents, visits and stock by their own site). The installation itself is one of them:
``small`` opens the first village clinic (so the README's run command shows a village doctor's
day), ``township-10y`` the township. Rows of the local site queue in the outbox by trigger, as for
a standalone site that never synced; other sites' rows do not.

- ``small``: 1 township + 3 villages, ~150 residents each, the last 90 days of history (seconds).
- ``township-10y``: 40 villages with history from 2017-01-01 to today, for benchmarks (minutes).

Every password is ``demo1234``. Settlement splits come from the policy engine with
resources/policies/demo-2026.toml applied to every year (example values); each year's file is a
``policies`` row of the township, this year's the one in force, and each settlement names its version.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from app.db.connection import begin_bulk_load, defer_foreign_keys, end_bulk_load
from app.domain import clock
from app.domain.cases import load_case_types
from app.domain.errors import RuleViolation, ValidationError
from app.paths import DataDir, resource
from app.services.demo.case_history import CASE_HISTORY_DAYS, Staff, VillageCases
from app.services.demo.rows import (
    BulkWriter,
    IdFactory,
    drop_outbox_triggers,
    dt_text,
    queue_local_rows,
    secondary_indexes,
)
from app.services.demo.sites import people_rows, set_up_sites
from app.services.demo.township import township_history
from app.services.demo.village import VillagePlan
from app.services.demo.village_ops import is_workday
from app.services.demo.worker import SimConfig, define_tables, demo_policy_texts, make_context, run_parallel, simulate

PASSWORD = "demo1234"


@dataclass(frozen=True)
class Scale:
    villages: int
    people: tuple[int, int]  # per village
    visits_per_workday: tuple[float, float]
    history_days: int | None  # None: from ``start``
    start: date | None
    local: str  # "village" (the first one) or "township"
    print_receipts: bool
    bulk_indexes: bool  # drop secondary indexes during the load and rebuild them after
    workers: int  # processes generating village histories (1 = in this process)


SCALES = {
    "small": Scale(3, (140, 160), (5.0, 7.0), 90, None, "village", True, False, 1),
    "township-10y": Scale(40, (700, 1750), (10.0, 25.0), None, date(2017, 1, 1), "township", False, True, 2),
}

#: tables the bulk load fills most; their secondary indexes are rebuilt after a large load
BIG_TABLES = ("stock_movements", "visits", "prescription_lines", "settlements", "enrollments", "residents",
              "trace_code_events", "batches", "reversals", "stocktake_lines", "audit_log")


def _create_schema(data: DataDir) -> None:
    """An empty database of the current schema in ``data`` (the demo then writes every row itself)."""
    from app.db import migrate
    from app.db.uow import Database

    db = Database(data.database)
    try:
        migrate.upgrade(db.writer)
    finally:
        db.dispose()


def _refuse_if_set_up(data: DataDir) -> None:
    if not data.database.exists() or data.database.stat().st_size == 0:
        return
    con = sqlite3.connect(f"file:{data.database}?mode=ro", uri=True)
    try:
        has_site = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'local_site'").fetchone()[0] and \
            con.execute("SELECT count(*) FROM local_site").fetchone()[0]
    except sqlite3.DatabaseError:
        has_site = True
    finally:
        con.close()
    if has_site:
        raise RuleViolation(
            f"数据文件夹 {data.root} 里已经有机构数据，演示数据只能生成在空文件夹中；"
            "请换一个新的文件夹（如 --data ./demo-data），或先备份后清空该文件夹", "数据文件夹"
        )


def build_demo(data_dir: Path | str, scale: str = "small", progress: Callable[[str], None] = print,
               site: str | None = None) -> dict:
    """Build the demo in ``data_dir`` (which must hold no site yet) and return a summary.

    ``site`` picks which site this installation is: ``village`` (the first village) or ``township``;
    by default the scale's own choice (small: the village, township-10y: the township).

    Raises:
        ValidationError: unknown scale (规模) or site (机构).
        RuleViolation: the folder already holds a site (数据文件夹).
    """
    if scale not in SCALES:
        raise ValidationError(f"规模“{scale}”不存在，请用 small 或 township-10y", "规模")
    if site not in (None, "village", "township"):
        raise ValidationError(f"机构“{site}”不存在，请用 village（第一个村卫生室）或 township（乡镇卫生院）", "机构")
    started = time.perf_counter()
    data = DataDir(Path(data_dir))
    _refuse_if_set_up(data)
    progress(f"建立数据库：{data.database}")
    _create_schema(data.ensure())
    con = sqlite3.connect(data.database, isolation_level=None)
    try:
        summary = _Build(con, scale, progress, site).run()
    except BaseException:
        con.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(data.database) + suffix).unlink(missing_ok=True)
        raise
    con.close()
    summary["scale"] = scale
    summary["data"] = str(data.root)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    progress(f"完成：用时 {summary['seconds']} 秒。用户名见下，密码均为 {PASSWORD}")
    return summary


class _Build:
    def __init__(self, con: sqlite3.Connection, name: str, progress: Callable[[str], None],
                 site: str | None = None) -> None:
        scale = SCALES[name] if site is None else replace(SCALES[name], local=site)
        self.con, self.name, self.scale, self.progress = con, name, scale, progress
        scale = self.scale
        self.until = clock.now().replace(microsecond=0)
        self.today = self.until.date()
        self.start = scale.start or self.today - timedelta(days=scale.history_days or 90)
        self.rng = random.Random(f"cunyi-demo:{self.today.isoformat()}:{scale.villages}")
        self.ids = IdFactory(self.rng.getrandbits(64))
        self.writer = BulkWriter(con)

    def run(self) -> dict:
        con, scale = self.con, self.scale
        big = scale.bulk_indexes
        dropped = self._prepare(big)
        add = self.writer_add = define_tables(self.writer)
        setup = set_up_sites(self.writer, add, self.ids, self.rng, scale, self.today, self.start, PASSWORD)
        self.progress(f"机构：{setup.township_name} 与 {len(setup.villages)} 个村卫生室；本机为“{setup.local_name}”")
        drug_ids = tuple(self.ids() for _ in range(len(setup.drug_values)))
        setup.write_drugs(list(drug_ids), self.ids)
        self.progress(f"药品目录：{len(drug_ids)} 种（集采 {sum(1 for v in setup.drug_values if v.get('is_vbp'))} 种）")
        config = SimConfig(self.today, self.until, self.start, drug_ids, setup.local_site_id, max(self.start, date(2025, 1, 1)),
                           scale.print_receipts, (setup.township_id, setup.township_store_id, setup.pharmacist_id,
                                                  setup.pharmacist_name))
        ctx = make_context(config, self.ids, add, self.writer.maybe_flush)
        setup.write_policies(demo_policy_texts(self.start.year, self.today.year), self.ids, self.today.year)
        plans = self._plans(setup, ctx.regimen_pool)
        self.progress(f"居民档案：{sum(len(p.people) for p in plans)} 人（{len(plans)} 个村）")
        self._villages(config, ctx, plans, setup, big)
        cases = self._cases(ctx, plans, setup)
        self.progress(f"帮办代办：{cases} 件（近{min(CASE_HISTORY_DAYS, (self.today - self.start).days)}天）")
        self.progress(f"乡镇中转药库：采购入库与调拨出库（{len(ctx.shipments)} 行调拨）…")
        town = township_history(ctx, site_id=setup.township_id, store_id=setup.township_store_id,
                                user_id=setup.pharmacist_id, user_name=setup.pharmacist_name, start=self.start)
        town.batch_rows(add["batches"])
        setup.audit_build(add, self.name)
        self.writer.flush()
        if setup.local_site_id == setup.township_id:
            self._peer_sync(setup)
        con.execute("COMMIT")
        self._finish(dropped)
        counts = self.writer.counts
        return {
            "site_id": setup.local_site_id, "site_name": setup.local_name, "sites": 1 + len(setup.villages),
            "residents": counts.get("residents", 0), "visits": counts.get("visits", 0),
            "settlements": counts.get("settlements", 0), "reversals": counts.get("reversals", 0),
            "movements": counts.get("stock_movements", 0), "batches": counts.get("batches", 0),
            "trace_code_events": counts.get("trace_code_events", 0), "cases": counts.get("cases", 0),
            "outbox": con.execute("SELECT count(*) FROM outbox").fetchone()[0],
            "users": setup.users,
        }

    def _prepare(self, big: bool) -> list[tuple[str, str]]:
        """Pragmas for a load into a new file (a failed build is deleted, so no journal is needed for
        the large one), secondary indexes and outbox triggers suspended; opens the first transaction."""
        con = self.con
        begin_bulk_load(con, big=big)
        dropped = secondary_indexes(con, BIG_TABLES) if big else []
        for name, _sql in dropped:
            con.execute(f"DROP INDEX {name}")
        drop_outbox_triggers(con)
        con.execute("BEGIN")
        if not big:
            defer_foreign_keys(con)  # batches are written after their movements
        return dropped

    def _villages(self, config: SimConfig, ctx, plans: list[VillagePlan], setup, big: bool) -> None:  # noqa: ANN001
        """Every village's history, in worker processes for the large demo; a commit after each village."""
        done = 0

        def finished(figures: dict) -> None:
            nonlocal done
            done += 1
            if big:
                self.con.execute("COMMIT")
                self.con.execute("BEGIN")
            name = setup.villages[figures["index"] - 1].name
            self.progress(f"村卫生室 {done}/{len(plans)} {name}：居民 {figures['people']} 人，"
                          f"就诊 {figures['visits']} 次，出入库 {figures['movements']} 笔")

        def from_worker(figures: dict, shipments: list, counts: dict) -> None:
            ctx.shipments.extend(shipments)
            for key, value in counts.items():
                ctx.counts[key] = ctx.counts.get(key, 0) + value
            finished(figures)

        workers = min(self.scale.workers, os.cpu_count() or 1)
        if workers > 1:
            run_parallel(config, plans, self.writer, workers, from_worker, self.rng.getrandbits(64))
        else:
            for plan in plans:
                finished(simulate(ctx, plan, self.writer))

    def _cases(self, ctx, plans: list[VillagePlan], setup) -> int:  # noqa: ANN001
        """Every village's 帮办代办 cases of the recent months, with the township's reviews."""
        types = load_case_types(resource("cases", "case_types.toml"))
        worker = Staff(setup.township_id, *setup.case_worker)
        total = 0
        for plan in plans:
            total += VillageCases(
                ids=self.ids, add=ctx.add, types=types, village=Staff(plan.site_id, plan.doctor_id, plan.doctor_name),
                worker=worker, local_site_id=setup.local_site_id, today=self.today, until=self.until,
                start=self.start, people=plan.people, seed=f"cases:{plan.index}:{self.today}").run()
            ctx.maybe_flush()
        return total

    def _peer_sync(self, setup) -> None:  # noqa: ANN001
        """What the hub last said about the villages, as a township that syncs daily would have it: most
        synced this afternoon or yesterday, the last one three days ago (so 村室药品 and the 工作台 show one late)."""
        rows = []
        for village in setup.villages:
            days = 3 if village.index == len(setup.villages) else (village.index - 1) % 2
            day = self.today - timedelta(days=days)
            at = datetime(day.year, day.month, day.day, 17, village.index % 60)
            rows.append((village.site_id, dt_text(at), village.site_id, dt_text(at)))
        self.con.executemany(
            "INSERT INTO peer_sync_status (site_id, last_sync_at, last_local_seq, fetched_at) VALUES (?, ?, "
            "(SELECT coalesce(max(last_local_seq), 0) FROM month_closes WHERE site_id = ?), ?)", rows)

    def _finish(self, dropped: list[tuple[str, str]]) -> None:
        """Rebuild the dropped indexes, queue the local site's rows, gather statistics, back to WAL."""
        con = self.con
        if dropped:
            self.progress(f"重建索引 {len(dropped)} 个…")
            for _name, sql in dropped:
                con.execute(sql)
        con.execute("BEGIN")
        queued = queue_local_rows(con)
        con.execute("COMMIT")
        self.progress(f"待同步队列：本机记录 {queued} 条")
        self.progress("统计信息与收尾…")
        end_bulk_load(con)

    def _plans(self, setup, regimen_pool: dict) -> list[VillagePlan]:  # noqa: ANN001
        """Residents of every village (made here, so ID numbers are unique across villages) and their plans."""
        used_ids: set[str] = set()
        plans = []
        for village in setup.villages:
            people, members = people_rows(self.writer, self.writer_add, self.ids, village, self.today, self.start,
                                          used_ids, regimen_pool)
            plans.append(VillagePlan(
                index=village.index, site_id=village.site_id, store_id=village.store_id, name=village.name,
                doctor_id=village.doctor_id, doctor_name=village.doctor_name, visits_per_workday=village.rate,
                people=people, members=members, start=self.start, stocktake_days=self._stocktake_days(),
                category_stocktake=(self.today - timedelta(days=10), "抗感染")
                if village.index == 1 and self.scale.villages < 10 else None,
            ))
        self.writer.flush()
        return plans

    def _stocktake_days(self) -> tuple[date, ...]:
        days = []
        for year in range(self.start.year, self.today.year):
            day = date(year, 12, 31)
            while not is_workday(day):
                day -= timedelta(days=1)
            days.append(day)
        days.append(self.today - timedelta(days=40))
        return tuple(days)


__all__ = ["PASSWORD", "SCALES", "build_demo"]
