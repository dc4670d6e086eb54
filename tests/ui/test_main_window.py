"""The main window: navigation by role and site kind, lazy pages, shortcuts, status bar."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.domain.roles import AREAS, visible_areas
from ui import pages
from ui.widgets.page import Page
from ui.workers import wait_idle


class ProbePage(Page):
    """A real (if small) page registered for areas that have no page yet, to test the navigation."""

    area = "outpatient"

    def __init__(self, ctx, parent=None) -> None:  # noqa: ANN001
        super().__init__(ctx, parent)
        self.add_header("测试页")
        self.refreshed = 0
        self.body().addWidget(QLabel("probe"))

    def refresh(self) -> None:
        self.refreshed += 1


def _nav(window) -> list[str]:  # noqa: ANN001
    return [window.nav.item(i).text() for i in range(window.nav.count())]


ROLE_CASES = [
    ("village", "admin", "admin"),
    ("village", "doctor", "village_doctor"),
    ("township", "admin", "admin"),
    ("township", "pharmacist", "township_pharmacist"),
    ("township", "caseworker", "case_worker"),
]


@pytest.mark.parametrize(("kind", "username", "role"), ROLE_CASES)
def test_navigation_shows_the_areas_of_the_role_that_have_pages(open_window, kind, username, role) -> None:
    window = open_window(kind, username)
    expected = visible_areas(role, kind, set(pages.PAGES))
    assert window.areas == expected
    assert window.areas[0] == "dashboard"
    assert ("settings" in window.areas) is (role == "admin")  # only admins manage users and backups
    assert "outpatient" not in window.areas or kind == "village"
    assert _nav(window) == [AREAS[a] for a in expected]
    assert window.nav.item(0).toolTip() == "工作台（Ctrl+1）"
    assert [window.nav.item(i).toolTip() for i in range(len(expected))] == [
        f"{AREAS[a]}（Ctrl+{i % 10}）" if i <= 10 else AREAS[a] for i, a in enumerate(expected, start=1)
    ]


@pytest.mark.parametrize(
    ("kind", "username", "sees_outpatient"),
    [("village", "doctor", True), ("village", "admin", True), ("township", "admin", False),
     ("township", "pharmacist", False), ("township", "caseworker", False)],
)
def test_a_registered_page_appears_only_where_its_area_is_allowed(
    open_window, monkeypatch, kind, username, sees_outpatient
) -> None:
    monkeypatch.setitem(pages.PAGES, "outpatient", f"{__name__}:ProbePage")
    window = open_window(kind, username)
    assert ("outpatient" in window.areas) is sees_outpatient
    if sees_outpatient:
        assert window.areas.index("outpatient") == 1  # AREAS order, right after 工作台
        assert window.nav.item(1).text() == "门诊收费"
        assert isinstance(window.open_area("outpatient"), ProbePage)
    else:
        assert window.open_area("outpatient") is None


def test_pages_are_built_on_first_visit_and_ctrl_digits_switch_areas(open_window, qtbot) -> None:
    window = open_window("village", "admin")
    assert list(window.pages) == ["dashboard"]  # no other page built yet
    assert window.current_area() == "dashboard"
    n = window.areas.index("settings") + 1
    qtbot.keyClick(window, getattr(Qt.Key, f"Key_{n % 10}"), Qt.KeyboardModifier.ControlModifier)  # the 10th: Ctrl+0
    assert wait_idle()
    assert window.current_area() == "settings" and window.nav.currentRow() == n - 1
    assert set(window.pages) == {"dashboard", "settings"}
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_area() == "dashboard"
    settings_page = window.pages["settings"]
    window.nav.setCurrentRow(n - 1)  # arrow keys in the navigation do the same
    assert window.current_page() is settings_page  # built once, reused


def test_status_bar_shows_site_user_and_sync_backlog(open_window) -> None:
    window = open_window("village", "doctor")
    pending = window.ctx.sv.status.sync_state().pending
    assert pending > 0  # the site, its store and users are queued for the hub
    assert window.site_label.text() == "示例村卫生室（定点村卫生室）"
    assert window.user_label.text() == "张医生（村医）"
    assert window.sync_label.text() == f"单机运行 · 待同步 {pending} 条"
    assert window.windowTitle() == "村医通 — 示例村卫生室"


def test_sync_figure_follows_data_changes(open_window, qtbot) -> None:
    from ui.workers import Op

    window = open_window("village", "admin")
    before = window.ctx.sv.status.sync_state().pending
    sv = window.ctx.sv
    Op(window, lambda: sv.users.create("nurse", "赵护士", "village_doctor", "secret123")).changes("users").run()
    qtbot.waitUntil(lambda: window.sync_label.text() == f"单机运行 · 待同步 {before + 1} 条", timeout=10000)


def test_ctrl_q_closes_the_window(open_window, qtbot) -> None:
    window = open_window("village", "doctor")
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()


def test_main_window_screenshot(open_window, artifact) -> None:
    window = open_window("village", "admin")
    path = artifact(window, "main_window_village_admin")
    assert path.stat().st_size > 10_000
