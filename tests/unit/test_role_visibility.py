"""Which areas each role sees at each kind of site (``app.domain.roles.visible_areas``)."""

from __future__ import annotations

import pytest

from app.domain.enums import Role, SiteKind
from app.domain.roles import AREAS, roles_for_site, visible_areas

ALL = set(AREAS)


@pytest.mark.parametrize(
    ("role", "kind", "expected"),
    [
        (Role.VILLAGE_DOCTOR, SiteKind.VILLAGE,
         ["dashboard", "outpatient", "stock", "transfers", "statements", "residents", "cases", "reports", "sync"]),
        (Role.ADMIN, SiteKind.VILLAGE, [a for a in AREAS if a != "village_stock"]),
        (Role.ADMIN, SiteKind.TOWNSHIP, [a for a in AREAS if a != "outpatient"]),
        (Role.TOWNSHIP_PHARMACIST, SiteKind.TOWNSHIP, ["dashboard", "stock", "transfers", "village_stock", "statements", "reports", "sync"]),
        (Role.CASE_WORKER, SiteKind.TOWNSHIP, ["dashboard", "residents", "cases", "reports", "sync"]),
    ],
)
def test_visible_areas_by_role_and_site(role: Role, kind: SiteKind, expected: list[str]) -> None:
    assert visible_areas(role, kind, ALL) == expected
    assert visible_areas(role.value, kind.value, ALL) == expected  # stored string values work too


def test_only_pages_that_exist_are_shown_in_navigation_order() -> None:
    available = {"settings", "stock", "dashboard"}
    assert visible_areas(Role.ADMIN, SiteKind.VILLAGE, available) == ["dashboard", "stock", "settings"]
    assert visible_areas(Role.CASE_WORKER, SiteKind.TOWNSHIP, available) == ["dashboard"]
    assert visible_areas(Role.VILLAGE_DOCTOR, SiteKind.VILLAGE, set()) == []


def test_nobody_but_an_admin_sees_settings_and_the_township_has_no_outpatient_desk() -> None:
    for role in Role:
        for kind in SiteKind:
            areas = visible_areas(role, kind, ALL)
            assert ("settings" in areas) == (role is Role.ADMIN)
            assert "outpatient" not in areas or kind is SiteKind.VILLAGE
            assert areas[0] == "dashboard"


def test_roles_offered_per_site_kind() -> None:
    assert roles_for_site("village") == [Role.VILLAGE_DOCTOR, Role.ADMIN]
    assert set(roles_for_site(SiteKind.TOWNSHIP)) == {Role.TOWNSHIP_PHARMACIST, Role.CASE_WORKER, Role.ADMIN}


def test_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError):
        visible_areas("janitor", SiteKind.VILLAGE, ALL)


def test_the_navigation_shows_what_the_services_allow() -> None:
    """The areas come from the permission table the services enforce: they cannot disagree."""
    from app.domain.permissions import PERMISSIONS, allowed

    for role in Role:
        for kind in SiteKind:
            areas = visible_areas(role, kind, ALL)
            assert ("outpatient" in areas) == allowed("settlement.settle", role, kind)
            assert ("settings" in areas) == allowed("settings.set", role, kind)
            assert ("stock" in areas) == allowed("stock.receive", role, kind)
            assert ("residents" in areas) == allowed("residents.create", role, kind)
            for area in AREAS:
                cases = [name for name, p in PERMISSIONS.items() if p.area == area]
                assert cases, f"no use case opens {area}"
                assert (area in areas) == any(allowed(name, role, kind) for name in cases)
