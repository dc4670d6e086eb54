"""Running the village histories: in this process (small demo) or in worker processes (large demo).

Villages are independent of each other (the township's ledger is written afterwards from the
shipments they received), so for the ten-year demo two worker processes generate village histories
while this process inserts their rows: each worker sends its row buffers through a bounded queue
(village by village, in chunks, so memory stays flat) and one message per finished village with the
shipments it received. Workers are started with ``spawn`` so this works the same on Windows.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.domain.policy_file import parse_policy
from app.paths import resource
from app.services.demo.case_history import CASE_COLUMNS, EVENT_COLUMNS
from app.services.demo.catalog import CHRONIC, demo_drugs, resolve
from app.services.demo.ledger import BATCH_COLUMNS, MOVEMENT_COLUMNS, TRACE_EVENT_COLUMNS
from app.services.demo.rows import BulkWriter, IdFactory
from app.services.demo.transfers import transfer_tables
from app.services.demo.village import DemoContext, VillagePlan, VillageSim


@dataclass(frozen=True)
class SimConfig:
    """What a village simulation needs besides its plan (picklable)."""

    today: date
    until: datetime  # the build time: nothing in the history happens after it
    start: date
    drug_ids: tuple[str, ...]
    local_site_id: str
    trace_from: date
    print_receipts: bool
    township: tuple[str, str, str, str] = ("", "", "", "")  # site id, store id, pharmacist's user id and name


def define_tables(writer: BulkWriter) -> dict[str, Callable[[tuple], None]]:
    """The tuple layout of every table the demo writes (after id, owner, created, updated, version)."""
    d = writer.define
    return {
        "sites": d("sites", ("kind", "name", "code", "township_id", "region", "address", "phone")),
        "stores": d("stores", ("site_id", "name")),
        "users": d("users", ("site_id", "username", "display_name", "role", "password_hash", "active")),
        "households": d("households", ("site_id", "address", "head_resident_id")),
        "residents": d("residents", ("site_id", "id_number", "name", "pinyin_abbr", "pinyin_keys", "pinyin_sort",
                                     "sex", "birth_date", "phone", "address", "household_id", "relation_to_head",
                                     "assistance_category", "insurance_no")),
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
            "doctor_user_id", "policy_version")),
        "reversals": d("reversals", ("settlement_id", "receipt_no", "reversed_at", "reason", "user_id")),
        "receipt_prints": d("receipt_prints", ("settlement_id", "reversal_id", "printed_at", "user_id", "reprint",
                                               "paper")),
        "stock_movements": d("stock_movements", MOVEMENT_COLUMNS),
        "batches": d("batches", BATCH_COLUMNS),
        "trace_code_events": d("trace_code_events", TRACE_EVENT_COLUMNS),
        "stocktakes": d("stocktakes", ("store_id", "scope", "scope_value", "status", "started_at", "started_seq",
                                       "finalised_at", "user_id", "note")),
        "stocktake_lines": d("stocktake_lines", ("stocktake_id", "batch_id", "drug_id", "booked_qty", "counted_qty",
                                                 "counted_seq", "moved_during", "adjustment_qty", "reason")),
        **transfer_tables(writer),
        "cases": d("cases", CASE_COLUMNS),
        "case_events": d("case_events", EVENT_COLUMNS),
        "audit_log": d("audit_log", ("at", "site_id", "user_id", "actor", "action", "target_table", "target_id",
                                     "detail"), synced=False),
    }


def make_context(config: SimConfig, ids: Callable[[], str], add: dict, maybe_flush: Callable[[], None]) -> DemoContext:
    """The shared context of every village: drugs, the policy of each year, row writers."""
    drugs = demo_drugs(list(config.drug_ids))
    policies = {y: parse_policy(text, source=f"demo-{y}.toml")
                for y, text in demo_policy_texts(config.start.year, config.today.year).items()}
    return DemoContext(
        ids=ids, today=config.today, until=config.until, drugs=drugs, by_name=resolve(drugs), policies=policies,
        local_site_id=config.local_site_id, add=add, maybe_flush=maybe_flush, trace_from=config.trace_from,
        print_receipts=config.print_receipts, township=config.township,
        regimen_pool={c: [i for i, (w, _) in enumerate(regs) for _ in range(w)] for c, regs in CHRONIC.items()},
    )


def demo_policy_texts(first_year: int, last_year: int) -> dict[int, str]:
    """The demo policy file for each year: resources/policies/demo-2026.toml with its year and dates moved
    (the same example figures every year; each year's text is a version of its own)."""
    text = resource("policies", "demo-2026.toml").read_text(encoding="utf-8")
    out = {}
    for year in range(first_year, last_year + 1):
        moved = re.sub(r"^year = \d{4}", f"year = {year}", text, count=1, flags=re.M)
        out[year] = re.sub(r'^(valid_from|valid_to) = "\d{4}', rf'\1 = "{year}', moved, flags=re.M)
    return out


def simulate(ctx: DemoContext, plan: VillagePlan, writer: BulkWriter) -> dict[str, Any]:
    """One village's whole history (its trace code events as they happen) and its batches; returns its figures."""
    before = dict(ctx.counts)
    sim = VillageSim(ctx, plan, f"village:{plan.index}:{ctx.today}")
    sim.run()
    sim.ledger.batch_rows(ctx.add["batches"])
    writer.flush()
    return {"index": plan.index, "visits": ctx.counts.get("visits", 0) - before.get("visits", 0),
            "movements": sim.ledger.movements, "people": len(plan.people)}


# -- worker processes ------------------------------------------------------------------------------
class QueueWriter(BulkWriter):
    """A ``BulkWriter`` whose flush sends the buffered rows to the inserting process."""

    def __init__(self, queue: Any, flush_rows: int = 100_000) -> None:
        super().__init__(None, flush_rows)  # type: ignore[arg-type]
        self.queue = queue

    def flush(self) -> None:
        payload = {}
        for table, rows in self.buffers.items():
            if rows:
                payload[table] = rows[:]
                rows.clear()
        if payload:
            self.queue.put(("rows", payload))
        self._pending = 0


def _worker(config: SimConfig, plans: list[VillagePlan], queue: Any, seed: int) -> None:
    try:
        writer = QueueWriter(queue)
        add = define_tables(writer)
        ctx = make_context(config, IdFactory(seed), add, writer.maybe_flush)
        for plan in plans:
            figures = simulate(ctx, plan, writer)
            queue.put(("done", figures, ctx.shipments, dict(ctx.counts)))
            ctx.shipments = []
            ctx.counts.clear()
    except BaseException:  # noqa: BLE001 - reported to the parent, which stops the build
        queue.put(("error", traceback.format_exc()))
    queue.put(("exit", None))


def run_parallel(config: SimConfig, plans: list[VillagePlan], writer: BulkWriter, workers: int,
                 on_village: Callable[[dict, list, dict], None], seed: int) -> None:
    """Generate ``plans`` in ``workers`` processes and insert their rows here, as they come."""
    mp = multiprocessing.get_context("spawn")
    queue = mp.Queue(maxsize=6)
    procs = [mp.Process(target=_worker, args=(config, plans[k::workers], queue, seed + k), daemon=True)
             for k in range(workers)]
    for proc in procs:
        proc.start()
    running = len(procs)
    try:
        while running:
            try:
                message = queue.get(timeout=10)
            except queue_module.Empty:
                if any(proc.exitcode not in (None, 0) for proc in procs) or not any(p.is_alive() for p in procs):
                    codes = "、".join(str(proc.exitcode) for proc in procs)
                    raise RuntimeError(f"演示数据生成进程意外退出（退出码 {codes}）") from None
                continue
            if message[0] == "rows":
                writer.insert_payload(message[1])
            elif message[0] == "done":
                on_village(message[1], message[2], message[3])
            elif message[0] == "error":
                raise RuntimeError(f"演示数据生成进程出错：\n{message[1]}")
            else:
                running -= 1
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
        queue.close()
