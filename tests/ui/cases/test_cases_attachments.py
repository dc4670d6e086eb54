"""附件 of a case at a village: a PNG photo and a PDF added through 添加附件 (Ctrl+U, the file dialog
answered), listed with type, size, who and when, stored under DATA/attachments; an empty file and a .txt
refused in red naming 附件 with nothing added; 打开 (Enter, double-click) hands the system a file with
the attachment's own name and bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from cases_ui import add_residents
from op_keys import OFFSCREEN_POPUP_NOISE, press, settle
from PIL import Image
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog

from app.bootstrap import bootstrap
from app.db import blobs
from app.domain.enums import CaseType
from app.services.cases.types import CaseForm
from ui.pages.cases.attachments import FOLDER_SETTING
from ui.workers import wait_idle

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_POPUP_NOISE)


def _photo(path: Path) -> Path:
    image = Image.new("RGB", (640, 480), (200, 220, 240))
    for x in range(0, 640, 16):
        image.putpixel((x, x * 480 // 640), (10, 10, 10))
    image.save(path, "PNG")
    return path


def _pdf(path: Path) -> Path:
    Image.new("RGB", (595, 842), "white").save(path, "PDF")
    return path


def test_a_village_adds_opens_and_is_refused_attachments(open_window, make_site, password, qtbot, tmp_path,
                                                         monkeypatch, artifact) -> None:
    data = make_site("village")
    sv = bootstrap(data)
    try:
        sv.identity.sign_in("admin", password)
        ids = add_residents(sv)
        sv.cases.open(CaseForm(ids["王秀英"], CaseType.MANUAL_REIMBURSEMENT))
    finally:
        sv.close()
    files = tmp_path / "扫描"
    files.mkdir()
    photo, pdf = _photo(files / "收费票据.png"), _pdf(files / "费用清单.pdf")
    (files / "空白.pdf").write_bytes(b"")
    (files / "说明.txt").write_text("不是图片", encoding="utf-8")
    picked: list[str] = []
    asked: list[tuple[str, str]] = []

    def get_open_file_name(_parent, _title, folder, filter_):
        asked.append((folder, filter_))
        return picked.pop(0), filter_

    monkeypatch.setattr(QFileDialog, "getOpenFileName", get_open_file_name)
    opened: list[Path] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(Path(url.toLocalFile())) or True)

    window = open_window("village", "doctor", data=data)
    window.activateWindow()
    window.go("cases")
    settle()
    page = window.pages["cases"]
    panel = page.detail.attachments
    assert panel.empty.isVisible() and not panel.table.isVisible() and panel.add_button.isEnabled()
    assert not panel.open_button.isEnabled()

    try:
        # Ctrl+U: the photo, then (the button) the PDF
        page.table.setFocus()
        picked.append(str(photo))
        press(Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
        settle()
        assert asked[-1][1] == "图片和PDF (*.jpg *.jpeg *.png *.pdf)"
        assert QSettings().value(FOLDER_SETTING) == str(files)
        picked.append(str(pdf))
        panel.add_button.click()
        settle()
        assert asked[-1][0] == str(files)  # the dialog starts in the last folder
        assert not panel.error.isVisible()
        assert [a.file_name for a in panel.rows] == ["收费票据.png", "费用清单.pdf"]
        lines = [panel.table.item(r).text().split("\n") for r in range(2)]
        assert [name for name, _ in lines] == ["收费票据.png", "费用清单.pdf"]
        cells = [facts.split(" · ") for _, facts in lines]
        assert [c[0] for c in cells] == ["PNG", "PDF"]
        assert all(c[1].endswith(" KB") and c[2] == "张医生" and c[3].startswith("06-15 ") for c in cells), cells
        assert panel.table.isVisible() and not panel.empty.isVisible()
        for a in panel.rows:
            stored = blobs.blob_path(data / "attachments", a.sha256)
            assert stored.is_file() and stored.stat().st_size == a.size
        assert (data / "attachments" / panel.rows[1].sha256[:2] / panel.rows[1].sha256).read_bytes() == pdf.read_bytes()
        artifact(window, "cases-village-attachments")

        # refused: an empty file, a .txt; said in red naming 附件, nothing added
        for bad, words in (("空白.pdf", "是空文件"), ("说明.txt", "不是JPEG、PNG 图片或 PDF 文件")):
            picked.append(str(files / bad))
            panel.add_button.click()
            settle()
            assert panel.error.isVisible() and "附件" in panel.error.text() and words in panel.error.text(), bad
            assert bad in panel.error.text()
        assert len(panel.rows) == 2 and len(window.ctx.sv.cases.attachments(page.detail.case.id)) == 2
        artifact(window, "cases-village-attachment-refused")

        # 打开: Enter on the PDF's row, a double-click on the photo's
        panel.table.setFocus()
        panel.table.setCurrentRow(1)
        press(Qt.Key.Key_Return)
        settle()
        assert not panel.error.isVisible()
        assert [p.name for p in opened] == ["费用清单.pdf"] and opened[0].read_bytes() == pdf.read_bytes()
        first = panel.table.visualItemRect(panel.table.item(0)).center()
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=first)  # the press a double-click needs
        qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=first)
        assert wait_idle()
        settle()
        assert [p.name for p in opened] == ["费用清单.pdf", "收费票据.png"]
        assert opened[1].read_bytes() == blobs.blob_path(data / "attachments", panel.rows[0].sha256).read_bytes()
    finally:
        QSettings().remove(FOLDER_SETTING)


def test_the_named_copies_of_opened_attachments_go_when_the_program_quits(qapp, tmp_path, monkeypatch) -> None:
    """Patients' papers opened under their own names do not stay in the temporary folder."""
    import tempfile

    from ui.widgets.file_copies import copies_root, named_copy

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))  # this test's own temporary folder
    (tmp_path / "temp").mkdir()

    stored = tmp_path / ("ab" * 32)
    stored.write_bytes(b"%PDF-1.4 test")
    copy = named_copy(stored, "发票.pdf", stored.name)
    assert copy.name == "发票.pdf" and copy.read_bytes() == stored.read_bytes()
    assert copy.is_relative_to(copies_root())
    qapp.aboutToQuit.emit()
    assert not copies_root().exists()
