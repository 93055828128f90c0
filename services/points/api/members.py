"""A doctor's 积分: balance (now or as of a past day), the statement (积分明细, newest first) and its export as
CSV / XLSX (oldest first, streamed)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from starlette.responses import StreamingResponse

from libs.auth.deps import PrincipalDep
from libs.kit.amounts import format_points
from libs.kit.deps import SessionDep
from libs.kit.errors import NotFound
from libs.kit.pagination import Page, PageDep, page_of
from services.points.application import queries, statement_export
from services.points.application.statement_export import Export, Transaction
from services.points.persistence import directory

from .access import PointsDep, readable_member
from .models import BalanceOut, StatementLine

router = APIRouter(prefix="/members", tags=["members"])
DoctorId = Path(min_length=1, max_length=128, description="医师编号")
YearQ = Query(None, ge=2000, le=2200, description="年度（北京时间）；省略为全部")
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/{doctor_id}/balance", response_model=BalanceOut, summary="积分余额 (as_of: 某日终了时的余额)")
async def get_balance(session: SessionDep, principal: PrincipalDep, doctor_id: str = DoctorId,
                      as_of: date | None = Query(None, description="北京时间日期；省略为当前余额")) -> BalanceOut:
    await readable_member(session, principal, doctor_id)
    if as_of is not None:
        value = await queries.balance_as_of(session, doctor_id, as_of)
        return BalanceOut(doctor_id=doctor_id, balance=format_points(value), pending=None, as_of=as_of)
    spendable, pending = await queries.balance(session, doctor_id)
    return BalanceOut(doctor_id=doctor_id, balance=format_points(spendable), pending=format_points(pending))


@router.get("/{doctor_id}/entries", response_model=Page[StatementLine],
            summary="积分明细 statement: newest first, keyset pages (next_cursor)")
async def get_entries(session: SessionDep, runtime: PointsDep, principal: PrincipalDep, page: PageDep,
                      doctor_id: str = DoctorId) -> Page[StatementLine]:
    await readable_member(session, principal, doctor_id)
    rows = await queries.statement(session, doctor_id, page)
    result = page_of(rows, page, lambda r: {"stream_version": r["stream_version"]})
    base = runtime.points_settings.public_base_url
    return Page[StatementLine](items=[_line(r, base) for r in result.items], limit=result.limit,
                               next_cursor=result.next_cursor)


@router.get("/{doctor_id}/statement.csv", response_class=StreamingResponse,
            summary="积分明细导出 CSV (UTF-8 BOM): 日期, 规则, 说明, 变动, 余额, 凭证 — oldest first, streamed",
            responses={200: {"content": {"text/csv": {}}, "description": "CSV"}})
async def export_csv(session: SessionDep, runtime: PointsDep, principal: PrincipalDep, doctor_id: str = DoctorId,
                     year: int | None = YearQ) -> StreamingResponse:
    export = await _export(session, runtime, principal, doctor_id, year)
    return _download(statement_export.csv_stream, runtime.transaction, export, "csv", CSV)


@router.get("/{doctor_id}/statement.xlsx", response_class=StreamingResponse,
            summary="积分明细导出 XLSX: 日期, 规则, 说明, 变动, 余额, 凭证 — oldest first, streamed",
            responses={200: {"content": {XLSX: {}}, "description": "XLSX"}})
async def export_xlsx(session: SessionDep, runtime: PointsDep, principal: PrincipalDep, doctor_id: str = DoctorId,
                      year: int | None = YearQ) -> StreamingResponse:
    export = await _export(session, runtime, principal, doctor_id, year)
    return _download(statement_export.xlsx_stream, runtime.transaction, export, "xlsx", XLSX)


async def _export(session: SessionDep, runtime: PointsDep, principal: PrincipalDep, doctor_id: str,
                  year: int | None) -> Export:
    await readable_member(session, principal, doctor_id)
    upto = await statement_export.current_version(session, doctor_id)
    if upto == 0 and await directory.doctor(session, doctor_id) is None:
        raise NotFound("医师不存在或不在您的管辖范围内", field="doctor_id")
    return Export(doctor_id=doctor_id, year=year, upto_version=upto,
                  base_url=runtime.points_settings.public_base_url)


def _download(render: Callable[[Transaction, Export], AsyncIterator[bytes]], transaction: Transaction,
              export: Export, extension: str, media_type: str) -> StreamingResponse:
    period = str(export.year) if export.year is not None else "all"
    ascii_name = re.sub(r"[^A-Za-z0-9_.\-]", "_", f"statement-{export.doctor_id}-{period}.{extension}")
    name = f"积分明细-{export.doctor_id}-{export.year if export.year is not None else '全部'}.{extension}"
    headers = {"Content-Disposition": f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(name)}',
               "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    return StreamingResponse(render(transaction, export), media_type=media_type, headers=headers)


def _line(row: dict, base_url: str) -> StatementLine:  # type: ignore[type-arg]
    claim_id = statement_export.claim_of(row["source_event_id"])
    return StatementLine(
        position=row["position"], entry_id=row["entry_id"], entry_type=row["entry_type"],
        entry_label=row["entry_label"], rule_code=row["rule_code"], rule_label=row["rule_label"],
        variant=row["variant"], quantity=row["quantity"], amount=format_points(row["amount"]),
        delta=format_points(row["delta"]), balance_after=format_points(row["balance_after"]), reason=row["memo"],
        unit_id=row["unit_id"], reverses=row["reverses"], redemption_id=row["redemption_id"],
        occurred_at=row["occurred_at"], recorded_at=row["recorded_at"], business_date=row["business_date"],
        claim_id=claim_id, evidence_url=statement_export.claim_url(base_url, claim_id) if claim_id else None)
