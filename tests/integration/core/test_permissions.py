"""Roles live in the services: the permission table walked through every service method, for every role
at a village clinic and at a township, and for the signed-out actor.

The walk is generated from the services and the table (``app.domain.permissions``): every public method
of every service names a use case of the table, every use case is some method's, and each method has a
call here. A forbidden call raises ``PermissionDenied`` naming the action and the role, and the data
file is byte-for-byte the same afterwards (not even an audit row); an allowed call is not refused.
"""

from __future__ import annotations

import inspect
import shutil
import sys
from collections.abc import Callable
from datetime import date
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.bootstrap import Services, bootstrap
from app.domain import clock
from app.domain.enums import Role, SiteKind
from app.domain.errors import CunyiError, PermissionDenied
from app.domain.idcard import check_digit
from app.domain.ids import new_id
from app.domain.permissions import PERMISSIONS, RULES, allowed
from app.services.cases.types import CaseFilter, CaseForm
from app.services.core.context import SIGNED_OUT
from app.services.core.sites import EnrolledSite
from app.services.residents.types import ChronicRecord, EnrollmentRecord, ResidentForm
from app.services.settlement.types import DraftLine, VisitDraft
from app.services.transfers.types import DistributorForm, PurchaseForm, PurchaseLineForm

sys.path.insert(0, str(Path(__file__).parents[1] / "stock"))
from stock_helpers import db_fingerprint  # noqa: E402

PASSWORD = "walk-pass-1"
#: the user of each role at the two sites (a village has no pharmacist or case worker in real life, but
#: the services must refuse them anyway)
ROLE_USERS = {Role.VILLAGE_DOCTOR: "doctor", Role.TOWNSHIP_PHARMACIST: "pharmacist", Role.CASE_WORKER: "caseworker",
              Role.ADMIN: "admin"}
#: methods open to everyone, signed in or not: the door itself
DOOR = {"identity.sign_in", "identity.sign_out", "identity.local_site"}


def _id_number(seq: str) -> str:
    first17 = "410102" + "19590312" + seq
    return first17 + check_digit(first17)


def _service_names() -> list[str]:
    return [name for name, value in vars(Services).items() if isinstance(value, cached_property)]


def _methods(sv: Services) -> dict[str, Callable]:
    """``<service>.<method>`` → the bound public method, for every service of the installation."""
    out = {}
    for name in _service_names():
        service = getattr(sv, name)
        for attr, member in inspect.getmembers(type(service), inspect.isfunction):
            if not attr.startswith("_"):
                out[f"{name}.{attr}"] = getattr(service, attr)
    return out


def _draft(f: SimpleNamespace) -> VisitDraft:
    return VisitDraft(resident_id=f.resident_id, visit_date=clock.today(), diagnosis="高血压", diagnosis_code="I10",
                      lines=(DraftLine(f.drug_id, 2, "口服 每日1次 每次1片"),))


def _form(f: SimpleNamespace, seq: str, name: str) -> ResidentForm:
    return ResidentForm(id_number=_id_number(seq), name=name, address="示例村1组",
                        enrollments=(EnrollmentRecord(2026, date(2025, 11, 15)),))


