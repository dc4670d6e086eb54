"""统一结算 UI tests: a township and one of its villages joined to a real hub on loopback (``ui_hub``), with a
May 2026 of real work through the services — the township buys and ships, the village receives the shipment
and settles a visit, both sync — so the township's statement of May has every kind of figure.

The village syncs on 2026-05-25 only: its month-end mark of May is not at the township yet (``village_closes_may``
sends it), so a 定稿 of May is refused until then."""

from __future__ import annotations

from datetime import date, datetime

from site_harness import PASSWORD
from town_village import TownAndVillage, create_drugs

from app.domain import clock
from app.services.core.policies import DEFAULT_POLICY
from app.services.settlement.types import DraftLine, VisitDraft
from app.services.transfers.types import DistributorForm, PurchaseForm, PurchaseLineForm

#: what the township paid per pack, what the drug cost before 集采, and how many packs it shipped in May
PRICES = {"amox": (1000, 3000, 10), "amlo": (812, 2850, 5)}
#: Σ packs × procurement price of the May shipment, received in full: 本月供药
SUPPLIED_FEN = sum(price * packs for price, _ref, packs in PRICES.values())
#: Σ (reference − procurement price) × packs: 节约医保基金
SAVINGS_FEN = sum((ref - price) * packs for price, ref, packs in PRICES.values())
TODAY = date(2026, 6, 15)


class StatementWorld(TownAndVillage):
    """The township and its village after the May of the module's text."""

    def fund_receivable_fen(self) -> int:
        """Σ fund + general-fee fund of the village's May settlements, read from its own file."""
        (total,) = self.village.sql("SELECT coalesce(sum(fund_fen + general_fee_fund_fen), 0) FROM settlements "
                                    "WHERE substr(settled_at, 1, 7) = '2026-05'")[0]
        return int(total)

    def village_closes_may(self) -> None:
        """The village's first sync after May (its month-end mark of May goes with it)."""
        self.sync(self.village, TODAY)
        clock.set_today(TODAY)


def build_world(join_site) -> StatementWorld:
    """May 2026 at a township and its village (see the module's text); the clock is left on ``TODAY``."""
    clock.set_today(date(2026, 4, 28))  # they join in April: the village's first month-end mark is of March
    town = join_site("township")
    village = join_site("village", township=town.site_id)
    w = StatementWorld(town, village)
    with w.on(town, date(2026, 5, 1)) as sv:
        sv.settings.import_policy(str(DEFAULT_POLICY))
        w.drugs = create_drugs(sv)
        distributor = sv.transfers.save_distributor(DistributorForm(name="示例医药配送有限公司"))
        for key, (_price, reference, _packs) in PRICES.items():
            sv.transfers.set_reference_price(w.drugs[key], reference)
        sv.transfers.receive_purchase(PurchaseForm(distributor, "SH-20260504", "FP-0001", [
            PurchaseLineForm(w.drugs[key], f"P{key.upper()}01", date(2028, 6, 30), "20", price)
            for key, (price, _ref, _packs) in PRICES.items()]), at=datetime(2026, 5, 4, 9, 0))
    w.sync(town, date(2026, 5, 4))
    with w.on(village, date(2026, 5, 5)) as sv:
        sv.sync.sync_now()  # the catalog and the policy
        w.enroll(sv, ("张三",))
    with w.on(town, date(2026, 5, 6)) as sv:
        shipment = sv.transfers.draft_shipment(village.site_id, [(w.drugs[k], str(packs)) for k, (_p, _r, packs)
                                                                 in PRICES.items()], at=datetime(2026, 5, 6, 9, 0))
        sv.transfers.ship(shipment, at=datetime(2026, 5, 6, 10, 0))
        sv.sync.sync_now()
    with w.on(village, date(2026, 5, 8)) as sv:
        sv.sync.sync_now()
        sv.transfers.receive_shipment(shipment, at=datetime(2026, 5, 8, 9, 0))
    with w.on(village, date(2026, 5, 20)) as sv:
        draft = VisitDraft(resident_id=w.residents[0], visit_date=date(2026, 5, 20), diagnosis="急性上呼吸道感染",
                           diagnosis_code="J06.9", lines=(DraftLine(w.drugs["amox"], 24, "口服 每日3次 每次1粒"),))
        sv.settlement.settle(draft, at=datetime(2026, 5, 20, 10, 0))
    w.sync(village, date(2026, 5, 25))
    w.sync(town, date(2026, 6, 1))
    with w.on(village, TODAY) as sv:
        sv.users.create("doctor", "张医生", "village_doctor", PASSWORD)
        sv.settings.set("printer_name", "PDF")
    with w.on(town, TODAY) as sv:
        sv.users.create("pharmacist", "李药管", "township_pharmacist", PASSWORD)
        sv.settings.set("printer_name", "PDF")
    clock.set_today(TODAY)
    return w
