"""设置 → 加入乡镇同步服务: a standalone village with history joins a real hub from the app.

The same 同步码 box as the wizard; a refused code is named on its line with nothing written; once
joined, the 同步 page lists the drugs the township must add, and the catalog's write buttons are off.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

from PySide6.QtCore import Qt
from site_harness import PASSWORD
from test_join_standalone import AMOX, BANLAN, standalone_village

from app.services.core.policies import DEFAULT_POLICY
from ui.app import create_main_window
from ui.workers import wait_idle


def _count(data, query: str) -> int:  # noqa: ANN001
    with closing(sqlite3.connect(data / "cunyi.db")) as con:
        return con.execute(query).fetchone()[0]


def _open(window, qtbot, area: str):  # noqa: ANN001, ANN202
    window.go(area)
    page = window.current_page()
    assert page.area == area
    assert wait_idle()
    return page


def test_an_admin_joins_a_standalone_village_from_settings(qtbot, tmp_path, sync_hub, join_site, artifact) -> None:
    township = join_site("township")
    with township.services() as sv:
        sv.settings.import_policy(str(DEFAULT_POLICY))
        sv.catalog.create(generic_name="阿莫西林胶囊", national_code=AMOX, strength="0.25g×24粒", pack_unit="盒",
                          base_unit="粒", units_per_pack=24, coverage_class="B", class_b_self_bp=1500, price_fen=1250)
    township.sync()
    password_file = tmp_path / "pw.txt"
    password_file.write_text(PASSWORD, encoding="utf-8")
    village, _drugs = standalone_village(tmp_path / "v", password_file, tmp_path.name[-8:])

    window = create_main_window(village.data, "admin", PASSWORD)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    assert wait_idle()
    # standalone, the admin keeps the village's own catalog; the page stays open across the join
    from ui.pages.stock.catalog import CatalogTab

    catalog = _open(window, qtbot, "stock").show_tab("catalog")
    assert isinstance(catalog, CatalogTab) and wait_idle()
    assert all(b.isEnabled() and not b.isHidden() for b in (catalog.add_button, catalog.import_button))
    page = _open(window, qtbot, "settings")
    tab = page.site_tab
    assert not tab.join_button.isHidden()
    qtbot.mouseClick(tab.join_button, Qt.MouseButton.LeftButton)
    dialog = tab.join_dialog
    qtbot.waitExposed(dialog)
    box = dialog.code_box

    # a code for another kind of site: named on the code's line, nothing written here
    code_text = sync_hub.add_site("village", "南村", township.site_id)[1]
    outbox = _count(village.data, "SELECT count(*) FROM outbox")
    bad = sync_hub.add_site("township", "另一乡镇")[1]  # a code for a township
    box.edit.setText(bad)
    qtbot.mouseClick(dialog.join_button, Qt.MouseButton.LeftButton)
    assert wait_idle(60_000)
    assert "这个同步码是给乡镇卫生院的" in box.error.text() and not box.error.isHidden()
    assert dialog.isVisible() and dialog.join_button.isEnabled()
    assert _count(village.data, "SELECT count(*) FROM sync_state") == 0
    assert _count(village.data, "SELECT count(*) FROM outbox") == outbox

    box.edit.setText(code_text)
    qtbot.keyClick(box.edit, Qt.Key.Key_Return)  # a scanner's Enter reads the code and names the hub
    assert box.hub.text() == f"乡镇同步服务：{sync_hub.url}"
    assert dialog.focusWidget() is dialog.join_button and dialog.join_button.isEnabled()
    artifact(dialog, "settings-join-hub")
    qtbot.keyClick(dialog.join_button, Qt.Key.Key_Return)  # the second Enter joins
    assert wait_idle(120_000)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=60_000)
    assert dialog.joined is not None and dialog.joined.sync_error is None
    assert window.ctx.site.enrolled
    assert tab.join_button.isHidden() and "已加入乡镇同步服务" in tab.join_message.text()
    status = window.ctx.sv.sync.status()
    assert status.joined and status.pending == 0
    qtbot.waitUntil(lambda: window.sync_label.text().startswith("已同步"), timeout=10_000)

    # the 同步 page lists what the township must add, and says what to do
    sync_page = _open(window, qtbot, "sync")
    assert not sync_page.unmapped.isHidden()
    assert sync_page.unmapped_title.text() == "待乡镇加入目录的药品（2 种）"  # 板蓝根 and 维生素C: the township has only 阿莫西林
    assert "请乡镇把这些药品加入目录" in sync_page.unmapped.text() and BANLAN in sync_page.unmapped.text()
    assert AMOX not in sync_page.unmapped.text()
    artifact(window, "sync-page-unmapped-drugs")

    # the catalog is the township's now: the open page's write buttons are off, with the reason
    assert _open(window, qtbot, "stock").show_tab("catalog") is catalog and wait_idle()
    for button in (catalog.add_button, catalog.edit_button, catalog.import_button):
        assert not button.isHidden() and not button.isEnabled()
        assert button.toolTip() == "药品目录由乡镇统一维护"
