"""Reading a catalog file exactly, or saying which row of it cannot be read and why.

CSV: UTF-8 with or without BOM (Excel's “CSV UTF-8”), GBK/GB18030 (Excel's plain “CSV” on a Chinese
Windows) and UTF-16 with BOM (Excel's “Unicode 文本”, tab-separated) are read; anything else, a binary
file, an unclosed quote or text after a closing quote is a ``FileProblem`` naming the row. XLSX: the
first sheet, values as last calculated; a file that is not a workbook is a ``FileProblem``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

#: the field a problem of the file itself (not of one cell) is reported under
FILE_FIELD = "文件"
#: a file larger than this is not a drug catalog (100,000 drugs take about 20 MB)
MAX_BYTES = 200 * 1024 * 1024
#: a CSV cell longer than this is refused while reading (the field checks refuse far shorter ones)
MAX_CELL = 10_000
_UTF8_BOM = b"\xef\xbb\xbf"
_SAVE_AS = "请在 Excel 中“另存为 → CSV UTF-8(逗号分隔)”或 .xlsx 后再导入"


class FileProblem(Exception):
    """The file (or one row of it) cannot be read as a table."""

    def __init__(self, message: str, row: int = 1, field: str = FILE_FIELD) -> None:
        super().__init__(message)
        self.message, self.row, self.field = message, row, field


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise FileProblem(f"文件开头标明是 UTF-16 编码，但内容不是有效的 UTF-16 文本；{_SAVE_AS}") from None
    if data.count(b"\x00") > max(2, len(data) // 100):
        raise FileProblem(f"文件不是文本表格（含有大量二进制内容，或是不带 BOM 的 UTF-16 编码）；{_SAVE_AS}")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem(f"文件编码无法识别（既不是 UTF-8 也不是 GBK/GB18030），可能不是文本表格；{_SAVE_AS}")


def _csv_error(text: str) -> str:
    if "unexpected end of data" in text or "EOF" in text:
        return "引号没有配对：这一行有一个开头的双引号 \" 一直没有结束，请补上结束的引号或删掉多余的引号"
    if "expected after" in text:
        return "双引号后面紧跟了其他字符：用引号括起的单元格，结束引号后应直接是逗号或换行"
    if "field larger than field limit" in text:
        return f"有一个单元格太长（超过 {MAX_CELL} 字），可能是引号没有配对"
    return f"不是有效的 CSV 格式（{text}）"


def read_csv(path: Path) -> list[tuple[int, list[Any]]]:
    """(line number the row starts on, cells) of every row of a CSV file."""
    data = path.read_bytes()
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL)
    rows: list[tuple[int, list[Any]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return rows
            except csv.Error as exc:
                raise FileProblem(_csv_error(str(exc)), start) from None
            rows.append((start, cells))
    finally:
        csv.field_size_limit(limit)


def read_xlsx(path: Path) -> list[tuple[int, list[Any]]]:
    """(row number, cells) of every row of the first sheet of an .xlsx workbook."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, XML and openpyxl errors alike: not a workbook we can read
        raise FileProblem(f"不是有效的 Excel .xlsx 文件（{type(exc).__name__}），请用 Excel 重新保存为 .xlsx 后再导入") from None
    number = 0
    try:
        if not wb.worksheets:
            return []
        rows: list[tuple[int, list[Any]]] = []
        for number, row in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
            rows.append((number, list(row)))
        return rows
    except Exception as exc:  # noqa: BLE001 - a damaged sheet part
        raise FileProblem(f"工作表内容损坏，读到第 {number + 1} 行时出错（{type(exc).__name__}），请用 Excel 打开后重新保存",
                          number + 1) from None
    finally:
        wb.close()


def read_table(path: Path) -> list[tuple[int, list[Any]]]:
    """(row number as a spreadsheet shows it, cells) for every row of a CSV or XLSX file.

    Raises:
        FileProblem: the file cannot be read exactly; the message says why and what to do.
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx", ".xlsm"):
        raise FileProblem(f"只支持 .csv 和 .xlsx 文件，不支持“{path.suffix or '无扩展名'}”")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileProblem(f"无法读取文件（{exc.strerror or exc}）") from None
    if size == 0:
        raise FileProblem("文件是空的（0 字节）")
    if size > MAX_BYTES:
        raise FileProblem(f"文件太大（{size // 1024 // 1024} MB），药品目录文件不应超过 {MAX_BYTES // 1024 // 1024} MB")
    try:
        return read_xlsx(path) if suffix in (".xlsx", ".xlsm") else read_csv(path)
    except OSError as exc:
        raise FileProblem(f"无法读取文件（{exc.strerror or exc}）") from None
