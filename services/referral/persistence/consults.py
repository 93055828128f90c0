"""Remote consults (远程会诊 / 心电 / 影像): the consult row, its steps and its 结果互认 recognitions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.persistence.tables import consult_recognitions, consult_steps, consults

Row = RowMapping  # a row as SQLAlchemy returns it (mapping of column name to value)


async def insert_consult(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(insert(consults).values(**values))


async def get(session: AsyncSession, consult_id: str, *, lock: bool = False) -> Row | None:
    stmt = select(consults).where(consults.c.consult_id == consult_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def save(session: AsyncSession, consult_id: str, **values: Any) -> None:
    await session.execute(update(consults).where(consults.c.consult_id == consult_id).values(**values))


async def add_step(session: AsyncSession, consult_id: str, seq: int, **values: Any) -> None:
    await session.execute(insert(consult_steps).values(consult_id=consult_id, seq=seq, **values))


async def steps(session: AsyncSession, consult_id: str) -> list[Row]:
    stmt = select(consult_steps).where(consult_steps.c.consult_id == consult_id).order_by(consult_steps.c.seq)
    return list((await session.execute(stmt)).mappings().all())


async def add_recognition(session: AsyncSession, consult_id: str, **values: Any) -> None:
    await session.execute(insert(consult_recognitions).values(consult_id=consult_id, **values))


async def recognitions(session: AsyncSession, consult_id: str) -> list[Row]:
    stmt = (select(consult_recognitions).where(consult_recognitions.c.consult_id == consult_id)
            .order_by(consult_recognitions.c.at, consult_recognitions.c.institution_id))
    return list((await session.execute(stmt)).mappings().all())
