"""Bad input to 调拨与报量 is refused in Chinese, naming the field, and nothing is written: every table's rows, the
stock on hand and the outbox are as they were."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from transfers_sites import (
    codes,
    fingerprint,
    purchase,
    sync,
)

from app.domain.errors import (
    CunyiError,
    ForeignRecordError,
    NotFoundError,
    RuleViolation,
    ValidationError,
)
from app.services.stock.ledger import NearExpiryError
from app.services.transfers.types import DistributorForm, PurchaseForm, PurchaseLineForm


def refused(world, site: str, error: type[CunyiError], match: str, call: Callable[[], object],
            field: str | None = None) -> CunyiError:
    before = fingerprint(world, site)
    with pytest.raises(error, match=match) as caught:
        call()
    assert fingerprint(world, site) == before, f"{match}: something was written"
    if field is not None:
        assert caught.value.field == field
    return caught.value


def test_purchase_refusals(world) -> None:
    tr = world.sv["township"].transfers
    amox, vc = world.template.drugs
    dist = tr.save_distributor(DistributorForm("国药控股测试医药有限公司"))
    off = tr.save_distributor(DistributorForm("停用医药公司", active=False))

    def form(*, distributor: str = dist, note: str = "SH1", lines: list | None = None) -> PurchaseForm:
        return PurchaseForm(distributor, note, "FP1", lines if lines is not None else [
            PurchaseLineForm(amox, "A1", date(2027, 1, 31), "2", 1200)])

    def line(**changes: object) -> list[PurchaseLineForm]:
        values = {"drug_id": amox, "batch_no": "A1", "expiry": date(2027, 1, 31), "quantity": "2",
                  "pack_price_fen": 1200, **changes}
        return [PurchaseLineForm(vc, "V1", date(2027, 3, 1), "1", 350), PurchaseLineForm(**values)]

    t = "township"
    refused(world, t, NotFoundError, "配送企业", lambda: tr.receive_purchase(form(distributor="nobody")), "配送企业")
    refused(world, t, RuleViolation, "已停用", lambda: tr.receive_purchase(form(distributor=off)), "配送企业")
    refused(world, t, ValidationError, "随货单号不能为空", lambda: tr.receive_purchase(form(note="  ")), "随货单号")
    refused(world, t, ValidationError, "至少要有一行", lambda: tr.receive_purchase(form(lines=[])), "明细")
    refused(world, t, NotFoundError, "找不到编号为 no-such-drug", lambda: tr.receive_purchase(form(
        lines=line(drug_id="no-such-drug"))), "药品")
    refused(world, t, ValidationError, "批号不能为空", lambda: tr.receive_purchase(form(lines=line(batch_no=""))), "批号")
    refused(world, t, RuleViolation, "已于 2026-06-01 过期", lambda: tr.receive_purchase(form(
        lines=line(expiry=date(2026, 6, 1)))), "效期")
    refused(world, t, NearExpiryError, "近效期药品需确认", lambda: tr.receive_purchase(form(
        lines=line(expiry=date(2026, 8, 1)))), "效期")
    for bad in (0, -24, "0", "-2", "两盒", "1.5"):
        refused(world, t, ValidationError, "数量", lambda bad=bad: tr.receive_purchase(form(lines=line(quantity=bad))),
                "数量")
    for bad in (0, -1, "12"):
        refused(world, t, ValidationError, "进价", lambda bad=bad: tr.receive_purchase(form(
            lines=line(pack_price_fen=bad))), "进价")
    refused(world, t, ValidationError, "追溯码", lambda: tr.receive_purchase(form(lines=line(trace_codes=("123",)))))
    refused(world, t, ValidationError, "扫了 3 个码", lambda: tr.receive_purchase(form(lines=line(
        trace_codes=tuple(codes("71", 3))))))
    done = tr.receive_purchase(form())
    # the same distributor's delivery note entered again (another distributor may use the same number)
    error = refused(world, t, RuleViolation, "随货单 SH1 已于 2026-06-15 入库", lambda: tr.receive_purchase(form()),
                    "随货单号")
    assert done.receipt_no in error.message
    other = tr.save_distributor(DistributorForm("华润河南医药有限公司"))
    tr.receive_purchase(form(distributor=other, lines=[PurchaseLineForm(vc, "V1", date(2027, 3, 1), "1", 350)]))

    first = tr.purchase(done.receipt_id).lines[0]
    refused(world, t, RuleViolation, "最多还能退 48粒", lambda: tr.return_purchase(done.receipt_id, [(first.id, 49)], "破损"),
            "退货数量")
    refused(world, t, NotFoundError, "不在这张采购入库单上", lambda: tr.return_purchase(done.receipt_id, [("x", 1)], "破损"))
    refused(world, t, ValidationError, "退货原因不能为空", lambda: tr.return_purchase(done.receipt_id, [(first.id, 1)], ""))
    refused(world, t, NotFoundError, "采购入库单", lambda: tr.return_purchase("no-such", [(first.id, 1)], "破损"))
    tr.return_purchase(done.receipt_id, [(first.id, 24)], "破损")
    refused(world, t, RuleViolation, "已退 24，最多还能退 24粒",
            lambda: tr.return_purchase(done.receipt_id, [(first.id, 25)], "破损"))
    # what was shipped away cannot go back to the distributor
    draft = tr.draft_shipment(world.site_id("east"), [(amox, 20)])  # FEFO: out of A1, which held 24 after the return
    tr.ship(draft)
    refused(world, t, RuleViolation, "库存只有 4粒", lambda: tr.return_purchase(done.receipt_id, [(first.id, 24)], "破损"),
            "退货数量")
    refused(world, t, ValidationError, "统一社会信用代码", lambda: tr.save_distributor(DistributorForm("甲", "123")))
    refused(world, t, RuleViolation, "已有名为", lambda: tr.save_distributor(DistributorForm("华润河南医药有限公司")))
    refused(world, t, ValidationError, "参考价", lambda: tr.set_reference_price(amox, 0))


def test_shipment_refusals_at_the_township(world) -> None:
    township, east = world.sv["township"], world.sv["east"]
    tr = township.transfers
    amox, vc = world.template.drugs
    t = "township"
    refused(world, t, NotFoundError, "村卫生室", lambda: tr.draft_shipment("no-such-site", [(amox, 1)]))
    refused(world, t, ForeignRecordError, "不是本乡镇的村卫生室",
            lambda: tr.draft_shipment(world.site_id("township"), [(amox, 1)]))
    for bad in (0, -1, "0", "-3"):
        refused(world, t, ValidationError, "调拨数量", lambda bad=bad: tr.draft_shipment(world.site_id("east"), [
            (amox, bad)]), "调拨数量")
    refused(world, t, NotFoundError, "药品", lambda: tr.draft_shipment(world.site_id("east"), [("no-such-drug", 1)]))
    refused(world, t, ValidationError, "写了两行", lambda: tr.draft_shipment(world.site_id("east"), [(amox, 1), (amox, 2)]))
    refused(world, t, ValidationError, "调拨类型", lambda: tr.draft_shipment(world.site_id("east"), [(amox, 1)],
                                                                       kind="gift"))
    refused(world, t, ValidationError, "至少要有一种", lambda: tr.draft_shipment(world.site_id("east"), []))

    # larger than the township's stock: refused whole, naming the drug, what is needed and what there is
    purchase(township, vc, "V1", date(2027, 3, 1), "1", 350)
    big = tr.draft_shipment(world.site_id("east"), [(vc, 50), (amox, "21")])
    error = refused(world, t, RuleViolation, "阿莫西林胶囊", lambda: tr.ship(big), "数量")
    assert "需要 21盒" in error.message and "只有 20盒" in error.message
    assert tr.shipment(big).info.status == "draft"
    # only expired stock left: nothing to send
    purchase(township, vc, "OLD", date(2026, 6, 10), "5", 300, at=datetime(2026, 5, 1, 9), note_no="SH-OLD")
    stale = tr.draft_shipment(world.site_id("west"), [(vc, 150)])
    refused(world, t, RuleViolation, "另有已过期 5瓶", lambda: tr.ship(stale), "数量")
    # codes of a box that is not among the picked lots
    boxes = codes("81", 1)
    purchase(township, amox, "LATE", date(2028, 1, 31), "1", 1300, trace_codes=boxes, note_no="SH-LATE")
    small = tr.draft_shipment(world.site_id("west"), [(amox, 24)])
    refused(world, t, ValidationError, "不是本次为“阿莫西林胶囊”配货的批次", lambda: tr.ship(small, trace_codes={amox: boxes}))
    refused(world, t, ValidationError, "本单没有的药品", lambda: tr.ship(small, trace_codes={vc: boxes}))
    tr.ship(small)
    refused(world, t, RuleViolation, "已出库，不能再修改", lambda: tr.ship(small))
    refused(world, t, RuleViolation, "已出库", lambda: tr.cancel_shipment(small, "发错了"))
    tr.cancel_shipment(big, "改天")
    refused(world, t, RuleViolation, "已作废", lambda: tr.ship(big))
    refused(world, t, ValidationError, "作废原因不能为空", lambda: tr.cancel_shipment(stale, " "))
    refused(world, t, NotFoundError, "调拨出库单", lambda: tr.ship("no-such-shipment"))

    # requisitions: a cancelled one, an answered one, a line of another requisition
    req = east.transfers.create_requisition([(amox, 24)])
    gone = east.transfers.create_requisition([(vc, 100)])
    east.transfers.cancel_requisition(gone.requisition_id, "报错了")
    sync(world, "east", "township")
    refused(world, t, RuleViolation, "已被村卫生室撤回", lambda: tr.review_requisition(gone.requisition_id, {}))
    refused(world, t, NotFoundError, "不在这张报量单上", lambda: tr.review_requisition(req.requisition_id, {"x": 1}))
    refused(world, t, ValidationError, "审核数量", lambda: tr.review_requisition(req.requisition_id, {
        tr.requisition(req.requisition_id).lines[0].id: -1}))
    tr.review_requisition(req.requisition_id, {})
    refused(world, t, RuleViolation, "已开调拨出库单", lambda: tr.review_requisition(req.requisition_id, {}))
    sync(world, "township", "east")
    refused(world, "east", RuleViolation, "不能再撤回",
            lambda: east.transfers.cancel_requisition(req.requisition_id, "不要了"))
    refused(world, "east", RuleViolation, "已撤回", lambda: east.transfers.cancel_requisition(gone.requisition_id, "再撤"))


def test_requisition_refusals_at_the_village(world) -> None:
    tv = world.sv["east"].transfers
    amox, vc = world.template.drugs
    v = "east"
    refused(world, v, ValidationError, "至少要有一种", lambda: tv.create_requisition([]))
    for bad in (0, -24, "0", "负一"):
        refused(world, v, ValidationError, "报量数量", lambda bad=bad: tv.create_requisition([(amox, bad)]), "报量数量")
    refused(world, v, NotFoundError, "药品", lambda: tv.create_requisition([("no-such-drug", 1)]))
    refused(world, v, ValidationError, "写了两行", lambda: tv.create_requisition([(vc, 1), (vc, 1)]))
    refused(world, v, ValidationError, "报量月数", lambda: tv.create_requisition([(vc, 1)], target_months=0))
    refused(world, v, ValidationError, "报量月数", lambda: tv.suggest_requisition(13))
    refused(world, v, NotFoundError, "报量单", lambda: tv.cancel_requisition("no-such", "不要了"))


def test_receipt_refusals_at_the_village(world) -> None:
    township, east, west = world.sv["township"], world.sv["east"], world.sv["west"]
    amox, _ = world.template.drugs
    draft = township.transfers.draft_shipment(world.site_id("east"), [(amox, 48)])
    township.transfers.ship(draft)
    for_west = township.transfers.draft_shipment(world.site_id("west"), [(amox, 24)])
    township.transfers.ship(for_west)
    sync(world, "township", "east", "west")
    tv = east.transfers
    line = tv.shipment(draft).lines[0]
    v = "east"
    error = refused(world, v, RuleViolation, "实收 49粒 不能多于发出", lambda: tv.receive_shipment(draft, {line.id: 49}),
                    "实收数量")
    assert "发出 48粒" in error.message
    refused(world, v, ValidationError, "请写明短少原因", lambda: tv.receive_shipment(draft, {line.id: 40}), "短少原因")
    refused(world, v, ValidationError, "实收数量", lambda: tv.receive_shipment(draft, {line.id: -1}), "实收数量")
    refused(world, v, ValidationError, "实收数量", lambda: tv.receive_shipment(draft, {line.id: "1.5"}), "实收数量")
    refused(world, v, NotFoundError, "不在调拨出库单", lambda: tv.receive_shipment(draft, {"x": 1}))
    refused(world, v, ValidationError, "不在这一行发出的药盒中",
            lambda: tv.receive_shipment(draft, trace_codes={line.id: codes("99", 1)}))
    # a receipt at the wrong village: the hub sends a shipment only to the village it is addressed to, so
    # another village does not know it
    refused(world, "east", NotFoundError, "调拨出库单", lambda: tv.receive_shipment(for_west))
    assert [s.id for s in west.transfers.incoming()] == [for_west]
    # and should a shipment addressed elsewhere reach a village's database, the village still does not receive it
    stray = _stray_shipment(world, "east")
    refused(world, v, ForeignRecordError, "不是发给本村卫生室", lambda: tv.receive_shipment(stray), "调拨出库单")
    tv.receive_shipment(draft, {line.id: 40}, reasons={line.id: "少一板"})
    error = refused(world, v, RuleViolation, "不能收货两次", lambda: tv.receive_shipment(draft))
    assert "已于 2026-06-15" in error.message
    # returns: more than on hand, twice at the township
    batch = east.stock.batches(amox)[0].batch_id
    refused(world, v, RuleViolation, "库存不能为负", lambda: east.stock.return_to_township(batch, 41, "多余"))
    east.stock.return_to_township(batch, 24, "多余")
    sync(world, "east", "township")
    back = township.transfers.returns()[0].id
    township.transfers.receive_return(back)
    refused(world, "township", RuleViolation, "不能重复验收", lambda: township.transfers.receive_return(back))
    refused(world, "township", NotFoundError, "退回单", lambda: township.transfers.receive_return("no-such"))



def _stray_shipment(world, site: str) -> str:
    """A shipped shipment of the township addressed to the township itself, written into ``site``'s database as
    a pulled row is (owner, times and version as the owner wrote them)."""
    from app.db.models import Shipment, ShipmentLine, Store
    from app.db.uow import now
    from app.domain.ids import new_id

    township = world.site_id("township")
    stamp = now()
    base = {"owner_site_id": township, "created_at": stamp, "updated_at": stamp, "version": 1}
    with world.sv[site].db.unit_of_work(applying_remote=True) as uow:
        store = uow.session.query(Store).filter(Store.site_id == township).one()
        shipment = Shipment(id=new_id(), site_id=township, store_id=store.id, to_site_id=township, shipment_no="DB-X",
                            kind="ad_hoc", status="shipped", drafted_at=stamp, shipped_at=stamp, **base)
        uow.session.add(shipment)
        uow.session.flush()
        uow.session.add(ShipmentLine(id=new_id(), shipment_id=shipment.id, line_no=1, drug_id=world.template.drugs[0],
                                     quantity=24, batch_no="T2501", expiry=date(2027, 7, 31), pack_price_fen=1250,
                                     trace_codes="[]", to_site_id=township, **base))
        return shipment.id
