"""Routes of 预留号源: pools per lead-unit department and date, bookings by member-unit doctors."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from libs.auth.principal import Role
from libs.kit.deps import SessionDep
from libs.kit.errors import InvalidInput
from libs.kit.idempotency import IdempotencyDep
from services.referral.api.deps import CallerDep, CtxDep
from services.referral.application import slots
from services.referral.application.actors import Caller
from services.referral.domain.slots import MAX_CAPACITY, Booking
from services.referral.inputs import PatientIn, Reason, RegistryId, ShortText, Strict
from services.referral.persistence import slots as repo

router = APIRouter(prefix="/slot-pools", tags=["slots 预留号源"])
PoolId = Annotated[str, Path(max_length=64, description="号源编号")]
BookingId = Annotated[str, Path(max_length=64, description="预约编号")]
MAX_RANGE = timedelta(days=92)


class PoolIn(Strict):
    alliance_id: RegistryId
    department: ShortText
    on_date: date
    capacity: int = Field(ge=0, le=MAX_CAPACITY)


class ResizeIn(Strict):
    capacity: int = Field(ge=0, le=MAX_CAPACITY)


class BookingIn(Strict):
    patient: PatientIn


class CancelIn(Strict):
    reason: Reason


class PoolOut(BaseModel):
    pool_id: str
    alliance_id: str
    institution_id: str
    department: str
    on_date: date
    capacity: int
    booked: int
    remaining: int


class BookingOut(BaseModel):
    booking_id: str
    pool_id: str
    doctor_id: str
    doctor_institution_id: str
    patient_ref: str
    status: str
    booked_at: datetime
    cancelled_at: datetime | None = None


@router.post("", status_code=201, response_model=PoolOut, summary="开放预留号源（联盟办公室或牵头单位联络员）")
async def open_pool(body: PoolIn, session: SessionDep, ctx: CtxDep, caller: CallerDep,
                    idem: IdempotencyDep) -> Response:
    row = await slots.open_(session, ctx, caller, alliance_id=body.alliance_id, department=body.department,
                            on_date=body.on_date, capacity=body.capacity)
    return await idem.respond(201, _pool(row), headers={"Location": f"/slot-pools/{row['pool_id']}"})


@router.get("", response_model=list[PoolOut], summary="号源列表（联盟单位与办公室）")
async def list_pools(session: SessionDep, caller: CallerDep, alliance_id: RegistryId,
                     start: Annotated[date, Query(description="起始就诊日期")],
                     end: Annotated[date, Query(description="截止就诊日期（含）")]) -> list[PoolOut]:
    if not timedelta(0) <= end - start <= MAX_RANGE:
        raise InvalidInput("日期区间须为 0–92 天", field="query.end")
    await slots.visible_alliance(session, caller, alliance_id)
    return [_pool(r) for r in await repo.pools(session, alliance_id, start, end, limit=500)]


@router.patch("/{pool_id}", response_model=PoolOut, summary="调整号源数量（不少于有效预约）")
async def resize(pool_id: PoolId, body: ResizeIn, session: SessionDep, ctx: CtxDep, caller: CallerDep) -> PoolOut:
    await slots.resize(session, ctx, caller, pool_id, body.capacity)
    row = await repo.pool(session, pool_id)
    assert row is not None
    return _pool(row)


@router.post("/{pool_id}/bookings", status_code=201, response_model=BookingOut,
             summary="预约一个预留号源（成员单位医生；需 Idempotency-Key）")
async def book(pool_id: PoolId, body: BookingIn, session: SessionDep, ctx: CtxDep, caller: CallerDep,
               idem: IdempotencyDep) -> Response:
    caller.principal.require(Role.DOCTOR)
    booking = await slots.book(session, ctx, caller, pool_id, body.patient.to_input())
    return await idem.respond(201, _booking(pool_id, booking),
                              headers={"Location": f"/slot-pools/{pool_id}/bookings/{booking.booking_id}"})


@router.get("/{pool_id}/bookings", response_model=list[BookingOut],
            summary="预约列表（牵头单位与办公室看全部，成员单位看本单位）")
async def list_bookings(pool_id: PoolId, session: SessionDep, caller: CallerDep) -> list[BookingOut]:
    row = await repo.pool(session, pool_id)
    alliance = await slots.pool_alliance(session, caller, row)
    assert row is not None
    own = caller.institution_id if caller.institution_id not in (None, alliance.lead_institution_id) else None
    return [_booking_row(b) for b in await repo.bookings(session, pool_id, active_only=False, institution_id=own)]


@router.post("/{pool_id}/bookings/{booking_id}/cancel", response_model=BookingOut,
             summary="取消预约（预约单位或牵头单位），号源退回")
async def cancel(pool_id: PoolId, booking_id: BookingId, body: CancelIn, session: SessionDep, ctx: CtxDep,
                 caller: CallerDep) -> BookingOut:
    booking = await slots.cancel(session, ctx, _clinical(caller), pool_id, booking_id, body.reason)
    return _booking(pool_id, booking)


def _clinical(caller: Caller) -> Caller:
    caller.principal.require(Role.DOCTOR, Role.UNIT_ADMIN)
    return caller


def _pool(row: repo.Row) -> PoolOut:
    return PoolOut(pool_id=row["pool_id"], alliance_id=row["alliance_id"], institution_id=row["institution_id"],
                   department=row["department"], on_date=row["on_date"], capacity=row["capacity"],
                   booked=row["booked"], remaining=row["capacity"] - row["booked"])


def _booking(pool_id: str, b: Booking) -> BookingOut:
    return BookingOut(booking_id=b.booking_id, pool_id=pool_id, doctor_id=b.doctor_id,
                      doctor_institution_id=b.doctor_institution_id, patient_ref=b.patient_ref,
                      status=b.status.value, booked_at=b.booked_at, cancelled_at=b.cancelled_at)


def _booking_row(b: repo.Row) -> BookingOut:
    return BookingOut(booking_id=b["booking_id"], pool_id=b["pool_id"], doctor_id=b["doctor_id"],
                      doctor_institution_id=b["doctor_institution_id"], patient_ref=b["patient_ref"],
                      status=b["status"], booked_at=b["booked_at"], cancelled_at=b["cancelled_at"])
