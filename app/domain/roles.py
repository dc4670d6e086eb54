"""Areas (pages) of the app and which roles work at each kind of site. The main window shows only
areas that exist, to the roles that ``app.domain.permissions`` lets do something there."""

from __future__ import annotations

from .enums import Role, SiteKind

#: areas in navigation order: code name → 中文
AREAS: dict[str, str] = {
    "dashboard": "工作台",
    "outpatient": "门诊收费",
    "stock": "药品库存",
    "transfers": "调拨与报量",
    "village_stock": "村室药品",
    "statements": "统一结算",
    "residents": "居民档案",
    "cases": "帮办代办",
    "reports": "报表",
    "sync": "同步",
    "settings": "设置",
}


def visible_areas(role: Role | str, site_kind: SiteKind | str, available: set[str]) -> list[str]:
    """Areas a user of ``role`` at a ``site_kind`` site sees, limited to pages that exist.

    An area is shown when the role may do one of its use cases in ``app.domain.permissions``: the
    same table the services enforce, so the navigation never offers what a service would refuse.
    """
    from .permissions import area_allowed  # the table names roles per site kind from this module

    role, site_kind = Role(role), SiteKind(site_kind)
    return [area for area in AREAS if area in available and area_allowed(area, role, site_kind)]


def roles_for_site(site_kind: SiteKind | str) -> list[Role]:
    """Roles that may work at a site of this kind."""
    if SiteKind(site_kind) is SiteKind.VILLAGE:
        return [Role.VILLAGE_DOCTOR, Role.ADMIN]
    return [Role.TOWNSHIP_PHARMACIST, Role.CASE_WORKER, Role.ADMIN]
