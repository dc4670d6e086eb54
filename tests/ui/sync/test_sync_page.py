"""同步 page and the status bar's sync indicator, against a real hub and real site databases."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from hub_harness import free_port
from PySide6.QtCore import Qt
from site_harness import PASSWORD as JOIN_PASSWORD

from app.bootstrap import bootstrap
from app.domain.ids import new_id
from app.sync import protocol as p
from app.sync import state
from ui import errors
from ui.app import create_main_window
from ui.workers import Op, hub, wait_idle


def _window(qtbot, data, username="admin", password=JOIN_PASSWORD):  # noqa: ANN001, ANN202
    window = create_main_window(data, username, password)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    assert wait_idle()
    return window


def _open_sync(window, qtbot):  # noqa: ANN001, ANN202
    n = window.areas.index("sync") + 1
    qtbot.keyClick(window, getattr(Qt.Key, f"Key_{n}"), Qt.KeyboardModifier.ControlModifier)
    page = window.current_page()
    assert page.area == "sync"
    assert wait_idle()
    return page


def _reject(data, table: str, field: str, reason: str, action: str) -> None:
    """A rejection kept exactly as a push answer keeps it (``app.sync.state.save_pushed``)."""
    sv = bootstrap(data)
    try:
        with sv.db.writer.begin() as conn:
            result = p.OpResult(op_id=new_id(), local_seq=1, status="rejected", table_name=table, record_id=new_id(),
                                field=field, reason=reason, action=action)
            assert state.save_pushed(conn, 0, [result]) == 1
    finally:
        sv.close()


def test_standalone_site_says_it_is_not_joined_and_lists_rejections(open_window, make_site, qtbot, artifact) -> None:
    data = make_site("village")
    _reject(data, "residents", "id_number", "身份证号 410102195903120011 的居民已由西村卫生室登记，不能重复登记",
            "请联系西村卫生室发起居民信息变更申请")
    window = open_window("village", "doctor", data=data)
    page = _open_sync(window, qtbot)
    status = window.ctx.sv.sync.status()
    assert status.pending > 0 and not status.joined
    assert page.headline.text() == "未加入乡镇同步服务（单机运行）"
    assert not page.help.isHidden() and "同步码" in page.help.text() and "建站向导" in page.help.text()
    assert page.pending.text().startswith(f"{status.pending} 条（最早一条写于 ")
    assert not page.sync_button.isEnabled()
    qtbot.keyClick(page, Qt.Key.Key_F5)  # F5 on a standalone site says why nothing happens
    assert "还没有加入乡镇同步服务" in page.error.text()
    assert not window.ctx.background_sync.running()
    assert page.rejections_title.text() == "乡镇同步服务拒绝的变化（1 条）"
    model = page.model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)] == ["表", "字段", "原因", "处理办法", "时间"]
    cells = [model.index(0, c).data() for c in range(5)]
    assert cells[:4] == ["居民", "身份证号", "身份证号 410102195903120011 的居民已由西村卫生室登记，不能重复登记",
                         "请联系西村卫生室发起居民信息变更申请"]
    assert cells[4].startswith("2026-06-15 ")
    assert window.sync_label.text() == f"单机运行 · 待同步 {status.pending} 条"
    artifact(window, "sync-page-standalone")


def test_sync_now_pushes_and_the_page_and_status_bar_follow(join_site, qtbot, artifact) -> None:
    site = join_site("village")
    window = _window(qtbot, site.data)
    sv = window.ctx.sv
    Op(window, lambda: sv.users.create("doctor2", "赵医生", "village_doctor", "secret123")).changes("users").run()
    assert wait_idle()  # one more row for the hub
    page = _open_sync(window, qtbot)
    before = sv.sync.status()
    assert before.joined and before.pending > 0
    assert page.headline.text() == f"已加入乡镇同步服务 · {before.hub_url}"
    assert page.pending.text().startswith(f"{before.pending} 条（最早一条写于 ")
    qtbot.waitUntil(lambda: window.sync_label.text() == f"待上传 {before.pending} 条", timeout=5000)
    assert page.sync_button.isEnabled() and page.help.isHidden()

    qtbot.keyClick(page.sync_button, Qt.Key.Key_F5)
    assert window.ctx.background_sync.running() and not page.sync_button.isEnabled()
    assert not page.progress_bar.isHidden()
    assert window.ctx.background_sync.wait() and wait_idle()
    after = sv.sync.status()
    assert after.pending == 0 and after.last_sync_at is not None and not after.failing
    assert site.pending() == 0
    assert page.pending.text() == "0 条，本站的记录都已上传"
    assert page.last_sync.text() == f"今天 {after.last_sync_at:%H:%M} 成功"
    assert page.progress_label.text().endswith(f"同步完成：上传 {before.pending} 条，取回 0 条")
    assert page.progress_bar.isHidden() and page.sync_button.isEnabled()
    qtbot.waitUntil(lambda: window.sync_label.text() == f"已同步 {after.last_sync_at:%H:%M}", timeout=5000)
    artifact(window, "sync-page-joined")

    window.go("dashboard")  # the indicator opens the 同步 page
    qtbot.mouseClick(window.sync_label, Qt.MouseButton.LeftButton)
    assert window.current_area() == "sync"


def test_a_pull_refreshes_the_open_pages_of_what_changed(join_site, sync_hub, qtbot) -> None:
    township = join_site("township")
    village = join_site("village", township.site_id)
    window = _window(qtbot, village.data)
    stock = window.open_area("stock")
    assert wait_idle()
    refreshed: list[str] = []
    changed: list[str] = []
    original = stock.refresh
    stock.refresh = lambda: (refreshed.append("stock"), original())  # type: ignore[method-assign]
    hub().data_changed.connect(changed.append)
    with township.services() as tsv:  # the township adds a drug to its catalog and sends it
        tsv.catalog.create(generic_name="布洛芬缓释胶囊", strength="0.3g×20粒", pack_unit="盒", base_unit="粒",
                           units_per_pack=20, coverage_class="B", class_b_self_bp=1000, price_fen=860)
    assert township.sync()["pushed"] > 0

    assert window.ctx.background_sync.start()
    assert not window.ctx.background_sync.start()  # a second 立即同步 waits for the running one
    assert window.ctx.background_sync.wait() and wait_idle()
    assert "catalog" in changed and "sync" in changed
    assert refreshed  # the open 药品库存 page reloaded by itself
    names = [d.generic_name for d in window.ctx.sv.catalog.search("布洛芬")]
    assert names == ["布洛芬缓释胶囊"]


def test_unreachable_hub_is_said_on_the_page_and_in_the_status_bar(join_site, qtbot, monkeypatch) -> None:
    site = join_site("village")
    with closing(sqlite3.connect(site.data / "cunyi.db")) as con, con:
        con.execute("UPDATE sync_state SET hub_url = ?", (f"https://127.0.0.1:{free_port()}",))
    monkeypatch.setenv("CUNYI_SYNC_RETRY_SECONDS", "0")
    window = _window(qtbot, site.data)
    sv = window.ctx.sv
    Op(window, lambda: sv.users.create("doctor2", "赵医生", "village_doctor", "secret123")).changes("users").run()
    page = _open_sync(window, qtbot)
    qtbot.keyClick(page, Qt.Key.Key_F5)
    assert window.ctx.background_sync.wait(30_000) and wait_idle()
    status = window.ctx.sv.sync.status()
    assert status.failing and status.pending == 1
    assert page.error.isVisible() and page.error.text() == f"同步没有完成：{status.last_error}"
    assert "乡镇同步服务" in status.last_error
    assert page.headline.text().startswith("同步出错")
    assert page.last_sync.text() == (f"今天 {status.last_error_at:%H:%M} 失败；"
                                     f"上次成功 今天 {status.last_sync_at:%H:%M}")  # the first sync at joining
    qtbot.waitUntil(lambda: window.sync_label.text() == f"同步出错 · 待上传 {status.pending} 条", timeout=5000)
    assert not errors.open_boxes()  # no message box, no crash dialog
