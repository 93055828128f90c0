"""The directory replica (机构、联盟、成员单位、医师及其任职单位历史、职务), kept from registry events.

The points service never reads the registry's tables: it keeps what it needs to decide who may earn and to
record "the doctor's unit at that moment". Dates are business dates (Asia/Shanghai); a period is
``[from, to)``: a doctor who moved on 1 March belongs to the new unit from 1 March on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.points.persistence.tables import (
    dir_alliances,
    dir_doctor_units,
    dir_doctors,
    dir_institutions,
    dir_memberships,
    dir_positions,
)


@dataclass(frozen=True, slots=True)
class AllianceRow:
    alliance_id: str
    name: str
    region_code: str
    status: str
    operating: bool


async def upsert_institution(session: AsyncSession, institution_id: str, name: str, region_code: str) -> None:
    stmt = insert(dir_institutions).values(institution_id=institution_id, name=name, region_code=region_code)
    await session.execute(stmt.on_conflict_do_update(index_elements=["institution_id"],
                                                     set_={"name": name, "region_code": region_code}))


async def upsert_alliance(session: AsyncSession, alliance_id: str, *, name: str, region_code: str, status: str,
                          operating: bool) -> None:
    values = {"name": name, "region_code": region_code, "status": status, "operating": operating}
    stmt = insert(dir_alliances).values(alliance_id=alliance_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["alliance_id"], set_=values))


async def update_alliance(session: AsyncSession, alliance_id: str, **values: object) -> bool:
    result = await session.execute(update(dir_alliances).where(dir_alliances.c.alliance_id == alliance_id)
                                   .values(**values))
    return bool(getattr(result, "rowcount", 0))


async def find_alliance(session: AsyncSession, alliance_id: str) -> AllianceRow | None:
    row = (await session.execute(select(dir_alliances).where(dir_alliances.c.alliance_id == alliance_id))
           ).mappings().first()
    if row is None:
        return None
    return AllianceRow(row["alliance_id"], row["name"], row["region_code"], row["status"], row["operating"])


async def join(session: AsyncSession, alliance_id: str, institution_id: str, role: str, on: date) -> None:
    stmt = insert(dir_memberships).values(alliance_id=alliance_id, institution_id=institution_id, role=role,
                                          joined_on=on)
    await session.execute(stmt.on_conflict_do_update(index_elements=["alliance_id", "institution_id", "joined_on"],
                                                     set_={"role": role, "left_on": None}))


async def leave(session: AsyncSession, alliance_id: str, institution_id: str, on: date) -> None:
    m = dir_memberships.c
    await session.execute(update(dir_memberships).where(m.alliance_id == alliance_id, m.institution_id ==
                                                        institution_id, m.left_on.is_(None)).values(left_on=on))


async def is_member(session: AsyncSession, alliance_id: str, institution_id: str, on: date) -> bool:
    m = dir_memberships.c
    found = await session.scalar(select(m.role).where(
        m.alliance_id == alliance_id, m.institution_id == institution_id, m.joined_on <= on,
        or_(m.left_on.is_(None), m.left_on > on)).limit(1))
    return found is not None


async def member_units(session: AsyncSession, alliance_id: str) -> set[str]:
    """Units that are members of the alliance now (or were: any membership row)."""
    m = dir_memberships.c
    rows = await session.scalars(select(m.institution_id).where(m.alliance_id == alliance_id).distinct())
    return set(rows)


async def register_doctor(session: AsyncSession, doctor_id: str, institution_id: str, display_name: str,
                          on: date) -> None:
    stmt = insert(dir_doctors).values(doctor_id=doctor_id, display_name=display_name, institution_id=institution_id)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["doctor_id"], set_={"display_name": display_name, "institution_id": institution_id}))
    await _start_period(session, doctor_id, institution_id, on)


async def move_doctor(session: AsyncSession, doctor_id: str, to_institution_id: str, on: date) -> bool:
    """False when the doctor is not known yet (the registration has not arrived)."""
    result = await session.execute(update(dir_doctors).where(dir_doctors.c.doctor_id == doctor_id)
                                   .values(institution_id=to_institution_id))
    if not getattr(result, "rowcount", 0):
        return False
    await _start_period(session, doctor_id, to_institution_id, on)
    return True


async def _start_period(session: AsyncSession, doctor_id: str, institution_id: str, on: date) -> None:
    u = dir_doctor_units.c
    await session.execute(update(dir_doctor_units).where(u.doctor_id == doctor_id, u.from_date < on, or_(
        u.to_date.is_(None), u.to_date > on)).values(to_date=on))
    stmt = insert(dir_doctor_units).values(doctor_id=doctor_id, from_date=on, institution_id=institution_id)
    await session.execute(stmt.on_conflict_do_update(index_elements=["doctor_id", "from_date"],
                                                     set_={"institution_id": institution_id}))


async def unit_at(session: AsyncSession, doctor_id: str, on: date) -> str | None:
    """The member unit the doctor was registered at on ``on`` (None if not registered then)."""
    u = dir_doctor_units.c
    return await session.scalar(select(u.institution_id).where(
        u.doctor_id == doctor_id, u.from_date <= on, or_(u.to_date.is_(None), u.to_date > on))
        .order_by(u.from_date.desc()).limit(1))


async def doctor(session: AsyncSession, doctor_id: str) -> tuple[str, str] | None:
    """(display name, current unit) of a known doctor."""
    row = (await session.execute(select(dir_doctors.c.display_name, dir_doctors.c.institution_id)
                                 .where(dir_doctors.c.doctor_id == doctor_id))).first()
    return (row[0], row[1]) if row else None


async def add_position(session: AsyncSession, *, position_id: str, doctor_id: str, alliance_id: str, society: str,
                       title: str, start_date: date) -> None:
    stmt = insert(dir_positions).values(position_id=position_id, doctor_id=doctor_id, alliance_id=alliance_id,
                                        society=society, title=title, start_date=start_date)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["position_id"]))


async def end_position(session: AsyncSession, position_id: str, end_date: date) -> None:
    await session.execute(update(dir_positions).where(dir_positions.c.position_id == position_id)
                          .values(end_date=end_date))


async def doctor_in_units(session: AsyncSession, doctor_id: str, units: set[str]) -> bool:
    """Whether the doctor ever belonged to one of ``units`` (scope of an office or a unit admin)."""
    if not units:
        return False
    u = dir_doctor_units.c
    found = await session.scalar(select(u.doctor_id).where(and_(u.doctor_id == doctor_id,
                                                                u.institution_id.in_(units))).limit(1))
    return found is not None
