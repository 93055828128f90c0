"""A ``Document`` as an XLSX workbook (one sheet)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from services.evaluation.exports.document import Document

_WRAP = Alignment(wrap_text=True, vertical="top")


def render(document: Document) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "评价"
    sheet.append([document.title])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    for label, value in document.facts:
        sheet.append([label, value])
    sheet.append([])
    sheet.append(document.headers)
    header_row = sheet.max_row
    for column in range(1, len(document.headers) + 1):
        sheet.cell(row=header_row, column=column).font = Font(bold=True)
    for row in document.rows:
        sheet.append(row)
        for column in range(1, len(row) + 1):
            sheet.cell(row=sheet.max_row, column=column).alignment = _WRAP
    for note in document.notes:
        sheet.append([note])
    for index, width in enumerate(document.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()
