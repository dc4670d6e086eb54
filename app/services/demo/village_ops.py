"""The less frequent operations of a demo village: reversals 冲正, write-offs 报损, stocktakes 盘点,
receipt prints and audit rows (a mixin of ``VillageSim``)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import chinese_calendar

from app.services.demo.rows import dt_text

DAMAGE_REASONS = ("破损：药盒破损", "破损：受潮", "丢失：盘点未找到")
REVERSAL_REASONS = ("收费错误，重新结算", "患者退药", "药品开错，退费重开", "医保信息有误，冲正后重新结算")


def is_workday(day: date) -> bool:
    """Chinese working day (public holidays and make-up days) where the calendar knows the year."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


class VillageOps:
    """Reversals, write-offs, stocktakes and audit rows of ``VillageSim`` (uses its attributes)."""

    # -- audit ----------------------------------------------------------------------------------
    def audit(self, at: datetime, action: str, table: str | None, target: str | None, **detail: object) -> None:
        plan = self.plan
        self.ctx.add["audit_log"]((dt_text(at), plan.site_id, plan.doctor_id, plan.doctor_name, action, table, target,
                                   json.dumps(detail, ensure_ascii=False, default=str)))

    def print_receipt(self, settlement_id: str, reversal_id: str | None, at: datetime, reprint_later: bool) -> None:
        add = self.ctx.add["receipt_prints"]
        owner = self.plan.site_id
        stamp = dt_text(at + timedelta(seconds=20))
        add((self.ctx.ids(), owner, stamp, stamp, 1, settlement_id, reversal_id, stamp, self.plan.doctor_id, 0, "A5"))
        if reprint_later:
            later = dt_text(at + timedelta(minutes=self.rng.randint(10, 120)))
            add((self.ctx.ids(), owner, later, later, 1, settlement_id, reversal_id, later, self.plan.doctor_id, 1, "A5"))

    # -- reversals --------------------------------------------------------------------------------
    def _run_reversals(self, until: datetime | None) -> None:
        """Reverse the settlements whose reversal time has come (``None``: the rest of the day)."""
        if not self.pending:
            return
        self.pending.sort(key=lambda item: item[0])
        while self.pending and (until is None or self.pending[0][0] <= until):
            at, data = self.pending.pop(0)
            if at <= self.ctx.until:
                self._reverse(at, *data)

    def _reverse(self, at, visit_id, settlement_id, receipt_no, dispensed, ytd, split, pool, person) -> None:  # noqa: ANN001
        ctx, plan = self.ctx, self.plan
        reason = self.rng.choice(REVERSAL_REASONS)
        for batch, qty, movement_id in dispensed:
            self.ledger.move(batch, qty, at, "reversal", "visit", visit_id, plan.doctor_id,
                             reason=f"冲正 {receipt_no}：{reason}", reverses_id=movement_id)
            back = [s for s in batch.sold if s[2] == visit_id]
            if back:
                batch.sold = [s for s in batch.sold if s[2] != visit_id]
                batch.codes.extend(code for code, _, _ in back)
                for code, _, _ in back:
                    self.ledger.code_event(code, "unsold", batch, at, "visit", visit_id)
        if ytd[0] == at.year:
            self._apply_ytd(ytd, split, pool, -1)
        self.fund[f"{at.year:04d}-{at.month:02d}"] -= split.fund_fen + split.general_fee_fund_fen
        reversal_id = ctx.ids()
        stamp = dt_text(at)
        number = self._number(at.date(), "CZ")
        ctx.add["reversals"]((reversal_id, plan.site_id, stamp, stamp, 1, settlement_id, number, stamp, reason,
                              plan.doctor_id))
        if self.local:
            self.audit(at, "settlement.reverse", "settlements", settlement_id, reversal_id=reversal_id,
                       receipt_no=receipt_no, reversal_receipt_no=number, reason=reason, movements=len(dispensed),
                       refund_fen=split.patient_pays_fen)
        if ctx.print_receipts:
            self.print_receipt(settlement_id, reversal_id, at, False)
        ctx.counts["reversals"] = ctx.counts.get("reversals", 0) + 1

    # -- write-offs ---------------------------------------------------------------------------------
    def month_start(self, day: date) -> None:
        """报损 of expired stock found on the shelf, and now and then a damaged box."""
        at = datetime(day.year, day.month, day.day, 7, 5)
        if at > self.ctx.until:
            return
        for batch in self.ledger.expired_on_shelf(day):
            self._write_off(batch, batch.on_hand, at, "过期")
        if self.rng.random() < 0.08:
            stocked = [b for b in self.ledger.all if b.on_hand > 0 and not b.keep]
            if stocked:
                batch = self.rng.choice(stocked)
                per = self.ctx.drugs[batch.drug].units_per_pack
                self._write_off(batch, min(batch.on_hand, per), at, self.rng.choice(DAMAGE_REASONS))
        self.ledger.prune(day)

    def _write_off(self, batch, quantity: int, at: datetime, reason: str) -> None:  # noqa: ANN001
        kind = "write_off"
        movement_id = self.ledger.move(batch, -quantity, at, kind, "write_off", self.ctx.ids(), self.plan.doctor_id,
                                       reason=reason)
        for _ in range(min(len(batch.codes), quantity // self.ctx.drugs[batch.drug].units_per_pack)):
            batch.codes.pop()
        if self.local:
            self.audit(at, "stock.write_off", "batches", batch.id, movement_id=movement_id, quantity=quantity,
                       reason=reason)
        self.ctx.counts["write_offs"] = self.ctx.counts.get("write_offs", 0) + 1

    # -- stocktakes -------------------------------------------------------------------------------
    def stocktake(self, day: date, scope: str = "all", scope_value: str = "") -> None:
        """A finalised count after closing time: most batches agree, a few differ by a unit or two."""
        ctx, rng, plan, ledger = self.ctx, self.rng, self.plan, self.ledger
        take_id = ctx.ids()
        started = datetime(day.year, day.month, day.day, 18, 30)
        done = started + timedelta(minutes=rng.randint(40, 120))
        seq = ledger.seq
        adjusted = value = 0
        for batch in sorted(ledger.all, key=lambda b: (b.drug, b.expiry)):
            drug = ctx.drugs[batch.drug]
            if batch.on_hand <= 0 or (scope == "category" and drug.category != scope_value):
                continue
            booked = batch.on_hand
            variance = 0
            if rng.random() < 0.03:
                variance = rng.randint(1, 2) if rng.random() < 0.3 else -rng.randint(1, min(3, booked))
            stamp = dt_text(done)
            ctx.add["stocktake_lines"]((ctx.ids(), plan.site_id, stamp, stamp, 1, take_id, batch.id, drug.id, booked,
                                        booked + variance, seq, 0, variance, ""))
            if variance:
                ledger.move(batch, variance, done, "adjustment", "stocktake", take_id, plan.doctor_id,
                            reason="盘点盘盈" if variance > 0 else "盘点盘亏")
                adjusted += 1
                value += round(variance * batch.cost / drug.units_per_pack)
        note = {"all": "年终盘点" if day.month == 12 else "月度盘点", "category": f"{scope_value}类药品盘点"}[scope]
        s0, s1 = dt_text(started), dt_text(done)
        ctx.add["stocktakes"]((take_id, plan.site_id, s0, s1, 1, plan.store_id, scope, scope_value, "finalised", s0, seq,
                               s1, plan.doctor_id, note))
        if self.local:
            self.audit(done, "stocktake.finalise", "stocktakes", take_id, adjustments=adjusted, value_fen=value)
