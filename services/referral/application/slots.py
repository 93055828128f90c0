"""预留号源: the lead unit opens pools per department and date; member-unit doctors book one for a patient.

No overbooking under concurrency: the pool row is locked (SELECT … FOR UPDATE) before the active bookings are
counted, so bookings of one pool are decided one after another; the table's CHECK (booked ≤ capacity) is the
backstop. Cancelling returns the slot. A booking is an R02a award fact; its cancellation revokes it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.auth.principal import Role
from libs.events.registry import EventData
from libs.events.schemas.referral import SlotBooked, SlotBookingCancelled, SlotPoolOpened, SlotPoolResized
from libs.kit.clock import business_date
from libs.kit.errors import Conflict, Forbidden, NotFound
from services.referral.application import awards, patients
from services.referral.application.actors import Caller
from services.referral.application.patients import PatientInput
from services.referral.application.referrals import load_alliance
from services.referral.context import Ctx
from services.referral.domain.alliance import AllianceView
from services.referral.domain.awards import booking_facts
from services.referral.domain.slots import Booking, SlotPool, open_pool
from services.referral.persistence import slots as repo


async def open_(session: AsyncSession, ctx: Ctx, caller: Caller, *, alliance_id: str, department: str,
                on_date: date, capacity: int) -> repo.Row:
    """开放预留号源: by the alliance office or a unit admin of the lead unit."""
    alliance = await _managed_alliance(session, caller, alliance_id)
    pool = open_pool(pool_id="pool_" + uuid.uuid4().hex, alliance=alliance, department=department, on_date=on_date,
                     capacity=capacity, at=ctx.now())
    row = await repo.insert_pool(session, pool, caller.principal.sub)
    if row is None:
        raise Conflict(f"{on_date.isoformat()} {pool.department} 已开放预留号源，请调整号源数量",
                       field="body.department")
    await ctx.publish(session, [(SlotPoolOpened(
        pool_id=pool.pool_id, alliance_id=pool.alliance_id, institution_id=pool.institution_id,
        department=pool.department, on_date=pool.on_date, capacity=pool.capacity, occurred_at=ctx.now()),
        pool.pool_id)])
    return row


async def resize(session: AsyncSession, ctx: Ctx, caller: Caller, pool_id: str, capacity: int) -> SlotPool:
    row = await repo.pool(session, pool_id, lock=True)
    if row is None:
        raise NotFound("号源不存在", field="pool_id")
    await _managed_alliance(session, caller, row["alliance_id"], hide=True)
    pool = repo.to_domain(row, await repo.bookings(session, pool_id, active_only=True)).resize(capacity)
    await repo.set_capacity(session, pool_id, pool.capacity)
    await ctx.publish(session, [(SlotPoolResized(pool_id=pool_id, alliance_id=pool.alliance_id, capacity=pool.capacity,
                                                 booked=len(pool.active), occurred_at=ctx.now()), pool_id)])
    return pool


async def book(session: AsyncSession, ctx: Ctx, caller: Caller, pool_id: str, patient: PatientInput) -> Booking:
    """预约: the pool row stays locked until commit, so the capacity check below cannot be raced."""
    assert caller.actor is not None
    row = await repo.pool(session, pool_id, lock=True)
    alliance = await pool_alliance(session, caller, row)
    patient_ref = await patients.register(session, ctx, patient)
    pool = repo.to_domain(row, await repo.bookings(session, pool_id, active_only=True))  # type: ignore[arg-type]
    booked = pool.book(booking_id="bk_" + uuid.uuid4().hex, patient_ref=patient_ref, by=caller.actor,
                       alliance=alliance, at=ctx.now())
    booking = booked.active[-1]
    await repo.insert_booking(session, pool_id, booking, business_date(booking.booked_at))
    await repo.count_booking(session, pool_id, +1)
    items: list[tuple[EventData, str]] = [(SlotBooked(**_booking_fields(booked, booking),
                                                      occurred_at=booking.booked_at,
                                                      business_date=business_date(booking.booked_at)),
                                           booking.booking_id)]
    items += await awards.record(session, booking_facts(booked, booking)[0])
    await ctx.publish(session, items)
    return booking


async def cancel(session: AsyncSession, ctx: Ctx, caller: Caller, pool_id: str, booking_id: str,
                 reason: str) -> Booking:
    """取消预约 by the booking unit or the lead unit: the slot returns to the pool, R02a is revoked."""
    assert caller.actor is not None
    row = await repo.pool(session, pool_id, lock=True)
    if row is None:
        raise NotFound("预约不存在", field="booking_id")
    rows = await repo.bookings(session, pool_id, active_only=True, also=booking_id)
    target = next((b for b in rows if b["booking_id"] == booking_id), None)
    if target is None or caller.actor.institution_id not in (target["doctor_institution_id"], row["institution_id"]):
        raise NotFound("预约不存在", field="booking_id")
    pool = repo.to_domain(row, rows).cancel(booking_id=booking_id, by=caller.actor, at=ctx.now(), reason=reason)
    booking = pool.booking(booking_id)
    await repo.cancel_booking(session, booking, ctx.seal(f"booking:{booking_id}:cancel_reason", booking.cancel_reason))
    await repo.count_booking(session, pool_id, -1)
    assert booking.cancelled_at is not None and booking.cancelled_by is not None
    items: list[tuple[EventData, str]] = [(SlotBookingCancelled(
        **_booking_fields(pool, booking), cancelled_by=booking.cancelled_by, occurred_at=booking.cancelled_at,
        business_date=business_date(booking.cancelled_at)), booking_id)]
    items += await awards.record(session, booking_facts(pool, booking)[-1])
    await ctx.publish(session, items)
    return booking


async def visible_alliance(session: AsyncSession, caller: Caller, alliance_id: str) -> AllianceView:
    """Pools are seen by the alliance office and by doctors / unit admins of the alliance's units."""
    alliance = await load_alliance(session, alliance_id)
    p = caller.principal
    if p.role is Role.ALLIANCE_OFFICE and p.alliance_id == alliance_id:
        return alliance
    unit = caller.institution_id
    if unit and (unit == alliance.lead_institution_id or alliance.is_member(unit)):
        return alliance
    raise NotFound("专科联盟不存在", field="alliance_id")


