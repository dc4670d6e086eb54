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
resources/policies/demo-2026.toml applied to every year (example values).
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from app.domain.errors import RuleViolation, ValidationError
from app.domain.policy import load_policy
from app.paths import DataDir, resource

from .demo_catalog import CHRONIC, demo_drugs, resolve
from .demo_ledger import BATCH_COLUMNS, MOVEMENT_COLUMNS, TRACE_COLUMNS
from .demo_rows import BulkWriter, IdFactory
from .demo_sites import SiteSetup, people_rows, set_up_sites
from .demo_township import township_history
from .demo_village import DemoContext, VillagePlan, VillageSim
from .demo_village_ops import is_workday

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


SCALES = {
    "small": Scale(3, (140, 160), (5.0, 7.0), 90, None, "village", True, False),
    "township-10y": Scale(40, (700, 1750), (10.0, 25.0), None, date(2017, 1, 1), "township", False, True),
}

#: tables the bulk load fills most; their secondary indexes are rebuilt after a large load
BIG_TABLES = ("stock_movements", "visits", "prescription_lines", "settlements", "enrollments", "residents",
              "trace_codes", "batches", "reversals", "stocktake_lines", "audit_log")


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


def build_demo(data_dir: Path | str, scale: str = "small", progress: Callable[[str], None] = print) -> dict:
    """Build the demo in ``data_dir`` (which must hold no site yet) and return a summary.

    Raises:
        ValidationError: unknown scale (规模).
        RuleViolation: the folder already holds a site (数据文件夹).
    """
    if scale not in SCALES:
        raise ValidationError(f"规模“{scale}”不存在，请用 small 或 township-10y", "规模")
    started = time.perf_counter()
    data = DataDir(Path(data_dir))
    _refuse_if_set_up(data)
    progress(f"建立数据库：{data.database}")
    from app.bootstrap import bootstrap

    bootstrap(data.root, backup_before_migrate=False).close()
    con = sqlite3.connect(data.database, isolation_level=None)
    try:
        summary = _Build(con, SCALES[scale], progress).run()
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
    def __init__(self, con: sqlite3.Connection, scale: Scale, progress: Callable[[str], None]) -> None:
        self.con, self.scale, self.progress = con, scale, progress
        self.today = date.today()
        self.start = scale.start or self.today - timedelta(days=scale.history_days or 90)
        self.rng = random.Random(f"cunyi-demo:{self.today.isoformat()}:{scale.villages}")
        self.ids = IdFactory(self.rng.getrandbits(64))
        self.writer = BulkWriter(con)

    def run(self) -> dict:
        con, scale = self.con, self.scale
        big = scale.bulk_indexes
        con.execute("PRAGMA journal_mode=OFF" if big else "PRAGMA journal_mode=MEMORY")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-200000")
        con.execute("PRAGMA temp_store=MEMORY")
        con.execute("PRAGMA foreign_keys=" + ("OFF" if big else "ON"))
        dropped = []
        if big:
            from .demo_rows import secondary_indexes

            dropped = secondary_indexes(con, BIG_TABLES)
            for name, _sql in dropped:
                con.execute(f"DROP INDEX {name}")
        con.execute("BEGIN")
        if not big:
            con.execute("PRAGMA defer_foreign_keys=ON")
        add = _define_tables(self.writer)
        setup = set_up_sites(self.writer, add, self.ids, self.rng, scale, self.today, self.start, PASSWORD)
        self.progress(f"机构：{setup.township_name} 与 {len(setup.villages)} 个村卫生室；本机为“{setup.local_name}”")
        drug_ids = [self.ids() for _ in range(len(setup.drug_values))]
        drugs = demo_drugs(drug_ids)
        policy = load_policy(resource("policies", "demo-2026.toml"))
        policies = {y: replace(policy, year=y, valid_from=date(y, 1, 1), valid_to=date(y, 12, 31))
                    for y in range(self.start.year, self.today.year + 1)}
        ctx = DemoContext(
            ids=self.ids, today=self.today, drugs=drugs, by_name=resolve(drugs), policies=policies,
            local_site_id=setup.local_site_id, add=add, maybe_flush=self.writer.maybe_flush,
            trace_from=max(self.start, date(2025, 1, 1)), print_receipts=scale.print_receipts,
            regimen_pool={c: [i for i, (w, _) in enumerate(regs) for _ in range(w)] for c, regs in CHRONIC.items()},
        )
        setup.write_drugs(drug_ids)
        self.progress(f"药品目录：{len(drugs)} 种（集采 {sum(1 for v in setup.drug_values if v.get('is_vbp'))} 种）")
        residents = 0
        used_ids: set[str] = set()
        for village in setup.villages:
            people, members = people_rows(self.writer, add, self.ids, village, self.today, self.start, used_ids,
                                          ctx.regimen_pool)
            residents += len(people)
            plan = VillagePlan(
                index=village.index, site_id=village.site_id, store_id=village.store_id, name=village.name,
                doctor_id=village.doctor_id, doctor_name=village.doctor_name,
                visits_per_workday=village.rate, people=people, members=members, start=self.start,
                stocktake_days=self._stocktake_days(),
                category_stocktake=(self.today - timedelta(days=10), "抗感染") if village.index == 1 and not big else None,
            )
            before = ctx.counts.get("visits", 0)
            sim = VillageSim(ctx, plan, f"village:{village.index}:{self.today}")
            sim.run()
            sim.ledger.batch_rows(add["batches"], add["trace_codes"])
            self.writer.flush()
            if big:
                con.execute("COMMIT")
                con.execute("BEGIN")
            self.progress(f"村卫生室 {village.index}/{len(setup.villages)} {village.name}：居民 {len(people)} 人，"
                          f"就诊 {ctx.counts.get('visits', 0) - before} 次，出入库 {sim.ledger.movements} 笔")
        self.progress(f"乡镇中转药库：采购入库与调拨出库 {len(ctx.shipments)} 行…")
        town = township_history(ctx, site_id=setup.township_id, store_id=setup.township_store_id,
                                user_id=setup.pharmacist_id, user_name=setup.pharmacist_name, start=self.start,
                                village_store={v.index: v.store_id for v in setup.villages})
        town.batch_rows(add["batches"], None)
        setup.audit_build(add, scale)
        self.writer.flush()
        con.execute("COMMIT")
        if dropped:
            self.progress(f"重建索引 {len(dropped)} 个…")
            for _name, sql in dropped:
                con.execute(sql)
        self.progress("统计信息与收尾…")
        con.execute("PRAGMA optimize=0x10002" if big else "ANALYZE")
        con.execute("PRAGMA journal_mode=WAL")
        counts = self.writer.counts
        return {
            "site_id": setup.local_site_id,
            "site_name": setup.local_name,
            "sites": 1 + len(setup.villages),
            "residents": residents,
            "visits": counts.get("visits", 0),
            "settlements": counts.get("settlements", 0),
            "reversals": counts.get("reversals", 0),
            "movements": counts.get("stock_movements", 0),
            "batches": counts.get("batches", 0),
            "trace_codes": counts.get("trace_codes", 0),
            "outbox": con.execute("SELECT count(*) FROM outbox").fetchone()[0],
            "users": setup.users,
        }

    def _stocktake_days(self) -> tuple[date, ...]:
        days = []
        for year in range(self.start.year, self.today.year):
            day = date(year, 12, 31)
            while not is_workday(day):
                day -= timedelta(days=1)
            days.append(day)
        days.append(self.today - timedelta(days=40))
        return tuple(days)


