"""Catalog import never guesses, and never holds the write lock for long.

Every bad file is refused with the row and field and leaves the database unchanged; accepted
encodings import exactly; a write that cannot get the lock says 数据库正忙; an import stopped between
batches is completed by importing the same file again, without duplicates.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from openpyxl import Workbook
from stock_helpers import Clinic

from app.db import connection
from app.domain.errors import DatabaseBusy
from app.services.catalog import importer as catalog_import
from app.services.catalog.service import ImportRejected

HEADER = "通用名,规格,转换比,进价(元),医保类别\n"
GOOD = "布洛芬片,0.1g×100片,100,3.50,乙\n"


def _rejected(clinic: Clinic, path: Path, *expected: tuple[int, str], words: tuple[str, ...] = ()) -> ImportRejected:
    before = clinic.fingerprint()
    with pytest.raises(ImportRejected) as err:
        clinic.sv.catalog.import_file(path)
    found = {(p.row, p.field) for p in err.value.problems}
    assert set(expected) <= found, err.value.problems
    message = str(err.value)
    assert "未导入任何数据" in message
    for row, field in expected:
        assert f"第 {row} 行 {field}" in message, message
    for word in words:
        assert word in message, message
    assert clinic.fingerprint() == before
    return err.value


def _csv(tmp_path: Path, data: bytes, name: str = "drugs.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_unclosed_quote_is_refused_not_read_as_a_name(clinic: Clinic, tmp_path: Path) -> None:
    data = (HEADER + GOOD + '"阿莫西林,1,盒,1.00,甲\n维生素C片,100片,100,3.00,丙\n').encode()
    _rejected(clinic, _csv(tmp_path, data), (3, "文件"), words=("引号没有配对",))


def test_text_after_a_closing_quote_is_refused(clinic: Clinic, tmp_path: Path) -> None:
    _rejected(clinic, _csv(tmp_path, (HEADER + '"阿莫西林"胶囊,1g,1,1.00,甲\n').encode()), (2, "文件"), words=("双引号",))


def test_a_row_with_only_a_name_gets_no_class_or_price(clinic: Clinic, tmp_path: Path) -> None:
    _rejected(clinic, _csv(tmp_path, (HEADER + GOOD + "阿莫西林胶囊\n").encode()),
              (3, "转换比"), (3, "医保类别"), (3, "进价"), words=("不能为空",))


def test_blank_class_and_price_cells_are_refused(clinic: Clinic, tmp_path: Path) -> None:
    _rejected(clinic, _csv(tmp_path, (HEADER + "阿莫西林胶囊,0.25g,24,,\n").encode()), (2, "医保类别"), (2, "进价"))


def test_a_file_without_class_or_price_columns_is_refused(clinic: Clinic, tmp_path: Path) -> None:
    err = _rejected(clinic, _csv(tmp_path, "通用名,规格,转换比\n阿莫西林胶囊,0.25g,24\n".encode()), (1, "表头"))
    assert "医保类别" in str(err) and "进价" in str(err)


def test_nul_character_is_refused(clinic: Clinic, tmp_path: Path) -> None:
    _rejected(clinic, _csv(tmp_path, (HEADER + "阿莫\x00西林,1g,1,1.00,甲\n").encode()), (2, "通用名"), words=("控制字符",))


@pytest.mark.parametrize("data,words", [
    ((HEADER + GOOD).encode("utf-16-le"), ("UTF-16",)),
    (bytes(range(256)) * 40, ("编码无法识别",)),
], ids=["utf16-without-bom", "binary"])
def test_files_that_are_not_text_are_refused(clinic: Clinic, tmp_path: Path, data: bytes, words: tuple[str, ...]) -> None:
    _rejected(clinic, _csv(tmp_path, data), (1, "文件"), words=words)


@pytest.mark.parametrize("data,words", [(b"", ("0 字节",)), (b"PK\x03\x04 not really", ("不是有效的 Excel",))],
                         ids=["zero-bytes", "not-a-workbook"])
def test_broken_xlsx_is_refused(clinic: Clinic, tmp_path: Path, data: bytes, words: tuple[str, ...]) -> None:
    _rejected(clinic, _csv(tmp_path, data, "drugs.xlsx"), (1, "文件"), words=words)


def test_empty_workbook_is_refused(clinic: Clinic, tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    Workbook().save(path)
    _rejected(clinic, path, (1, "表头"), words=("文件是空的",))


@pytest.mark.parametrize("row,field,words", [
    ("阿" * 10_000 + ",1g,1,1.00,甲", "通用名", ("太长",)),
    ("阿莫西林,1g," + "9" * 5000 + ",1.00,甲", "转换比", ("太长",)),
    ("阿莫西林,1g,1,1000000000000,甲", "进价", ("超出范围",)),
    ("阿莫西林,1g,1,100000.01,甲", "进价", ("超出范围",)),
    ('"阿' + "莫" * 20_000 + '",1g,1,1.00,甲', "文件", ("太长",)),
    ("阿莫西林,1g,1,1.00,甲,多出来", "文件", ("多出",)),
], ids=["long-name", "long-number", "price-1e12", "price-over-100000", "huge-cell", "extra-cell"])
def test_out_of_bounds_fields_are_refused(clinic: Clinic, tmp_path: Path, row: str, field: str,
                                          words: tuple[str, ...]) -> None:
    _rejected(clinic, _csv(tmp_path, (HEADER + row + "\n").encode()), (2, field), words=words)


def test_xlsx_price_of_1e12_is_refused(clinic: Clinic, tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.append(["通用名", "规格", "转换比", "进价(元)", "医保类别"])
    wb.active.append(["阿莫西林胶囊", "0.25g", 24, 1e12, "甲"])
    path = tmp_path / "drugs.xlsx"
    wb.save(path)
    _rejected(clinic, path, (2, "进价"), words=("超出范围",))


@pytest.mark.parametrize("encoding,text", [
    ("utf-8-sig", HEADER + GOOD), ("utf-8", HEADER + GOOD), ("gb18030", HEADER + GOOD),
    ("utf-16", (HEADER + GOOD).replace(",", "\t")),  # Excel's “Unicode 文本”
], ids=["utf8-bom", "utf8", "gbk", "utf16-tabs"])
def test_accepted_encodings_import_exactly(clinic: Clinic, tmp_path: Path, encoding: str, text: str) -> None:
    result = clinic.sv.catalog.import_file(_csv(tmp_path, text.encode(encoding)))
    assert (result.created, result.updated) == (1, 0)
    drug = clinic.sv.catalog.search("blfp")[0]
    assert (drug.generic_name, drug.strength, drug.units_per_pack, drug.price_fen, drug.coverage_class) == (
        "布洛芬片", "0.1g×100片", 100, 350, "B")


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def test_a_write_that_cannot_get_the_lock_says_database_busy(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "WRITE_WAIT_S", 0.3)
    before = clinic.fingerprint()
    holder = _hold_write_lock(clinic.path)
    try:
        with pytest.raises(DatabaseBusy) as err:
            clinic.sv.catalog.update(clinic.amox.id, price_fen=1300)
    finally:
        holder.rollback()
        holder.close()
    assert "数据库正忙" in str(err.value) and "请稍后重试" in str(err.value)
    assert clinic.fingerprint() == before
    assert clinic.sv.catalog.update(clinic.amox.id, price_fen=1300).price_fen == 1300  # and retrying works


def test_interrupted_import_is_completed_by_importing_the_same_file_again(
        clinic: Clinic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "WRITE_WAIT_S", 0.3)
    for name in ("BATCH_FIRST", "BATCH_MIN", "BATCH_MAX"):
        monkeypatch.setattr(catalog_import, name, 10)
    rows = [f"XB{i:021d},测试药品{i}片,{i}mg,24,{i}.50,甲" for i in range(1, 36)]
    path = _csv(tmp_path, ("医保药品编码,通用名,规格,转换比,进价(元),医保类别\n" + "\n".join(rows) + "\n").encode())
    holder: list[sqlite3.Connection] = []

    def progress(text: str) -> None:
        if text.startswith("正在导入") and not holder:  # another program starts writing after the first batch
            holder.append(_hold_write_lock(clinic.path))

    with pytest.raises(DatabaseBusy) as err:
        clinic.sv.catalog.import_file(path, progress=progress)
    holder[0].rollback()
    holder[0].close()
    assert "已导入前 10 种药品（到第 11 行）" in str(err.value) and "重新导入同一个文件" in str(err.value)
    query = "SELECT count(*), count(DISTINCT national_code), sum(version) FROM drugs WHERE generic_name LIKE '测试药品%'"
    with sqlite3.connect(clinic.path) as conn:
        assert conn.execute(query).fetchone() == (10, 10, 10)  # whole batches only
    result = clinic.sv.catalog.import_file(path)
    assert (result.created, result.updated) == (25, 10)
    with sqlite3.connect(clinic.path) as conn:
        assert conn.execute(query).fetchone() == (35, 35, 35)  # no duplicates; unchanged rows not bumped
        assert conn.execute("SELECT price_fen FROM drugs WHERE national_code = ?", (f"XB{35:021d}",)).fetchone() == (3550,)
