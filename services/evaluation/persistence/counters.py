"""Metric counters: a small projection keyed by (alliance, unit, metric, business date), from consumed events.

Each consumed fact adds +1 (a reversal −1) on its Asia/Shanghai business date; months, quarters and years are
sums over date ranges. The inbox already makes one event count once; ``fact_key`` also makes one *business
fact* count once when a producer re-emits it under another event id. A reversal that arrives before its fact
leaves a day at −1 for a while; reads never let a total go below zero.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.persistence.tables import counted_facts, metric_counts


async def bump(session: AsyncSession, *, alliance_id: str, unit_id: str, metric: str, day: date, at: datetime,
               delta: int = 1, fact_key: str | None = None) -> bool:
    """Add ``delta``; False (and nothing changed) when ``fact_key`` was already counted."""
    if fact_key is not None:
        fresh = await session.execute(pg_insert(counted_facts).values(fact_key=fact_key[:300], recorded_at=at)
                                      .on_conflict_do_nothing().returning(counted_facts.c.fact_key))
        if fresh.first() is None:
            return False
    stmt = pg_insert(metric_counts).values(alliance_id=alliance_id, unit_id=unit_id, metric=metric,
                                           business_date=day, count=delta)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[metric_counts.c.alliance_id, metric_counts.c.unit_id, metric_counts.c.metric,
                        metric_counts.c.business_date],
        set_={"count": metric_counts.c.count + stmt.excluded.count}))
    return True


def _window(alliance_id: str, metrics: Sequence[str], start: date, end: date,
            units: Collection[str] | None) -> list[ColumnElement[bool]]:
    where = [metric_counts.c.alliance_id == alliance_id, metric_counts.c.metric.in_(list(metrics)),
             metric_counts.c.business_date >= start, metric_counts.c.business_date <= end]
    if units is not None:
        where.append(metric_counts.c.unit_id.in_(list(units)))
    return where


async def total(session: AsyncSession, *, alliance_id: str, metrics: Sequence[str], start: date, end: date,
                units: Collection[str] | None = None) -> int:
    """Sum over [start, end] (inclusive business dates), never below zero."""
    value = await session.scalar(select(func.coalesce(func.sum(metric_counts.c.count), 0))
                                 .where(*_window(alliance_id, metrics, start, end, units)))
    return max(0, int(value or 0))


async def days(session: AsyncSession, *, alliance_id: str, metrics: Sequence[str], start: date, end: date,
               units: Collection[str] | None = None) -> list[date]:
    """The distinct business dates with a positive count (one occasion per day)."""
    rows = await session.scalars(
        select(metric_counts.c.business_date).where(*_window(alliance_id, metrics, start, end, units))
        .group_by(metric_counts.c.business_date).having(func.sum(metric_counts.c.count) > 0)
        .order_by(metric_counts.c.business_date))
    return list(rows)


async def daily(session: AsyncSession, *, alliance_id: str, metrics: Sequence[str], start: date, end: date
                ) -> list[tuple[str, str, date, int]]:
    """(metric, unit, date, count) rows, for per-unit per-period targets."""
    rows = await session.execute(
        select(metric_counts.c.metric, metric_counts.c.unit_id, metric_counts.c.business_date,
               metric_counts.c.count.label("n")).where(*_window(alliance_id, metrics, start, end, None)))
    return [(r.metric, r.unit_id, r.business_date, int(r.n)) for r in rows]
