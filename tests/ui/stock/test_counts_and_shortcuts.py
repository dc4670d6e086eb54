"""Large counts read with thousands separators (工作台 tiles, 药品库存 lists), and 报表 exports with the
same keys as 药品库存 (Ctrl+E PDF, Ctrl+Shift+E Excel)."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from stock_ui import activate, settle

from app.bootstrap import bootstrap
from app.domain import clock
from app.domain.enums import Role, SiteKind
from app.paths import DataDir
from ui.tiles import TileScope, core_tiles

BACKLOG = 12345


def test_a_large_sync_backlog_reads_with_a_thousands_separator(stock_site) -> None:
    data, _small = stock_site()
    con = sqlite3.connect(DataDir(data).database, isolation_level=None)
    try:
        have = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
        stamp = con.execute("SELECT min(created_at) FROM outbox").fetchone()[0]
        con.executemany("INSERT INTO outbox (op_id, tx_id, table_name, record_id, schema_version, payload, created_at) "
                        "VALUES (?, ?, 'drugs', ?, 1, '{}', ?)",
                        [(f"op-{i}", f"tx-{i}", f"rec-{i}", stamp) for i in range(BACKLOG - have)])
    finally:
        con.close()
    sv = bootstrap(data)
    try:
        scope = TileScope(Role.ADMIN, SiteKind.VILLAGE, clock.today(), frozenset({"dashboard", "stock"}))
        tiles = {t.key: t for t in core_tiles(sv, scope)}
    finally:
        sv.close()
    assert tiles["sync.pending"].figure == "12,345 条"


def test_stock_list_counts_have_separators(qtbot, stock_site, open_stock) -> None:
    data, small = stock_site()
    sv = bootstrap(data)
    try:
        sv.stock.receive(small.vb1.id, "V2701", clock.today().replace(year=clock.today().year + 2), "3119瓶55片")
    finally:
        sv.close()
    window, page = open_stock(data)
    tab = page.show_tab("onhand")
    settle()
    row = tab.model.find(lambda r: r.drug_id == small.vb1.id)
    assert tab.model.data(tab.model.index(row, 4)) == "3,121瓶55片"
    assert tab.model.data(tab.model.index(row, 5)) == "312,155片"


def test_reports_export_with_ctrl_e_like_the_stock_page(qtbot, make_site, open_window, tmp_path, monkeypatch) -> None:
    import ui.pages.reports.page as reports

    asked: list[str] = []

    def save_as(_parent, _title, suggested, pattern):  # noqa: ANN001, ANN202
        asked.append(pattern)
        return str(tmp_path / ("report.pdf" if "pdf" in pattern else "report.xlsx")), pattern

    monkeypatch.setattr(reports.QFileDialog, "getSaveFileName", staticmethod(save_as))
    window = open_window("village", "admin")
    activate(qtbot, window)
    window.go("reports")
    settle()
    page = window.pages["reports"]
    page.build_report()
    settle()
    assert page.pdf_button.text() == "导出 PDF (Ctrl+E)" and page.xlsx_button.text() == "导出 Excel (Ctrl+Shift+E)"
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    settle()
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    activate(qtbot, window)  # the busy overlay of the export took the focus
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    settle()
    assert (tmp_path / "report.xlsx").exists() and len(asked) == 2
