"""Institution rows ↔ the domain ``Institution`` (filing-form fields), and the queries on them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.domain.institution import AdminRank, Grade, Institution, KeySpecialties, Nature, Staff
from services.registry.persistence.tables import institutions

T = institutions


def institution_values(inst: Institution) -> dict[str, Any]:
    """The columns that hold the filing-form fields."""
    staff, ks = inst.staff, inst.key_specialties
    return {
        "name": inst.name, "uscc": inst.uscc, "region_code": inst.region_code, "nature": inst.nature.value,
        "grade": inst.grade.value, "admin_rank": inst.admin_rank.value, "authorised_beds": inst.authorised_beds,
        "open_beds": inst.open_beds, "staff_total": staff.total, "doctors": staff.doctors, "nurses": staff.nurses,
        "pharmacists": staff.pharmacists, "technicians": staff.technicians,
        "national_key_specialties": list(ks.national), "provincial_key_specialties": list(ks.provincial),
        "city_key_specialties": list(ks.city),
    }


def institution_from_row(row: Mapping[Any, Any]) -> Institution:
    """Rebuild the stored (already validated) institution without validating it again."""
    return Institution(
        name=row["name"], uscc=row["uscc"], region_code=row["region_code"], nature=Nature(row["nature"]),
        grade=Grade(row["grade"]), admin_rank=AdminRank(row["admin_rank"]), authorised_beds=row["authorised_beds"],
        open_beds=row["open_beds"],
        staff=Staff(total=row["staff_total"], doctors=row["doctors"], nurses=row["nurses"],
                    pharmacists=row["pharmacists"], technicians=row["technicians"]),
        key_specialties=KeySpecialties(national=tuple(row["national_key_specialties"]),
                                       provincial=tuple(row["provincial_key_specialties"]),
                                       city=tuple(row["city_key_specialties"])),
    )


async def get(session: AsyncSession, institution_id: str, *, where: ColumnElement[bool] | None = None,
              for_update: bool = False) -> RowMapping | None:
    stmt = select(T).where(T.c.id == institution_id)
    if where is not None:
        stmt = stmt.where(where)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().one_or_none()


async def by_ids(session: AsyncSession, ids: Iterable[str]) -> dict[str, RowMapping]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = (await session.execute(select(T).where(T.c.id.in_(wanted)))).mappings().all()
    return {r["id"]: r for r in rows}


async def by_usccs(session: AsyncSession, usccs: Iterable[str]) -> dict[str, RowMapping]:
    wanted = list(dict.fromkeys(usccs))
    if not wanted:
        return {}
    rows = (await session.execute(select(T).where(T.c.uscc.in_(wanted)))).mappings().all()
    return {r["uscc"]: r for r in rows}


def listing(where: ColumnElement[bool], *, region_prefix: str | None = None, uscc: str | None = None,
            name: str | None = None) -> Select[Any]:
    stmt = select(T).where(where)
    if region_prefix:
        stmt = stmt.where(T.c.region_code.startswith(region_prefix, autoescape=True))
    if uscc:
        stmt = stmt.where(T.c.uscc == uscc.strip().upper())
    if name:
        stmt = stmt.where(T.c.name.contains(name.strip(), autoescape=True))
    return stmt


async def insert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(T.insert(), list(rows))
