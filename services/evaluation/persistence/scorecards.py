"""Stored scorecards (评分表) — immutable once computed — and the dissolution recommendations made from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import NotFound
from libs.kit.pagination import PageParams, keyset
from services.evaluation.persistence.tables import dissolution_recommendations, scorecards

ALLIANCE_KINDS = ("self", "commission")  # scorecards whose subject is the alliance itself


async def add(session: AsyncSession, row: dict[str, Any]) -> dict[str, Any]:
    stored = (await session.execute(insert(scorecards).values(**row).returning(scorecards))).mappings().one()
    return dict(stored)


async def get(session: AsyncSession, scorecard_id: str) -> dict[str, Any]:
    row = (await session.execute(select(scorecards).where(scorecards.c.scorecard_id == scorecard_id))
           ).mappings().first()
    if row is None:
        raise NotFound("评分表不存在", field="scorecard_id")
    return dict(row)


async def page(session: AsyncSession, params: PageParams, *, alliance_ids: Sequence[str] | None,
               year: int | None = None, kind: str | None = None, only_unit: str | None = None
               ) -> list[dict[str, Any]]:
    """``only_unit``: a unit's view — the alliance's own scorecards and the unit's, not other members'."""
    stmt = select(scorecards)
    if only_unit is not None:
        stmt = stmt.where(or_(scorecards.c.subject_unit_id.is_(None), scorecards.c.subject_unit_id == only_unit))
    if alliance_ids is not None:
        stmt = stmt.where(scorecards.c.alliance_id.in_(list(alliance_ids)))
    if year is not None:
        stmt = stmt.where(scorecards.c.year == year)
    if kind is not None:
        stmt = stmt.where(scorecards.c.kind == kind)
    rows = (await session.execute(keyset(stmt, params, scorecards.c.seq, descending=True))).mappings().all()
    return [dict(r) for r in rows]


async def official_by_year(session: AsyncSession, alliance_id: str, *, framework_id: str | None = None
                           ) -> dict[int, dict[str, Any]]:
    """The result of each year for the alliance: the latest 卫生健康行政部门 (commission) scorecard, else the
    latest self-evaluation (自评). Member-unit scorecards never count here."""
    stmt = select(scorecards).where(scorecards.c.alliance_id == alliance_id,
                                    scorecards.c.kind.in_(ALLIANCE_KINDS))
    if framework_id is not None:
        stmt = stmt.where(scorecards.c.framework_id == framework_id)
    rows = (await session.execute(stmt.order_by(scorecards.c.seq))).mappings().all()
    chosen: dict[int, dict[str, Any]] = {}
    for row in rows:  # ascending seq: a later row of equal or higher rank replaces the earlier
        current = chosen.get(row["year"])
        if current is None or _rank(row["kind"]) >= _rank(current["kind"]):
            chosen[row["year"]] = dict(row)
    return chosen


def _rank(kind: str) -> int:
    return 1 if kind == "commission" else 0


async def official_in_year(session: AsyncSession, alliance_ids: Sequence[str], year: int, framework_id: str
                           ) -> list[dict[str, Any]]:
    found = []
    for alliance_id in alliance_ids:
        row = (await official_by_year(session, alliance_id, framework_id=framework_id)).get(year)
        if row is not None:
            found.append(row)
    return found


async def record_dissolution(session: AsyncSession, *, alliance_id: str, years: Sequence[int],
                             scorecard_ids: Sequence[str], at: datetime) -> bool:
    """True the first time (alliance, years) is recommended; a recomputation does not recommend twice."""
    inserted = await session.execute(pg_insert(dissolution_recommendations).values(
        alliance_id=alliance_id, years=",".join(str(y) for y in years), scorecard_ids=list(scorecard_ids),
        recommended_at=at).on_conflict_do_nothing().returning(dissolution_recommendations.c.alliance_id))
    return inserted.first() is not None
