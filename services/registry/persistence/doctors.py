"""医师 rows and their unit periods (注册在成员单位, one open period at a time)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.domain.doctor import UnitHistory, UnitPeriod
from services.registry.persistence.tables import doctor_units, doctors, institutions

D = doctors
U = doctor_units


async def get(session: AsyncSession, doctor_id: str, *, where: ColumnElement[bool] | None = None,
              for_update: bool = False) -> RowMapping | None:
    stmt = select(D).where(D.c.id == doctor_id)
    if where is not None:
        stmt = stmt.where(where)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().one_or_none()


async def periods(session: AsyncSession, doctor_id: str) -> list[RowMapping]:
    stmt = (select(U, institutions.c.name.label("institution_name"))
            .join(institutions, institutions.c.id == U.c.institution_id)
            .where(U.c.doctor_id == doctor_id).order_by(U.c.starts_on, U.c.id))
    return list((await session.execute(stmt)).mappings().all())


def history_of(doctor_id: str, rows: Iterable[RowMapping]) -> UnitHistory:
    return UnitHistory.from_periods(doctor_id, [UnitPeriod(r["institution_id"], r["starts_on"], r["ends_on"])
                                                for r in rows])


async def taken(session: AsyncSession, *, certs: Iterable[str], hmacs: Iterable[str]) -> tuple[set[str], set[str]]:
    """Which practice-certificate numbers and resident-ID HMACs are already registered."""
    cert_list, hmac_list = list(certs), [h for h in hmacs if h]
    found_certs = set(await session.scalars(select(D.c.practice_cert_no).where(D.c.practice_cert_no.in_(cert_list)))
                      ) if cert_list else set()
    found_hmacs = set(await session.scalars(select(D.c.resident_id_hmac).where(D.c.resident_id_hmac.in_(hmac_list)))
                      ) if hmac_list else set()
    return found_certs, found_hmacs


async def insert(session: AsyncSession, doctor_rows: list[dict[str, Any]], unit_rows: list[dict[str, Any]]) -> None:
    if doctor_rows:
        await session.execute(D.insert(), doctor_rows)
    if unit_rows:
        await session.execute(U.insert(), unit_rows)


async def close_period(session: AsyncSession, doctor_id: str, *, ends_on: date) -> None:
    await session.execute(update(U).where(U.c.doctor_id == doctor_id, U.c.ends_on.is_(None)).values(ends_on=ends_on))


async def open_period(session: AsyncSession, doctor_id: str, institution_id: str, *, starts_on: date,
                      department: str | None, at: datetime) -> None:
    await session.execute(U.insert().values(doctor_id=doctor_id, institution_id=institution_id, starts_on=starts_on,
                                            department=department, recorded_at=at))


def listing(where: ColumnElement[bool], *, institution_id: str | None = None,
            practice_cert_no: str | None = None) -> Select[Any]:
    stmt = select(D).where(where)
    if institution_id:
        current = select(U.c.id).where(U.c.doctor_id == D.c.id, U.c.ends_on.is_(None),
                                       U.c.institution_id == institution_id)
        stmt = stmt.where(current.exists())
    if practice_cert_no:
        stmt = stmt.where(D.c.practice_cert_no == practice_cert_no)
    return stmt


async def periods_of(session: AsyncSession, doctor_ids: Iterable[str]) -> dict[str, list[RowMapping]]:
    """Unit periods of several doctors at once (one query for a page of doctors)."""
    wanted = list(doctor_ids)
    out: dict[str, list[RowMapping]] = {d: [] for d in wanted}
    if not wanted:
        return out
    stmt = (select(U, institutions.c.name.label("institution_name"))
            .join(institutions, institutions.c.id == U.c.institution_id)
            .where(U.c.doctor_id.in_(wanted)).order_by(U.c.starts_on, U.c.id))
    for row in (await session.execute(stmt)).mappings().all():
        out[row["doctor_id"]].append(row)
    return out
