"""Parse 机构 and 医师 lists, all-or-nothing.

The outcome holds either every row, validated, or a per-row error report (row, column, reason) and no rows:
an office fixes the file and uploads it again; nothing is half-imported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from libs.kit.errors import InvalidInput
from services.registry.domain.contact import parse_phone
from services.registry.domain.identifiers import parse_practice_certificate, parse_resident_id, parse_uscc
from services.registry.domain.institution import Institution
from services.registry.domain.validation import ErrorCollector
from services.registry.domain.values import parse_text
from services.registry.imports.headers import DOCTOR_COLUMNS, INSTITUTION_COLUMNS, Column, find_header_row, map_headers
from services.registry.imports.readers import LOST_PRECISION, read_rows

T = TypeVar("T")
MAX_ROWS = 5000
FILE = "文件"


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as numbered in the spreadsheet (header row included); 0 = the file as a whole
    column: str
    reason: str


@dataclass(frozen=True, slots=True)
class Imported(Generic[T]):
    row: int
    value: T


@dataclass(frozen=True, slots=True)
class ImportOutcome(Generic[T]):
    rows: tuple[Imported[T], ...]
    errors: tuple[RowError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """As a 422 whose ``errors`` list carries row, column and reason for each problem."""
        if self.ok:
            return
        items = [{"row": e.row, "field": e.column, "reason": e.reason} for e in self.errors]
        first = self.errors[0]
        raise InvalidInput(f"导入文件有{len(self.errors)}处错误，未导入任何数据；第{first.row}行“{first.column}”："
                           f"{first.reason}", field="file", errors=items)


@dataclass(frozen=True, slots=True)
class DoctorRecord:
    name: str
    practice_cert_no: str
    unit_uscc: str
    unit_name: str | None = None
    department: str | None = None
    resident_id: str | None = None
    phone: str | None = None


def parse_institutions(data: bytes, *, filename: str, max_rows: int = MAX_ROWS) -> ImportOutcome[Institution]:
    return _parse(data, filename, max_rows, INSTITUTION_COLUMNS, _institution, unique=("uscc",))


def parse_doctors(data: bytes, *, filename: str, max_rows: int = MAX_ROWS) -> ImportOutcome[DoctorRecord]:
    return _parse(data, filename, max_rows, DOCTOR_COLUMNS, _doctor, unique=("practice_cert_no", "resident_id"))


def _parse(data: bytes, filename: str, max_rows: int, columns: Sequence[Column],
           build: Callable[[dict[str, str]], Any], *, unique: Sequence[str]) -> ImportOutcome[Any]:
    try:
        rows = read_rows(data, filename=filename, max_rows=max_rows)
        start = find_header_row(rows, columns)
        index = map_headers(rows[start][1], columns)
    except InvalidInput as exc:
        row = 0 if exc.field == "file" else 1
        return ImportOutcome((), (RowError(row, FILE if row == 0 else exc.field or FILE, exc.detail),))
    header_row, header_cells = rows[start]
    labels = {key: header_cells[i] or key for key, i in index.items()}
    body = rows[start + 1:]
    if not body:
        return ImportOutcome((), (RowError(header_row, FILE, "表头下没有数据行"),))
    if len(body) > max_rows:
        return ImportOutcome((), (RowError(0, FILE, f"单次最多导入{max_rows}行"),))
    return _validate(body, index, labels, build, unique)


def _validate(body: list[tuple[int, list[str]]], index: dict[str, int], labels: dict[str, str],
              build: Callable[[dict[str, str]], Any], unique: Sequence[str]) -> ImportOutcome[Any]:
    imported: list[Imported[Any]] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    for number, cells in body:
        values = {key: cells[i] if i < len(cells) else "" for key, i in index.items()}
        row_errors = _lost_precision(number, values, labels)
        try:
            value = build({k: v for k, v in values.items() if v != LOST_PRECISION})
        except InvalidInput as exc:
            row_errors += [RowError(number, labels.get(e.get("field") or "", e.get("field") or FILE), e["reason"])
                           for e in exc.errors or [{"field": exc.field, "reason": exc.detail}]
                           if values.get(e.get("field") or "") != LOST_PRECISION]
        else:
            row_errors += _duplicates(number, value, unique, labels, seen)
            imported.append(Imported(number, value))
        errors += row_errors
    if errors:
        return ImportOutcome((), tuple(errors))
    return ImportOutcome(tuple(imported), ())


def _lost_precision(number: int, values: dict[str, str], labels: dict[str, str]) -> list[RowError]:
    return [RowError(number, labels[k], "该列须设为文本格式后重新填写（按数字保存会丢失末几位）")
            for k, v in values.items() if v == LOST_PRECISION]


def _duplicates(number: int, value: Any, unique: Sequence[str], labels: dict[str, str],
                seen: dict[tuple[str, str], int]) -> list[RowError]:
    found = []
    for key in unique:
        item = getattr(value, key, None)
        if not item:
            continue
        if (key, item) in seen:
            found.append(RowError(number, labels.get(key, key), f"与第{seen[(key, item)]}行重复"))
        else:
            seen[(key, item)] = number
    return found


def _institution(values: dict[str, str]) -> Institution:
    return Institution.create(**values)


def _doctor(values: dict[str, str]) -> DoctorRecord:
    errors = ErrorCollector()
    record = {
        "name": errors.check(parse_text, values.get("name"), field="name", label="姓名", max_len=50),
        "practice_cert_no": errors.check(parse_practice_certificate, values.get("practice_cert_no")),
        "unit_uscc": errors.check(parse_uscc, values.get("unit_uscc"), field="unit_uscc"),
        "unit_name": errors.check(parse_text, values.get("unit_name"), field="unit_name", label="执业机构名称",
                                  required=False),
        "department": errors.check(parse_text, values.get("department"), field="department", label="科室",
                                   max_len=50, required=False),
        "resident_id": errors.check(_optional_resident_id, values.get("resident_id")),
        "phone": errors.check(parse_phone, values.get("phone"), field="phone", required=False),
    }
    errors.raise_if_any()
    return DoctorRecord(**record)  # type: ignore[arg-type]


def _optional_resident_id(raw: str | None) -> str | None:
    return parse_resident_id(raw) if raw else None