#: ``<service>.<method>`` → a call with real arguments (``f``: the site's ids and a scratch folder)
CALLS: dict[str, Callable[[Services, SimpleNamespace], object]] = {
    "audit.recent": lambda sv, f: sv.audit.recent(10),
    "catalog.get": lambda sv, f: sv.catalog.get(f.drug_id),
    "catalog.search": lambda sv, f: sv.catalog.search("wk"),
    "catalog.create": lambda sv, f: sv.catalog.create(
        generic_name="走查新增片", strength="5mg×10片", pack_unit="盒", base_unit="片", units_per_pack=10,
        coverage_class="A", price_fen=300),
    "catalog.update": lambda sv, f: sv.catalog.update(f.drug_id, retail_price_fen=1300),
    "catalog.reset_pinyin": lambda sv, f: sv.catalog.reset_pinyin(f.drug_id),
    "catalog.set_store_settings": lambda sv, f: sv.catalog.set_store_settings(f.drug_id, shelf="A3"),
    "catalog.import_file": lambda sv, f: sv.catalog.import_file(f.catalog_csv),
    "cases.case_types": lambda sv, f: sv.cases.case_types(),
    "overview.village_list": lambda sv, f: sv.overview.village_list(),
    "overview.villages": lambda sv, f: sv.overview.villages(),
    "overview.village_stock": lambda sv, f: sv.overview.village_stock(f.site_id),
    "overview.village_card_page": lambda sv, f: sv.overview.village_card_page(f.site_id, f.drug_id, None, 50),
    "overview.monthly_usage": lambda sv, f: sv.overview.monthly_usage(months=6),
    "statements.close_months": lambda sv, f: sv.statements.close_months(),
    "statements.set_subsidy": lambda sv, f: sv.statements.set_subsidy(f.site_id, "2026-05", 120000, "走查"),
    "statements.subsidies": lambda sv, f: sv.statements.subsidies("2026-05"),
    "statements.compute": lambda sv, f: sv.statements.compute(f.site_id, "2026-05"),
    "statements.draft": lambda sv, f: sv.statements.draft(f.site_id, "2026-05"),
    "statements.finalise": lambda sv, f: sv.statements.finalise("no-such-statement"),
    "statements.acknowledge": lambda sv, f: sv.statements.acknowledge("no-such-statement"),
    "statements.statements": lambda sv, f: sv.statements.statements(month="2026-05"),
    "statements.get": lambda sv, f: sv.statements.get("no-such-statement"),
    "statements.savings": lambda sv, f: sv.statements.savings("2026-05"),
    "statements.print_statement": lambda sv, f: sv.statements.print_statement("no-such-statement",
                                                                               f.scratch / "statement.pdf"),
    "transfers.distributors": lambda sv, f: sv.transfers.distributors(),
    "transfers.save_distributor": lambda sv, f: sv.transfers.save_distributor(DistributorForm("走查医药有限公司")),
    "transfers.set_reference_price": lambda sv, f: sv.transfers.set_reference_price(f.drug_id, 2000),
    "transfers.receive_purchase": lambda sv, f: sv.transfers.receive_purchase(PurchaseForm(
        "no-such-distributor", "走查随货单", "", [PurchaseLineForm(f.drug_id, "P1", date(2028, 6, 30), "1", 1200)])),
    "transfers.return_purchase": lambda sv, f: sv.transfers.return_purchase("no-such-receipt", [("x", 1)], "走查"),
    "transfers.purchases": lambda sv, f: sv.transfers.purchases("2026-06"),
    "transfers.purchase": lambda sv, f: sv.transfers.purchase("no-such-receipt"),
    "transfers.suggest_requisition": lambda sv, f: sv.transfers.suggest_requisition(),
    "transfers.create_requisition": lambda sv, f: sv.transfers.create_requisition([(f.drug_id, 28)]),
    "transfers.cancel_requisition": lambda sv, f: sv.transfers.cancel_requisition("no-such-requisition", "走查"),
    "transfers.requisitions": lambda sv, f: sv.transfers.requisitions(),
    "transfers.requisition": lambda sv, f: sv.transfers.requisition("no-such-requisition"),
    "transfers.review_requisition": lambda sv, f: sv.transfers.review_requisition("no-such-requisition", {}),
    "transfers.draft_shipment": lambda sv, f: sv.transfers.draft_shipment(f.site_id, [(f.drug_id, 1)]),
    "transfers.pick_list": lambda sv, f: sv.transfers.pick_list("no-such-shipment"),
    "transfers.print_pick_list": lambda sv, f: sv.transfers.print_pick_list("no-such-shipment", f.scratch / "pick.pdf"),
    "transfers.cancel_shipment": lambda sv, f: sv.transfers.cancel_shipment("no-such-shipment", "走查"),
    "transfers.ship": lambda sv, f: sv.transfers.ship("no-such-shipment"),
    "transfers.shipments": lambda sv, f: sv.transfers.shipments(),
    "transfers.shipment": lambda sv, f: sv.transfers.shipment("no-such-shipment"),
    "transfers.in_transit": lambda sv, f: sv.transfers.in_transit(),
    "transfers.incoming": lambda sv, f: sv.transfers.incoming(),
    "transfers.receive_shipment": lambda sv, f: sv.transfers.receive_shipment("no-such-shipment", {}),
    "transfers.returns": lambda sv, f: sv.transfers.returns(),
    "transfers.receive_return": lambda sv, f: sv.transfers.receive_return("no-such-return"),
    "cases.open": lambda sv, f: sv.cases.open(CaseForm(f.resident_id, "maternity")),
    "cases.set_collected": lambda sv, f: sv.cases.set_collected(f.case_id or "no-such-case", ["处方底方"]),
    "cases.resubmit": lambda sv, f: sv.cases.resubmit(f.case_id or "no-such-case"),
    "cases.submit": lambda sv, f: sv.cases.submit(f.case_id or "no-such-case"),
    "cases.return_for_material": lambda sv, f: sv.cases.return_for_material(f.case_id or "no-such-case", ["处方底方"]),
    "cases.approve": lambda sv, f: sv.cases.approve(f.case_id or "no-such-case"),
    "cases.reject": lambda sv, f: sv.cases.reject(f.case_id or "no-such-case", "走查不予办理"),
    "cases.get": lambda sv, f: sv.cases.get(f.case_id or "no-such-case"),
    "cases.list": lambda sv, f: sv.cases.list(CaseFilter(case_type="maternity")),
    "cases.attention": lambda sv, f: sv.cases.attention(),
    "cases.monthly_counts": lambda sv, f: sv.cases.monthly_counts(date(2026, 1, 1), clock.today()),
    "cases.report_rows": lambda sv, f: sv.cases.report_rows("2026-06"),
    "cases.add_attachment": lambda sv, f: sv.cases.add_attachment(f.case_id or "no-such-case", f.scan_pdf),
    "cases.attachments": lambda sv, f: sv.cases.attachments(f.case_id or "no-such-case"),
    "cases.open_attachment": lambda sv, f: sv.cases.open_attachment(f.attachment_id or "no-such-attachment"),
    "residents.create": lambda sv, f: sv.residents.create(_form(f, "135", "走查新建")),
    "residents.update": lambda sv, f: sv.residents.update(f.resident_id, _form(f, "123", "走查居民")),
    "residents.set_enrollment": lambda sv, f: sv.residents.set_enrollment(
        f.resident_id, EnrollmentRecord(2025, date(2024, 11, 10))),
    "residents.set_chronic": lambda sv, f: sv.residents.set_chronic(
        f.resident_id, ChronicRecord("M03900", "高血压", date(2026, 1, 1), date(2026, 12, 31))),
    "residents.get": lambda sv, f: sv.residents.get(f.resident_id),
    "residents.by_id_number": lambda sv, f: sv.residents.by_id_number(_id_number("123")),
    "residents.household_members": lambda sv, f: sv.residents.household_members(f.household_id),
    "residents.site_roster": lambda sv, f: sv.residents.site_roster(),
    "residents.many": lambda sv, f: sv.residents.many([f.resident_id]),
    "residents.search": lambda sv, f: sv.residents.search("走查"),
    "residents.coverage": lambda sv, f: sv.residents.coverage(f.resident_id, clock.today()),
    "settings.get": lambda sv, f: sv.settings.get("idle_lock_minutes"),
    "settings.all": lambda sv, f: sv.settings.all(),
    "settings.set": lambda sv, f: sv.settings.set("idle_lock_minutes", 30),
    "settings.import_policy": lambda sv, f: sv.settings.import_policy("demo-2026.toml"),
    "settlement.preview": lambda sv, f: sv.settlement.preview(_draft(f)),
    "settlement.preview_detail": lambda sv, f: sv.settlement.preview_detail(_draft(f)),
    "settlement.settle": lambda sv, f: sv.settlement.settle(_draft(f)),
    "settlement.reverse": lambda sv, f: sv.settlement.reverse(f.settlement_id, "走查冲正"),
    "settlement.get": lambda sv, f: sv.settlement.get(f.settlement_id),
    "settlement.for_visit": lambda sv, f: sv.settlement.for_visit(f.visit_id),
    "settlement.list_day": lambda sv, f: sv.settlement.list_day(clock.today()),
    "settlement.for_resident": lambda sv, f: sv.settlement.for_resident(f.resident_id),
    "settlement.receipt_data": lambda sv, f: sv.settlement.receipt_data(f.settlement_id),
    "settlement.receipt_pdf": lambda sv, f: sv.settlement.receipt_pdf(f.settlement_id),
    "settlement.prescription_data": lambda sv, f: sv.settlement.prescription_data(f.settlement_id),
    "settlement.prescription_pdf": lambda sv, f: sv.settlement.prescription_pdf(f.settlement_id),
    "sites.is_set_up": lambda sv, f: sv.sites.is_set_up(),
    "sites.get": lambda sv, f: sv.sites.get(f.site_id),
    "sites.all": lambda sv, f: sv.sites.all(),
    "sites.create_standalone": lambda sv, f: sv.sites.create_standalone("village", "又一个村", "admin2", PASSWORD),
    "sites.create_enrolled": lambda sv, f: sv.sites.create_enrolled(
        EnrolledSite(new_id(), "village", "又一个村", None, new_id(), "https://127.0.0.1:1", "0" * 64, "token"),
        "admin2", PASSWORD),
    "status.sync_state": lambda sv, f: sv.status.sync_state(),
    "sync.joined": lambda sv, f: sv.sync.joined(),
    "sync.status": lambda sv, f: sv.sync.status(),
    "sync.sync_now": lambda sv, f: sv.sync.sync_now(),
    "sync.join": lambda sv, f: sv.sync.join("不是同步码"),
    "sync.unmapped_drugs": lambda sv, f: sv.sync.unmapped_drugs(),
    "status.day_figures": lambda sv, f: sv.status.day_figures(),
    "status.recent_days": lambda sv, f: sv.status.recent_days(3),
    "status.days_figures": lambda sv, f: sv.status.days_figures(clock.today(), 3),
    "status.uncovered": lambda sv, f: sv.status.uncovered(),
    "status.backups": lambda sv, f: sv.status.backups(),
    "status.last_backup": lambda sv, f: sv.status.last_backup(),
    "status.locked_users": lambda sv, f: sv.status.locked_users(),
    "status.audit_page": lambda sv, f: sv.status.audit_page(0, 10),
    "stock.local_store_id": lambda sv, f: sv.stock.local_store_id(),
    "stock.windows": lambda sv, f: sv.stock.windows(),
    "stock.on_hand": lambda sv, f: sv.stock.on_hand(),
    "stock.batches": lambda sv, f: sv.stock.batches(),
    "stock.no_code_batches": lambda sv, f: sv.stock.no_code_batches(),
    "stock.stock_card_page": lambda sv, f: sv.stock.stock_card_page(None, f.drug_id),
    "stock.stock_card_count": lambda sv, f: sv.stock.stock_card_count(None, f.drug_id),
    "stock.alerts": lambda sv, f: sv.stock.alerts(),
    "stock.export_stock_card": lambda sv, f: sv.stock.export_stock_card(f.drug_id, f.scratch / "card.xlsx"),
    "stock.export_stock_list": lambda sv, f: sv.stock.export_stock_list(f.scratch / "list.xlsx"),
    "stock.recent_movements": lambda sv, f: sv.stock.recent_movements(["receipt"]),
    "stock.trace_code": lambda sv, f: sv.stock.trace_code("81234567890123450001"),
    "stock.receive": lambda sv, f: sv.stock.receive(f.drug_id, "W2", date(2028, 6, 30), 10),
    "stock.dispense": lambda sv, f: sv.stock.dispense(f.drug_id, 1),
    "stock.reverse_movement": lambda sv, f: sv.stock.reverse_movement(f.movement_id, "录错"),
    "stock.adjust": lambda sv, f: sv.stock.adjust(f.batch_id, 1, "清点发现多出"),
    "stock.write_off": lambda sv, f: sv.stock.write_off(f.batch_id, 1, "damaged", "摔碎"),
    "stock.return_to_township": lambda sv, f: sv.stock.return_to_township(f.batch_id, 1, "多余退回"),
    "stocktake.start": lambda sv, f: sv.stocktake.start(f.store_id),
    "stocktake.record_count": lambda sv, f: sv.stocktake.record_count(f.take_id, f.batch_id, 40),
    "stocktake.scan": lambda sv, f: sv.stocktake.scan(f.take_id, "W1"),
    "stocktake.finalise": lambda sv, f: sv.stocktake.finalise(f.take_id, skip_uncounted=True),
    "stocktake.cancel": lambda sv, f: sv.stocktake.cancel(f.take_id, "改天"),
    "stocktake.get": lambda sv, f: sv.stocktake.get(f.take_id),
    "stocktake.lines": lambda sv, f: sv.stocktake.lines(f.take_id),
    "stocktake.list": lambda sv, f: sv.stocktake.list(f.store_id),
    "stocktake.count_sheet_pdf": lambda sv, f: sv.stocktake.count_sheet_pdf(f.take_id, f.scratch / "sheet.pdf"),
    "users.list": lambda sv, f: sv.users.list(),
    "users.create": lambda sv, f: sv.users.create("walker", "走查员", f.other_role, PASSWORD),
    "users.unlock": lambda sv, f: sv.users.unlock(f.target_id),
    "users.reset_password": lambda sv, f: sv.users.reset_password(f.target_id, "reset-pass-1"),
    "users.set_active": lambda sv, f: sv.users.set_active(f.target_id, True),
    "users.change_role": lambda sv, f: sv.users.change_role(f.target_id, Role.ADMIN),
    "users.change_own_password": lambda sv, f: sv.users.change_own_password(PASSWORD, "changed-pass-1"),
}


