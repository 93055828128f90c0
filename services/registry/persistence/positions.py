"""职务 rows (副主委 / 常委 / 委员 in societies set up by the lead unit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.domain.position import Position, PositionTitle
from services.registry.persistence.tables import positions

P = positions


def position_from_row(row: Mapping[Any, Any]) -> Position:
    return Position(row["doctor_id"], row["society"], PositionTitle(row["title"]), row["starts_on"], row["ends_on"])


async def of_doctor(session: AsyncSession, doctor_id: str, *, for_update: bool = False) -> list[RowMapping]:
    stmt = select(P).where(P.c.doctor_id == doctor_id).order_by(P.c.starts_on, P.c.id)
    if for_update:
        stmt = stmt.with_for_update()
    return list((await session.execute(stmt)).mappings().all())


async def insert(session: AsyncSession, values: Mapping[Any, Any]) -> RowMapping:
    return (await session.execute(P.insert().values(**values).returning(*P.c))).mappings().one()


async def end(session: AsyncSession, position_id: str, values: Mapping[Any, Any]) -> RowMapping:
    stmt = update(P).where(P.c.id == position_id).values(**values).returning(*P.c)
    return (await session.execute(stmt)).mappings().one()
