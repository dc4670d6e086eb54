"""附件 of a case at one site: a photo shrunk and turned upright before it is stored, the file kept once
under its SHA-256 beside the database, and an empty, oversize or not allowed file refused with a message
naming 附件 and nothing written (neither the database nor the attachments folder changes)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image
from stock_helpers import db_fingerprint

from app.bootstrap import bootstrap
from app.domain.enums import CaseType
from app.domain.errors import PermissionDenied, ValidationError
from app.services.cases import attachments as att
from app.services.cases.types import CaseForm

PASSWORD = "demo1234"


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def village(demo_copy: Path):
    sv = bootstrap(demo_copy, backup_before_migrate=False)
    sv.identity.sign_in("doctor", PASSWORD)
    with closing(sqlite3.connect(demo_copy / "cunyi.db")) as con:
        resident_id = con.execute("SELECT r.id FROM residents r JOIN local_site l ON l.site_id = r.site_id "
                                  "ORDER BY r.id_number LIMIT 1").fetchone()[0]
    case_id = sv.cases.open(CaseForm(resident_id, CaseType.MANUAL_REIMBURSEMENT)).case_id
    try:
        yield SimpleNamespace(sv=sv, data=demo_copy, case_id=case_id)
    finally:
        sv.close()


def _photo(path: Path, size: tuple[int, int], orientation: int | None = None, fmt: str = "JPEG") -> Path:
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 3))  # a mark that shows which way is up
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(path, fmt, **({"exif": exif.tobytes(), "quality": 95} if fmt == "JPEG" else {}))
    return path


def test_a_phone_photo_is_turned_upright_and_shrunk_and_stored_once_by_its_hash(village, tmp_path: Path) -> None:
    photo = _photo(tmp_path / "身份证正面.JPG", (4000, 3000), orientation=6)  # taken with the phone on its side
    info = village.sv.cases.add_attachment(village.case_id, photo)
    path = village.sv.cases.open_attachment(info.attachment_id)
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == info.sha256 == path.name and len(data) == info.size
    assert path == village.data / "attachments" / info.sha256[:2] / info.sha256
    with Image.open(path) as stored:
        assert stored.format == "JPEG" and stored.size == (1500, 2000)  # upright: the long side is the height
    assert (info.media_type, info.file_name, info.user_name, info.present) == ("image/jpeg", "身份证正面.JPG",
                                                                                "赵文静", True)
    again = village.sv.cases.add_attachment(village.case_id, photo)  # the same file twice: one file, two rows
    assert again.sha256 == info.sha256 and again.attachment_id != info.attachment_id
    assert [a.attachment_id for a in village.sv.cases.attachments(village.case_id)] == [info.attachment_id,
                                                                                         again.attachment_id]
    assert _files(village.data / "attachments") == [f"{info.sha256[:2]}/{info.sha256}"]
    with closing(sqlite3.connect(village.data / "cunyi.db")) as con:
        queued = con.execute("SELECT count(*) FROM outbox WHERE table_name = 'case_attachments'").fetchone()[0]
        assert queued == 2
        with pytest.raises(sqlite3.DatabaseError, match="附件添加后不能修改"):
            con.execute("UPDATE case_attachments SET file_name = 'x.jpg'")
        with pytest.raises(sqlite3.DatabaseError):
            con.execute("DELETE FROM case_attachments")


def test_a_small_scan_and_a_pdf_are_stored_as_they_are(village, tmp_path: Path) -> None:
    png = _photo(tmp_path / "票据.png", (800, 600), fmt="PNG")
    pdf = tmp_path / "费用清单.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    for source, media_type in ((png, "image/png"), (pdf, "application/pdf")):
        info = village.sv.cases.add_attachment(village.case_id, source)
        assert info.media_type == media_type
        assert village.sv.cases.open_attachment(info.attachment_id).read_bytes() == source.read_bytes()


@pytest.mark.parametrize("case", ["empty", "wrong_type", "renamed_exe", "mismatch", "oversize", "broken_image",
                                  "missing"])
def test_a_bad_file_is_refused_naming_the_field_and_nothing_is_written(village, tmp_path: Path, case: str,
                                                                      monkeypatch) -> None:
    path = tmp_path / "file"
    if case == "empty":
        path = tmp_path / "空白.jpg"
        path.write_bytes(b"")
        message = "是空文件"
    elif case == "wrong_type":
        path = tmp_path / "病历.docx"
        path.write_bytes(b"PK\x03\x04" + os.urandom(200))
        message = "不是JPEG、PNG 图片或 PDF 文件"
    elif case == "renamed_exe":
        path = tmp_path / "照片.jpg"
        path.write_bytes(b"MZ\x90\x00" + os.urandom(200))  # a program named like a photo
        message = "不是JPEG、PNG 图片或 PDF 文件"
    elif case == "mismatch":
        path = _photo(tmp_path / "扫描.pdf", (100, 100), fmt="PNG")
        message = "内容是PNG 图片，与扩展名“.pdf”不符"
    elif case == "oversize":
        monkeypatch.setattr(att, "MAX_BYTES", 64 * 1024)
        path = tmp_path / "大文件.pdf"
        path.write_bytes(b"%PDF-1.4\n" + os.urandom(100 * 1024))
        message = r"太大（0\.1 MB），最大 0\.1 MB"
    elif case == "broken_image":
        path = tmp_path / "坏图.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(300))
        message = "图片已损坏或无法读取"
    else:
        path = tmp_path / "不存在.jpg"
        message = "附件文件不存在"
    before = db_fingerprint(village.data / "cunyi.db")
    with pytest.raises(ValidationError, match=message) as error:
        village.sv.cases.add_attachment(village.case_id, path)
    assert error.value.field == "附件"
    assert db_fingerprint(village.data / "cunyi.db") == before
    assert _files(village.data / "attachments") == []


def test_the_real_limit_refuses_a_pdf_over_ten_megabytes(village, tmp_path: Path) -> None:
    path = tmp_path / "扫描件.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError, match=r"太大（10\.0 MB），最大 10\.0 MB"):
        village.sv.cases.add_attachment(village.case_id, path)
    assert _files(village.data / "attachments") == []


def test_a_signed_out_user_adds_nothing(village, tmp_path: Path) -> None:
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    village.sv.identity.sign_out()
    with pytest.raises(PermissionDenied):
        village.sv.cases.add_attachment(village.case_id, pdf)
    assert _files(village.data / "attachments") == []


def test_an_attachment_whose_file_has_not_arrived_says_so(village, tmp_path: Path) -> None:
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    info = village.sv.cases.add_attachment(village.case_id, pdf)
    (village.data / "attachments" / info.sha256[:2] / info.sha256).unlink()
    village.sv.cases.fetch_blob = None
    assert not village.sv.cases.attachments(village.case_id)[0].present
    with pytest.raises(Exception, match="还没有同步到本机"):
        village.sv.cases.open_attachment(info.attachment_id)