def _build(root: Path, kind: str) -> SimpleNamespace:
    """A site of ``kind`` with a user of every role, a drug in stock, a resident, a settlement (village)
    and an open stocktake; returns the ids the calls need."""
    sv = bootstrap(root, backup_before_migrate=False)
    try:
        site = sv.sites.create_standalone(kind, f"走查{kind}", "admin", PASSWORD)
        sv.identity.sign_in("admin", PASSWORD)
        for role, username in ROLE_USERS.items():
            if role is not Role.ADMIN:
                sv.users.create(username, f"走查{role.label}", role, PASSWORD)
        other_role = Role.VILLAGE_DOCTOR if kind == "village" else Role.CASE_WORKER
        target = sv.users.create("target", "被管理者", other_role, PASSWORD)
        drug = sv.catalog.create(generic_name="走查片", strength="10mg×28片", pack_unit="盒", base_unit="片",
                                 units_per_pack=28, coverage_class="A", price_fen=1200)
        batch_id = sv.stock.receive(drug.id, "W1", date(2028, 1, 31), 56)
        sv.stock.receive(drug.id, "W0", date(2029, 1, 31), 10)  # FEFO takes W1 first: its receipt can be reversed
        movement_id = sv.stock.recent_movements(["receipt"])[0].movement_id
        resident = sv.residents.create(_form(SimpleNamespace(), "123", "走查居民")).resident
        f = SimpleNamespace(site_id=site.id, store_id=site.store_id, drug_id=drug.id, batch_id=batch_id,
                            movement_id=movement_id, resident_id=resident.id, household_id=resident.household_id,
                            target_id=target.id, other_role=Role.TOWNSHIP_PHARMACIST if kind == "township"
                            else Role.VILLAGE_DOCTOR, settlement_id=None, visit_id=None, case_id=None,
                            attachment_id=None, scan_pdf=root / "scan.pdf")
        f.scan_pdf.write_bytes(b"%PDF-1.4\n% walk\n%%EOF\n")
        if kind == "village":
            info = sv.settlement.settle(_draft(f))
            f.settlement_id, f.visit_id = info.id, info.visit_id
            f.case_id = sv.cases.open(CaseForm(resident.id, "manual_reimbursement")).case_id
            f.attachment_id = sv.cases.add_attachment(f.case_id, f.scan_pdf).attachment_id
        f.take_id = sv.stocktake.start(site.store_id).id
        csv = root / "catalog.csv"
        csv.write_text("generic_name,strength,units_per_pack,price_fen,coverage_class,pack_unit,base_unit\n"
                       "走查导入胶囊,0.25g×24粒,24,990,乙,盒,粒\n", encoding="utf-8")
        f.catalog_csv = csv
        return f
    finally:
        sv.close()


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, SimpleNamespace]]:
    root = tmp_path_factory.mktemp("walk")
    return {kind: (root / kind, _build(root / kind, kind)) for kind in ("village", "township")}


