"""Alliance documents (章程、协议书、成员单位名单…) kept as bytea with their sha256; read back in chunks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.persistence.tables import alliance_documents

D = alliance_documents
META = [c for c in D.c if c.name != "content"]


async def insert(session: AsyncSession, values: Mapping[Any, Any]) -> RowMapping:
    return (await session.execute(D.insert().values(**values).returning(*META))).mappings().one()


async def listing(session: AsyncSession, alliance_id: str) -> list[RowMapping]:
    stmt = select(*META).where(D.c.alliance_id == alliance_id).order_by(D.c.uploaded_at, D.c.id)
    return list((await session.execute(stmt)).mappings().all())


async def meta(session: AsyncSession, alliance_id: str, document_id: str) -> RowMapping | None:
    stmt = select(*META).where(D.c.alliance_id == alliance_id, D.c.id == document_id)
    return (await session.execute(stmt)).mappings().one_or_none()


async def kinds(session: AsyncSession, alliance_id: str) -> set[str]:
    rows = await session.scalars(select(D.c.kind).where(D.c.alliance_id == alliance_id).distinct())
    return set(rows)


async def chunk(session: AsyncSession, document_id: str, *, offset: int, size: int) -> bytes:
    """Bytes [offset, offset + size) — PostgreSQL's substring on bytea is 1-based."""
    data = await session.scalar(select(func.substring(D.c.content, offset + 1, size)).where(D.c.id == document_id))
    return bytes(data or b"")
