"""积分明细导出: a doctor's statement as CSV (UTF-8 with BOM, so Excel on Chinese Windows opens it) or XLSX,
oldest first, columns 日期 / 规则 / 说明 / 变动 / 余额 / 凭证 (the link to the 积分申报 an award came from).

Streamed: the rows are read in batches along the doctor's stream (index ``(stream, stream_version)``), each
batch in its own short transaction — the request's transaction has committed before the body is sent. The
export stops at the stream version current when the request was made, so it is one consistent cut (entries are
never changed, only appended). CSV is written batch by batch; XLSX goes through openpyxl's write-only mode (rows
spooled to disk, constant memory), is saved in a worker thread and then streamed from the file.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.amounts import format_points
from services.points.persistence.tables import ledger_entries

from .queries import statement_line

HEADERS = ("日期", "规则", "说明", "变动", "余额", "凭证")
BATCH = 1000
FILE_CHUNK = 64 * 1024
BOM = "\ufeff"
CLAIM_SOURCE = "claim:"
# A text cell starting like a formula is shown as text (CSV/XLSX formula injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


@dataclass(frozen=True, slots=True)
class Line:
    day: date
    rule: str
    text: str
    delta: Decimal
    balance: Decimal
    evidence: str


@dataclass(frozen=True, slots=True)
class Export:
    doctor_id: str
    year: int | None
    upto_version: int  # the stream version current at the request: the export's cut
    base_url: str  # public prefix of this service (evidence links)


def claim_of(source_event_id: str | None) -> str | None:
    if source_event_id and source_event_id.startswith(CLAIM_SOURCE):
        return source_event_id[len(CLAIM_SOURCE):]
    return None


def claim_url(base_url: str, claim_id: str) -> str:
    return f"{base_url.rstrip('/')}/claims/{claim_id}"


async def current_version(session: AsyncSession, doctor_id: str) -> int:
    le = ledger_entries.c
    found = await session.scalar(select(le.stream_version).where(le.stream == f"member:{doctor_id}")
                                 .order_by(le.stream_version.desc()).limit(1))
    return int(found or 0)


async def lines(transaction: Transaction, export: Export) -> AsyncIterator[list[Line]]:
    """Batches of statement lines, oldest first, up to the export's cut."""
    le = ledger_entries.c
    stream = f"member:{export.doctor_id}"
    after = 0
    while after < export.upto_version:
        stmt = select(le.stream_version, le.entry_type, le.debit_account, le.credit_account, le.amount_tenths,
                      le.rule_code, le.scheme_id, le.scheme_version, le.variant, le.memo, le.business_date,
                      le.balance_after_tenths, le.source_event_id).where(
            le.stream == stream, le.stream_version > after, le.stream_version <= export.upto_version)
        if export.year is not None:
            stmt = stmt.where(le.business_date >= date(export.year, 1, 1),
                              le.business_date <= date(export.year, 12, 31))
        async with transaction() as session:
            rows = (await session.execute(stmt.order_by(le.stream_version).limit(BATCH))).mappings().all()
        if not rows:
            return
        yield [_line(statement_line(dict(r), stream), export.base_url) for r in rows]
        after = rows[-1]["stream_version"]


def _line(row: dict[str, Any], base_url: str) -> Line:
    memo = row["memo"] or ""
    claim_id = claim_of(row["source_event_id"])
    return Line(day=row["business_date"], rule=row["rule_label"] or "",
                text=row["entry_label"] + (f"：{memo}" if memo else ""), delta=row["delta"],
                balance=row["balance_after"], evidence=claim_url(base_url, claim_id) if claim_id else "")


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + format_points(value)


def _csv_rows(batch: list[Line]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in batch:
        writer.writerow([line.day.isoformat(), safe_text(line.rule), safe_text(line.text), signed(line.delta),
                         format_points(line.balance), safe_text(line.evidence)])
    return out.getvalue().encode("utf-8")


async def csv_stream(transaction: Transaction, export: Export) -> AsyncIterator[bytes]:
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(HEADERS)
    yield (BOM + header.getvalue()).encode("utf-8")
    async for batch in lines(transaction, export):
        yield _csv_rows(batch)


async def xlsx_stream(transaction: Transaction, export: Export) -> AsyncIterator[bytes]:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("积分明细")
    for column, width in zip("ABCDEF", (12, 36, 48, 10, 12, 48), strict=True):
        sheet.column_dimensions[column].width = width
    bold = Font(bold=True)
    sheet.append([_cell(sheet, name, font=bold) for name in HEADERS])
    async for batch in lines(transaction, export):
        for line in batch:
            sheet.append([_cell(sheet, line.day, number_format="yyyy-mm-dd"), safe_text(line.rule) or None,
                          safe_text(line.text), _cell(sheet, line.delta, number_format="+0.0;-0.0;0.0"),
                          _cell(sheet, line.balance, number_format="0.0"), safe_text(line.evidence) or None])
    handle, path = tempfile.mkstemp(prefix="statement-", suffix=".xlsx")
    os.close(handle)
    try:
        await asyncio.to_thread(book.save, path)
        for chunk in _read_chunks(path):
            yield chunk
    finally:
        os.unlink(path)


def _read_chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as file:
        while chunk := file.read(FILE_CHUNK):
            yield chunk


def _cell(sheet: Any, value: Any, *, font: Font | None = None, number_format: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if number_format is not None:
        cell.number_format = number_format
    return cell