def test_every_service_method_names_a_use_case_of_the_table_and_has_a_call_here(tmp_path: Path) -> None:
    sv = bootstrap(tmp_path / "empty", backup_before_migrate=False)
    try:
        methods = _methods(sv)
    finally:
        sv.close()
    used = {name: getattr(method, "use_case", None) for name, method in methods.items() if name not in DOOR}
    assert not [name for name, case in used.items() if case is None], "service methods without @requires"
    assert set(used.values()) <= set(PERMISSIONS)
    areas_only = {name for name in PERMISSIONS if name.startswith("view.")}
    assert set(PERMISSIONS) - set(used.values()) == areas_only | set(RULES), "use cases no method names"
    assert set(CALLS) == set(used), "every service method needs a call in CALLS"
    assert set(DOOR) <= set(methods)


WALK = [("village", role) for role in [*Role, None]] + [("township", role) for role in
                                                         [Role.TOWNSHIP_PHARMACIST, Role.CASE_WORKER, Role.ADMIN, None]]


@pytest.mark.parametrize(("kind", "role"), WALK, ids=[f"{k}-{r.value if r else 'signed_out'}" for k, r in WALK])
def test_the_permission_table_holds_in_the_services(templates, tmp_path: Path, kind: str, role: Role | None) -> None:
    template, f = templates[kind]
    data = tmp_path / "data"
    shutil.copytree(template, data)
    f = SimpleNamespace(**{**vars(f), "scratch": tmp_path, "catalog_csv": data / "catalog.csv"})
    sv = bootstrap(data, backup_before_migrate=False)
    try:
        if role is None:
            sv.identity.sign_in("admin", PASSWORD)
            sv.identity.sign_out()
            assert sv.session.actor == SIGNED_OUT
        else:
            sv.identity.sign_in(ROLE_USERS[role], PASSWORD)
        database = sv.data.database
        refused, done, failed = [], [], {}
        for name, method in _methods(sv).items():
            if name in DOOR:
                continue
            use_case = method.use_case
            if not allowed(use_case, role.value if role else "", kind):
                before = db_fingerprint(database)
                with pytest.raises(PermissionDenied) as err:
                    CALLS[name](sv, f)
                assert db_fingerprint(database) == before, f"{name} wrote while refusing"
                label = role.label if role else "未登录"
                assert err.value.message.startswith(label) or err.value.message.startswith(SiteKind(kind).label)
                assert PERMISSIONS[use_case].label in err.value.message
                refused.append(name)
                continue
            try:
                CALLS[name](sv, f)
            except PermissionDenied as exc:  # pragma: no cover - the failure message names the call
                pytest.fail(f"{name} refused to {role}: {exc}")
            except CunyiError as exc:  # allowed, refused by a business rule of the call's own
                failed[name] = exc.message
            else:
                done.append(name)
    finally:
        sv.close()
    if role is None:
        assert not done and not failed, "signing out leaves an actor that can do nothing"
    else:
        assert done, "an allowed call ran"
        # the only business refusals of the walk: a second site, a sync at a site that joined no hub, a
        # stocktake already open or already closed,
        # and at a township the settlements that do not exist there
        expected = {"sites.create_standalone", "sites.create_enrolled", "sync.sync_now", "sync.join", "stocktake.start", "stocktake.finalise", "stocktake.cancel",
                    "stocktake.record_count", "stocktake.scan"}
        # a case just accepted is not the village's to send again; a township holds no case of its own
        expected |= {"cases.resubmit"}
        if kind == "township":
            expected |= {"settlement.get", "settlement.for_visit", "settlement.prescription_data",
                         "settlement.prescription_pdf", "cases.submit", "cases.return_for_material", "cases.approve",
                         "cases.reject", "cases.get", "cases.set_collected", "cases.add_attachment",
                         "cases.open_attachment"}
            # the walk's township has no village: its own site is not one to drill into
            expected |= {"overview.village_stock", "overview.village_card_page"}
            # nor a village to settle with (the walk's statements are of its own site, not a village)
            expected |= {"statements.set_subsidy", "statements.compute", "statements.draft"}
        # no statement of that id exists at either site
        expected |= {"statements.finalise", "statements.acknowledge", "statements.get", "statements.print_statement"}
        # the walk's sites have no transfers of their own: the calls name documents that do not exist, and a
        # standalone township has no village to ship to nor a distributor yet
        expected |= {"transfers.purchase", "transfers.requisition", "transfers.pick_list", "transfers.print_pick_list",
                     "transfers.shipment", "transfers.cancel_requisition", "transfers.receive_shipment",
                     "transfers.receive_purchase", "transfers.return_purchase", "transfers.review_requisition",
                     "transfers.draft_shipment", "transfers.cancel_shipment", "transfers.ship",
                     "transfers.receive_return"}
        assert set(failed) <= expected, failed