def _define_tables(writer: BulkWriter) -> dict[str, Callable[[tuple], None]]:
    """The tuple layout of every table the demo writes (after id, owner, created, updated, version)."""
    d = writer.define
    return {
        "sites": d("sites", ("kind", "name", "code", "township_id", "region", "address", "phone")),
        "stores": d("stores", ("site_id", "name")),
        "users": d("users", ("site_id", "username", "display_name", "role", "password_hash", "active")),
        "households": d("households", ("site_id", "address", "head_resident_id")),
        "residents": d("residents", ("site_id", "id_number", "name", "pinyin_abbr", "sex", "birth_date", "phone",
                                     "address", "household_id", "relation_to_head", "assistance_category",
                                     "insurance_no")),
        "enrollments": d("enrollments", ("resident_id", "year", "enrolled_on", "central_period", "repaid_years",
                                         "newborn")),
        "chronic_qualifications": d("chronic_qualifications", ("resident_id", "disease_code", "disease_name",
                                                               "valid_from", "valid_to")),
        "visits": d("visits", ("site_id", "resident_id", "visit_date", "occurred_at", "diagnosis", "diagnosis_code",
                               "chronic_code", "general_fee", "doctor_user_id", "agent_name", "agent_id_number")),
        "prescription_lines": d("prescription_lines", ("visit_id", "line_no", "drug_id", "quantity_units",
                                                       "amount_fen", "coverage_class", "class_b_self_bp", "usage")),
        "settlements": d("settlements", (
            "visit_id", "resident_id", "site_id", "receipt_no", "settled_at", "policy_year", "pool", "total_fen",
            "fund_fen", "general_fee_fund_fen", "assistance_fen", "self_paid_fen", "self_funded_fen",
            "general_fee_fen", "b_pre_self_fen", "deductible_fen", "eligible", "waiting_until", "reason",
            "doctor_user_id")),
        "reversals": d("reversals", ("settlement_id", "receipt_no", "reversed_at", "reason", "user_id")),
        "receipt_prints": d("receipt_prints", ("settlement_id", "reversal_id", "printed_at", "user_id", "reprint",
                                               "paper")),
        "stock_movements": d("stock_movements", MOVEMENT_COLUMNS),
        "batches": d("batches", BATCH_COLUMNS),
        "trace_codes": d("trace_codes", TRACE_COLUMNS),
        "stocktakes": d("stocktakes", ("store_id", "scope", "scope_value", "status", "started_at", "started_seq",
                                       "finalised_at", "user_id", "note")),
        "stocktake_lines": d("stocktake_lines", ("stocktake_id", "batch_id", "drug_id", "booked_qty", "counted_qty",
                                                 "counted_seq", "moved_during", "adjustment_qty", "reason")),
        "audit_log": d("audit_log", ("at", "site_id", "user_id", "actor", "action", "target_table", "target_id",
                                     "detail"), synced=False),
    }


__all__ = ["PASSWORD", "SCALES", "build_demo"]
