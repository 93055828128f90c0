"""Reserved slot pools (预留号源) and bookings. Booking and cancelling lock the pool row (FOR UPDATE), so
concurrent bookings of one pool are serialised; the ``booked <= capacity`` CHECK is the backstop."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.domain.slots import Booking, BookingStatus, SlotPool
from services.referral.persistence.tables import slot_bookings, slot_pools

Row = RowMapping  # a row as SQLAlchemy returns it (mapping of column name to value)


async def insert_pool(session: AsyncSession, pool: SlotPool, created_by: str) -> Row | None:
    """None when the lead unit already opened this department and date."""
    stmt = insert(slot_pools).values(
        pool_id=pool.pool_id, alliance_id=pool.alliance_id, institution_id=pool.institution_id,
        department=pool.department, on_date=pool.on_date, capacity=pool.capacity, created_by=created_by,
    ).on_conflict_do_nothing(constraint="uq_slot_pools_day").returning(*slot_pools.c)
    return (await session.execute(stmt)).mappings().first()


async def pool(session: AsyncSession, pool_id: str, *, lock: bool = False) -> Row | None:
    stmt = select(slot_pools).where(slot_pools.c.pool_id == pool_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def pools(session: AsyncSession, alliance_id: str, start: date, end: date, limit: int) -> list[Row]:
    stmt = (select(slot_pools).where(slot_pools.c.alliance_id == alliance_id, slot_pools.c.on_date.between(start, end))
            .order_by(slot_pools.c.on_date, slot_pools.c.department, slot_pools.c.pool_id).limit(limit))
    return list((await session.execute(stmt)).mappings().all())


async def bookings(session: AsyncSession, pool_id: str, *, active_only: bool, also: str | None = None,
                   institution_id: str | None = None) -> list[Row]:
    stmt = select(slot_bookings).where(slot_bookings.c.pool_id == pool_id)
    if active_only:
        cond = slot_bookings.c.status == BookingStatus.ACTIVE.value
        stmt = stmt.where(cond | (slot_bookings.c.booking_id == also) if also else cond)
    if institution_id is not None:
        stmt = stmt.where(slot_bookings.c.doctor_institution_id == institution_id)
    return list((await session.execute(stmt.order_by(slot_bookings.c.booked_at, slot_bookings.c.booking_id)))
                .mappings().all())


async def insert_booking(session: AsyncSession, pool_id: str, booking: Booking, day: date) -> None:
    await session.execute(insert(slot_bookings).values(
        booking_id=booking.booking_id, pool_id=pool_id, doctor_id=booking.doctor_id,
        doctor_institution_id=booking.doctor_institution_id, patient_ref=booking.patient_ref,
        status=booking.status.value, booked_at=booking.booked_at, business_date=day))


async def cancel_booking(session: AsyncSession, booking: Booking, reason_ct: str | None) -> None:
    await session.execute(update(slot_bookings).where(slot_bookings.c.booking_id == booking.booking_id).values(
        status=booking.status.value, cancelled_at=booking.cancelled_at, cancelled_by=booking.cancelled_by,
        cancel_reason_ct=reason_ct))


async def count_booking(session: AsyncSession, pool_id: str, delta: int) -> None:
    """Relative, so the CHECK (booked <= capacity) refuses an overbooking even if the lock were bypassed."""
    await session.execute(update(slot_pools).where(slot_pools.c.pool_id == pool_id)
                          .values(booked=slot_pools.c.booked + delta))


async def set_capacity(session: AsyncSession, pool_id: str, capacity: int) -> None:
    await session.execute(update(slot_pools).where(slot_pools.c.pool_id == pool_id).values(capacity=capacity))


def to_domain(row: Row, booking_rows: list[Row]) -> SlotPool:
    return SlotPool(
        pool_id=row["pool_id"], alliance_id=row["alliance_id"], institution_id=row["institution_id"],
        department=row["department"], on_date=row["on_date"], capacity=row["capacity"],
        bookings=tuple(Booking(b["booking_id"], b["doctor_id"], b["doctor_institution_id"], b["patient_ref"],
                               b["booked_at"], BookingStatus(b["status"]), b["cancelled_at"], b["cancelled_by"])
                       for b in booking_rows))
