"""A doctor's 积分: balance (now or as of a past day) and the statement (积分明细), newest first."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Path, Query

from libs.auth.deps import PrincipalDep
from libs.kit.amounts import format_points
from libs.kit.deps import SessionDep
from libs.kit.pagination import Page, PageDep, page_of
from services.points.application import queries

from .access import readable_member
from .models import BalanceOut, StatementLine

router = APIRouter(prefix="/members", tags=["members"])
DoctorId = Path(min_length=1, max_length=128, description="医师编号")


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
async def get_entries(session: SessionDep, principal: PrincipalDep, page: PageDep,
                      doctor_id: str = DoctorId) -> Page[StatementLine]:
    await readable_member(session, principal, doctor_id)
    rows = await queries.statement(session, doctor_id, page)
    result = page_of(rows, page, lambda r: {"stream_version": r["stream_version"]})
    return Page[StatementLine](items=[_line(r) for r in result.items], limit=result.limit,
                               next_cursor=result.next_cursor)


def _line(row: dict) -> StatementLine:  # type: ignore[type-arg]
    return StatementLine(
        position=row["position"], entry_id=row["entry_id"], entry_type=row["entry_type"],
        entry_label=row["entry_label"], rule_code=row["rule_code"], rule_label=row["rule_label"],
        variant=row["variant"], quantity=row["quantity"], amount=format_points(row["amount"]),
        delta=format_points(row["delta"]), balance_after=format_points(row["balance_after"]), reason=row["memo"],
        unit_id=row["unit_id"], reverses=row["reverses"], redemption_id=row["redemption_id"],
        occurred_at=row["occurred_at"], recorded_at=row["recorded_at"], business_date=row["business_date"])