def test_a_village_doctor_is_told_who_may_change_prices_and_nothing_is_written(templates, tmp_path: Path) -> None:
    template, f = templates["village"]
    data = tmp_path / "data"
    shutil.copytree(template, data)
    sv = bootstrap(data, backup_before_migrate=False)
    try:
        sv.identity.sign_in("doctor", PASSWORD)
        before = db_fingerprint(sv.data.database)
        with pytest.raises(PermissionDenied) as err:
            sv.catalog.update(f.drug_id, retail_price_fen=1)
        assert str(err.value) == "村医不能修改药品信息和价格，请由管理员操作"
        with pytest.raises(PermissionDenied, match="村医不能修改系统设置"):
            sv.settings.set("policy_file", str(tmp_path / "evil.yaml"))
        with pytest.raises(PermissionDenied, match="村医不能报损，请由管理员操作"):
            sv.stock.write_off(f.batch_id, 1, "damaged")
        assert db_fingerprint(sv.data.database) == before
    finally:
        sv.close()


def test_the_command_line_acts_as_the_folders_owner(templates, tmp_path: Path) -> None:
    from app.services.core.context import CLI_ACTOR

    template, f = templates["village"]
    data = tmp_path / "data"
    shutil.copytree(template, data)
    sv = bootstrap(data, actor=CLI_ACTOR, backup_before_migrate=False)
    try:
        sv.settings.set("backup_folder", str(tmp_path))
        sv.catalog.update(f.drug_id, retail_price_fen=1500)
        rows = [(e.action, e.actor) for e in sv.audit.recent(2)]
    finally:
        sv.close()
    assert rows == [("catalog.update", "命令行(CLI)"), ("settings.change", "命令行(CLI)")]


def test_an_admin_at_a_township_has_no_outpatient_desk(templates, tmp_path: Path) -> None:
    template, f = templates["township"]
    data = tmp_path / "data"
    shutil.copytree(template, data)
    sv = bootstrap(data, backup_before_migrate=False)
    try:
        sv.identity.sign_in("admin", PASSWORD)
        with pytest.raises(PermissionDenied) as err:
            sv.settlement.settle(_draft(f))
        assert str(err.value) == "乡镇卫生院不能门诊收费结算（只有定点村卫生室可以）"
        with pytest.raises(PermissionDenied, match="乡镇卫生院不能退回乡镇"):
            sv.stock.return_to_township(f.batch_id, 1, "退回")
    finally:
        sv.close()


def test_signed_out_actor_is_nobody() -> None:
    assert SIGNED_OUT.role == "" and SIGNED_OUT.user_id is None
    assert not any(allowed(name, SIGNED_OUT.role, kind) for name in PERMISSIONS for kind in SiteKind)
