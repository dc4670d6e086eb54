"""Who may do what: ONE table of use cases, the roles allowed each, and where a kind of site matters.

Every public method of every service in ``app.services`` names its use case with
``@requires("catalog.update")`` (``app.services.core.context.requires``), which refuses the call with
``PermissionDenied`` before anything is read or written. The UI reads the same table: the areas in
the navigation (``app.domain.roles.visible_areas``) are the areas of the use cases a role may do, and a
page hides a button whose use case ``allowed`` says no. So the screens and the services cannot
disagree.

A use case with an ``area`` opens that area of the app to its roles. Entries named ``view.<area>`` are
areas every user of those roles has (dashboard, reports, sync, and the lists of transfers and
statements). ``settlement.reverse_earlier_day`` is a rule inside ``settlement.reverse``: a village
doctor reverses the same day's settlements, an administrator also earlier days'.

The signed-out actor has no role (``""``) and so may do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .enums import Role, SiteKind
from .errors import PermissionDenied
from .roles import roles_for_site

D, P, C, A = Role.VILLAGE_DOCTOR, Role.TOWNSHIP_PHARMACIST, Role.CASE_WORKER, Role.ADMIN
#: every signed-in user
STAFF = frozenset(Role)
VILLAGE = frozenset({SiteKind.VILLAGE})
TOWNSHIP = frozenset({SiteKind.TOWNSHIP})


@dataclass(frozen=True)
class Permission:
    """One use case: what it is called in a refusal, who may do it, at which kinds of site, its area."""

    label: str
    roles: frozenset[Role]
    site_kinds: frozenset[SiteKind] | None = None
    area: str | None = None
    #: the township's reference data it writes ("药品目录", "待遇政策文件"): refused at a village enrolled
    #: under a township, which reads the township's rows; a standalone village keeps its own until it enrolls
    township_data: str = ""


def _p(label: str, roles: set[Role] | frozenset[Role], site_kinds: frozenset[SiteKind] | None = None,
       area: str | None = None, *, township_data: str = "") -> Permission:
    return Permission(label, frozenset(roles), site_kinds, area, township_data)


#: use case → permission. Writes are named ``<service>.<method>``; reads ``<service>.read``.
PERMISSIONS: dict[str, Permission] = {
    # areas every user sees, or whose use cases are still to come
    "view.dashboard": _p("查看工作台", STAFF, area="dashboard"),
    "view.transfers": _p("查看调拨与报量", {D, P, A}, area="transfers"),
    "view.statements": _p("查看统一结算单", {D, P, A}, area="statements"),
    "view.cases": _p("查看帮办代办", {D, C, A}, area="cases"),
    "view.reports": _p("查看报表", STAFF, area="reports"),
    "view.sync": _p("查看同步", STAFF, area="sync"),
    # reads
    "catalog.read": _p("查看药品目录", STAFF),
    "stock.read": _p("查看库存", STAFF),
    "stocktake.read": _p("查看盘点单", STAFF),
    "residents.read": _p("查看居民档案", STAFF),
    "settlement.read": _p("查看结算", STAFF),
    "settings.read": _p("查看设置", STAFF),
    "sites.read": _p("查看机构信息", STAFF),
    "status.read": _p("查看工作台数据", STAFF),
    "sync.read": _p("查看同步状态", STAFF),
    "sync.sync_now": _p("立即同步", STAFF, area="sync"),
    "sync.join": _p("加入乡镇同步服务", {A}, area="settings"),
    "audit.read": _p("查看操作日志", {A}, area="settings"),
    "users.list": _p("查看用户列表", {A}, area="settings"),
    # settings, sites and users
    "settings.set": _p("修改系统设置（待遇政策文件、备份位置、自动锁屏等）", {A}, area="settings"),
    "settings.import_policy": _p("导入待遇政策文件", {A}, area="settings", township_data="待遇政策文件"),
    "sites.create_standalone": _p("建站", {A}),
    "users.create": _p("新增用户", {A}, area="settings"),
    "users.unlock": _p("解锁账户", {A}, area="settings"),
    "users.reset_password": _p("重置他人密码", {A}, area="settings"),
    "users.set_active": _p("停用或启用用户", {A}, area="settings"),
    "users.change_role": _p("修改用户角色", {A}, area="settings"),
    "users.change_own_password": _p("修改本人密码", STAFF),
    # catalog and prices
    "catalog.create": _p("新增药品", {P, A}, area="stock", township_data="药品目录"),
    "catalog.update": _p("修改药品信息和价格", {P, A}, area="stock", township_data="药品目录"),
    "catalog.reset_pinyin": _p("修改药品拼音码", {P, A}, area="stock", township_data="药品目录"),
    "catalog.import_file": _p("导入药品目录", {P, A}, area="stock", township_data="药品目录"),
    # a store's own choices about a drug (货位, 最低库存): the store's site writes them, enrolled or not
    "catalog.set_store_settings": _p("设置药品货位和最低库存", {D, P, A}, area="stock"),
    # stock
    "stock.receive": _p("入库", {D, P, A}, area="stock"),
    "stock.dispense": _p("发药出库", {D, P, A}, area="stock"),
    "stock.reverse_movement": _p("冲正库存台账", {P, A}, area="stock"),
    "stock.adjust": _p("调整库存", {P, A}, area="stock"),
    "stock.write_off": _p("报损", {P, A}, area="stock"),
    "stock.return_to_township": _p("退回乡镇", {D, A}, VILLAGE, area="stock"),
    "stocktake.start": _p("开始盘点", {D, P, A}, area="stock"),
    "stocktake.record_count": _p("录入盘点数", {D, P, A}, area="stock"),
    "stocktake.scan": _p("扫码盘点", {D, P, A}, area="stock"),
    "stocktake.cancel": _p("取消盘点", {D, P, A}, area="stock"),
    "stocktake.finalise": _p("完成盘点", {D, P, A}, area="stock"),
    # residents
    "residents.create": _p("新建居民档案", {D, C, A}, area="residents"),
    "residents.update": _p("修改居民档案", {D, C, A}, area="residents"),
    "residents.set_enrollment": _p("登记参保", {D, C, A}, area="residents"),
    "residents.set_chronic": _p("登记慢特病资格", {D, C, A}, area="residents"),
    # the outpatient desk of a village clinic
    "settlement.settle": _p("门诊收费结算", {D, A}, VILLAGE, area="outpatient"),
    "settlement.reverse": _p("冲正结算", {D, A}, VILLAGE, area="outpatient"),
    "settlement.reverse_earlier_day": _p("冲正以前日期的结算", {A}, VILLAGE),
    "settlement.print": _p("打印收据", {D, A}, VILLAGE, area="outpatient"),
    # assisted filing 帮办代办: the village opens and resubmits, the township's case worker reviews
    "cases.read": _p("查看帮办代办事项", {D, C, A}),
    "cases.open": _p("受理帮办代办事项", {D, A}, VILLAGE, area="cases"),
    "cases.collect": _p("登记已收材料", {D, A}, VILLAGE, area="cases"),
    "cases.resubmit": _p("补齐材料后重新报送", {D, A}, VILLAGE, area="cases"),
    "cases.submit": _p("报送帮办代办事项", {C, A}, TOWNSHIP, area="cases"),
    "cases.return_for_material": _p("退回补件", {C, A}, TOWNSHIP, area="cases"),
    "cases.approve": _p("办结帮办代办事项", {C, A}, TOWNSHIP, area="cases"),
    "cases.reject": _p("不予办理", {C, A}, TOWNSHIP, area="cases"),
    "cases.attach": _p("添加帮办代办附件", {D, C, A}, area="cases"),
    # township operations 三统 (DESIGN §1, §4): purchasing, requisitions 报量, shipments 调拨, receipts
    "transfers.read": _p("查看调拨与报量", {D, P, A}),
    "transfers.save_distributor": _p("维护配送企业", {P, A}, TOWNSHIP, area="transfers"),
    "transfers.set_reference_price": _p("维护集采前参考价", {P, A}, TOWNSHIP, area="transfers"),
    "transfers.receive_purchase": _p("采购入库", {P, A}, TOWNSHIP, area="transfers"),
    "transfers.return_purchase": _p("采购退货", {P, A}, TOWNSHIP, area="transfers"),
    "transfers.create_requisition": _p("报量", {D, A}, VILLAGE, area="transfers"),
    "transfers.cancel_requisition": _p("撤回报量单", {D, A}, VILLAGE, area="transfers"),
    "transfers.review_requisition": _p("审核报量", {P, A}, TOWNSHIP, area="transfers"),
    "transfers.draft_shipment": _p("开调拨出库单", {P, A}, TOWNSHIP, area="transfers"),
    "transfers.cancel_shipment": _p("作废调拨出库单", {P, A}, TOWNSHIP, area="transfers"),
    "transfers.ship": _p("调拨出库", {P, A}, TOWNSHIP, area="transfers"),
    "transfers.receive_shipment": _p("调拨入库", {D, A}, VILLAGE, area="transfers"),
    "transfers.receive_return": _p("验收村卫生室退回的药品", {P, A}, TOWNSHIP, area="transfers"),
    # the township's overview of its villages' drugs 村室药品一览
    "overview.read": _p("查看村室药品一览", {P, A}, TOWNSHIP, area="village_stock"),
    # monthly unified statements 统一结算单
    "statements.read": _p("查看统一结算单", {D, P, A}),
    "statements.set_subsidy": _p("录入基药补助", {P, A}, TOWNSHIP, area="statements"),
    "statements.draft": _p("生成统一结算单", {P, A}, TOWNSHIP, area="statements"),
    "statements.finalise": _p("统一结算单定稿", {P, A}, TOWNSHIP, area="statements"),
    "statements.acknowledge": _p("确认统一结算单", {D, A}, VILLAGE, area="statements"),
    "statements.close_month": _p("月结", STAFF, VILLAGE),
}

#: rules checked inside another use case (not a method of their own): rule → the use case
RULES: dict[str, str] = {"settlement.reverse_earlier_day": "settlement.reverse"}

#: the actor's name in a refusal when nobody is signed in
SIGNED_OUT_NAME = "未登录"


def _role(role: Role | str | None) -> Role | None:
    try:
        return Role(role) if role else None
    except ValueError:
        return None


def _kind(site_kind: SiteKind | str | None) -> SiteKind | None:
    try:
        return SiteKind(site_kind) if site_kind else None
    except ValueError:
        return None


def allowed(use_case: str, role: Role | str | None, site_kind: SiteKind | str | None = None,
            enrolled: bool = False) -> bool:
    """Whether ``role`` may do ``use_case`` at a site of ``site_kind`` (None: the kind is not known yet)
    that is ``enrolled`` under a township hub or not."""
    return refusal(use_case, role, site_kind, enrolled) is None


def refusal(use_case: str, role: Role | str | None, site_kind: SiteKind | str | None = None,
            enrolled: bool = False) -> str | None:
    """Why ``role`` may not do ``use_case`` here, in Chinese naming the action and the role; None if allowed.

    At a village ``enrolled`` under a township, the township's reference data (``township_data``) is
    read only: the refusal says who keeps it.

    Raises:
        KeyError: ``use_case`` is not in the table (a misspelt name must not pass silently).
    """
    permission = PERMISSIONS[use_case]
    who, kind = _role(role), _kind(site_kind)
    if who is None:
        return f"{SIGNED_OUT_NAME}不能{permission.label}，请先登录"
    if permission.site_kinds is not None and kind is not None and kind not in permission.site_kinds:
        places = "、".join(k.label for k in sorted(permission.site_kinds))
        return f"{kind.label}不能{permission.label}（只有{places}可以）"
    if permission.township_data and enrolled and kind is SiteKind.VILLAGE:
        return f"已加入乡镇的村卫生室不能{permission.label}：{permission.township_data}由乡镇卫生院维护，同步后即可看到"
    if who in permission.roles:
        return None
    offered = roles_for_site(kind) if kind is not None else list(Role)
    others = [r.label for r in offered if r in permission.roles] or [r.label for r in Role if r in permission.roles]
    return f"{who.label}不能{permission.label}，请由{'或'.join(others)}操作"


def check(use_case: str, role: Role | str | None, site_kind: SiteKind | str | None = None,
          enrolled: bool = False) -> None:
    """Raise ``PermissionDenied`` (field 用户) unless ``role`` may do ``use_case`` here."""
    message = refusal(use_case, role, site_kind, enrolled)
    if message is not None:
        raise PermissionDenied(message, "用户")


def needs_site_kind(use_case: str) -> bool:
    """Whether the kind of this site decides ``use_case`` (the service then looks it up)."""
    permission = PERMISSIONS[use_case]
    return permission.site_kinds is not None or bool(permission.township_data)


def area_allowed(area: str, role: Role | str, site_kind: SiteKind | str) -> bool:
    """Whether ``role`` at a ``site_kind`` site may do any use case of ``area`` (the area is then shown)."""
    return any(p.area == area and allowed(name, role, site_kind) for name, p in PERMISSIONS.items())


__all__ = ["PERMISSIONS", "RULES", "SIGNED_OUT_NAME", "STAFF", "Permission", "allowed", "area_allowed", "check",
           "needs_site_kind", "refusal"]