async def pool_alliance(session: AsyncSession, caller: Caller, row: repo.Row | None) -> AllianceView:
    if row is None:
        raise NotFound("号源不存在", field="pool_id")
    try:
        return await visible_alliance(session, caller, row["alliance_id"])
    except NotFound:
        raise NotFound("号源不存在", field="pool_id") from None


async def _managed_alliance(session: AsyncSession, caller: Caller, alliance_id: str, hide: bool = False
                            ) -> AllianceView:
    p = caller.principal
    if p.role is Role.ALLIANCE_OFFICE:
        if p.alliance_id != alliance_id:
            raise NotFound("号源不存在" if hide else "专科联盟不存在", field="pool_id" if hide else "alliance_id")
        return await load_alliance(session, alliance_id)
    if p.role is Role.UNIT_ADMIN:
        alliance = await load_alliance(session, alliance_id)
        if caller.institution_id != alliance.lead_institution_id:
            raise Forbidden("只有牵头单位可以管理预留号源", field="role")
        return alliance
    raise Forbidden(f"角色 {p.role.value} 无权管理预留号源", field="role")


def _booking_fields(pool: SlotPool, booking: Booking) -> dict[str, Any]:
    return {"booking_id": booking.booking_id, "pool_id": pool.pool_id, "alliance_id": pool.alliance_id,
            "institution_id": pool.institution_id, "department": pool.department, "on_date": pool.on_date,
            "doctor_id": booking.doctor_id, "doctor_institution_id": booking.doctor_institution_id,
            "patient_ref": booking.patient_ref}
