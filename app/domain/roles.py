"""Which areas (pages) each role sees. The main window shows only areas that exist."""

from __future__ import annotations

from .enums import Role, SiteKind

#: areas in navigation order: code name → 中文
AREAS: dict[str, str] = {
    "dashboard": "工作台",
    "outpatient": "门诊收费",
    "stock": "药品库存",
    "transfers": "调拨与报量",
    "residents": "居民档案",
    "cases": "帮办代办",
    "reports": "报表",
    "sync": "同步",
    "settings": "设置",
}

_ROLE_AREAS: dict[Role, set[str]] = {
    Role.VILLAGE_DOCTOR: {"dashboard", "outpatient", "stock", "transfers", "residents", "cases", "reports", "sync"},
    Role.TOWNSHIP_PHARMACIST: {"dashboard", "stock", "transfers", "reports", "sync"},
    Role.CASE_WORKER: {"dashboard", "residents", "cases", "reports", "sync"},
    Role.ADMIN: set(AREAS),
}

#: areas that only make sense at one kind of site
_SITE_AREAS: dict[SiteKind, set[str]] = {
    SiteKind.VILLAGE: set(AREAS),
    SiteKind.TOWNSHIP: set(AREAS) - {"outpatient"},
}


def visible_areas(role: Role | str, site_kind: SiteKind | str, available: set[str]) -> list[str]:
    """Areas a user of ``role`` at a ``site_kind`` site sees, limited to pages that exist."""
    allowed = _ROLE_AREAS[Role(role)] & _SITE_AREAS[SiteKind(site_kind)] & available
    return [area for area in AREAS if area in allowed]


def roles_for_site(site_kind: SiteKind | str) -> list[Role]:
    """Roles that may work at a site of this kind."""
    if SiteKind(site_kind) is SiteKind.VILLAGE:
        return [Role.VILLAGE_DOCTOR, Role.ADMIN]
    return [Role.TOWNSHIP_PHARMACIST, Role.CASE_WORKER, Role.ADMIN]
