"""Read a CSV (UTF-8 with or without BOM, else GB18030) or XLSX sheet into numbered rows of text cells."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

from libs.kit.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024
HEADER_ALLOWANCE = 11  # title lines and the header row on top of the data rows
_XLSX_MAGIC = b"PK\x03\x04"

Row = tuple[int, list[str]]  # (row number as the office sees it, 1-based; cells)


def read_rows(data: bytes, *, filename: str, max_rows: int) -> list[Row]:
    """Rows of the first sheet / the CSV, empty rows dropped, numbers and dates as text."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"文件超过{MAX_BYTES // 1024 // 1024}MB", field="file")
    name = filename.lower()
    if name.endswith(".xlsx") or data.startswith(_XLSX_MAGIC):
        rows = _xlsx_rows(data, limit=max_rows + HEADER_ALLOWANCE)
    elif name.endswith((".csv", ".txt")):
        rows = _csv_rows(decode_csv(data))
    else:
        raise InvalidInput("仅支持CSV或XLSX文件（.xls请另存为.xlsx）", field="file")
    rows = [(n, cells) for n, cells in rows if any(c for c in cells)]
    if len(rows) > max_rows + HEADER_ALLOWANCE:
        raise InvalidInput(f"单次最多导入{max_rows}行", field="file")
    return rows


def decode_csv(data: bytes) -> str:
    """UTF-8 (a BOM is dropped); Excel on Chinese Windows saves GB18030-compatible text, tried next."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise InvalidInput("无法识别文件编码，请另存为UTF-8或GB18030编码的CSV", field="file") from exc


def _csv_rows(text: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    line = 1
    for cells in reader:
        rows.append((line, [c.strip() for c in cells]))
        line = reader.line_num + 1  # a quoted cell may span lines; number rows by where they start
    return rows


def _xlsx_rows(data: bytes, *, limit: int) -> list[Row]:
    from openpyxl import load_workbook  # imported here: only the import adapter needs openpyxl

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput("无法读取XLSX文件，请确认文件未损坏", field="file") from exc
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some writers store a wrong <dimension>; read what is really there
        rows: list[Row] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(v) for v in values]
            if any(cells):
                rows.append((number, cells))
            if len(rows) > limit:  # stop early: a small upload may unpack into a huge sheet
                break
        return rows
    finally:
        book.close()


def cell_text(value: object) -> str:
    """A cell as the office typed it: 120.0 → "120", dates → ISO; long numbers keep a marker for the caller."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return LOST_PRECISION if abs(value) >= 1e15 else str(Decimal(str(value)))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


# An identifier typed as a number in Excel (身份证号码) loses its last digits; we refuse it with a clear reason.
LOST_PRECISION = "\x00number-too-long"
