"""理事会 terms: one row per 届, seats as JSON (主席 / 副主席 / 秘书 with institution)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.domain.council import Council, CouncilRole, CouncilSeat, CouncilTerm
from services.registry.persistence.alliances import contact_from_json, contact_json
from services.registry.persistence.tables import alliances, council_terms

C = council_terms


def seats_json(council: Council) -> list[dict[str, Any]]:
    seats = [council.chair, *council.vice_chairs, council.secretary]
    return [{"role": s.role.value, "institution_id": s.institution_id, **contact_json(s.person)} for s in seats]


def term_from_row(row: Mapping[Any, Any]) -> CouncilTerm:
    seats = [CouncilSeat(CouncilRole(s["role"]), contact_from_json(s), s["institution_id"]) for s in row["seats"]]
    return CouncilTerm(row["alliance_id"], row["number"], row["starts_on"], Council.from_seats(seats))


async def insert(session: AsyncSession, term: CouncilTerm, *, actor: str, at: datetime) -> RowMapping:
    stmt = C.insert().values(alliance_id=term.alliance_id, number=term.number, starts_on=term.starts_on,
                             ends_on=term.ends_on, seats=seats_json(term.council), recorded_by=actor,
                             recorded_at=at).returning(*C.c)
    return (await session.execute(stmt)).mappings().one()


async def for_alliance(session: AsyncSession, alliance_id: str) -> list[RowMapping]:
    stmt = select(C).where(C.c.alliance_id == alliance_id).order_by(C.c.number)
    return list((await session.execute(stmt)).mappings().all())


async def latest(session: AsyncSession, alliance_id: str) -> RowMapping | None:
    stmt = select(C).where(C.c.alliance_id == alliance_id).order_by(C.c.number.desc()).limit(1)
    return (await session.execute(stmt)).mappings().first()


async def latest_of_running(session: AsyncSession, where: ColumnElement[bool]) -> list[RowMapping]:
    """The latest term of every alliance in scope that still runs (filed, not merged or dissolved)."""
    newest = select(C.c.alliance_id, func.max(C.c.number).label("number")).group_by(C.c.alliance_id).subquery()
    stmt = (select(C, alliances.c.name.label("alliance_name"), alliances.c.status.label("alliance_status"))
            .join(newest, (newest.c.alliance_id == C.c.alliance_id) & (newest.c.number == C.c.number))
            .join(alliances, alliances.c.id == C.c.alliance_id)
            .where(where, alliances.c.status.in_(("approved", "preparing", "operating"))))
    return list((await session.execute(stmt)).mappings().all())
