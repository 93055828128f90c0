"""Evaluation periods (评价年度, one per alliance and year) and the statistics submitted for them (填报).

A statistics submission is a new *version* for (period, unit); a metric's value in force is the one of the
latest version that carries it, so a unit may file its volumes first and correct one figure later.
``unit_id = ""`` holds what the alliance office files for the alliance as a whole (章程、制度等).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.clock import business_date
from libs.kit.errors import NotFound
from services.evaluation.persistence.tables import periods, statistic_submissions

ALLIANCE_LEVEL = ""


@dataclass(frozen=True)
class PeriodRow:
    period_id: str
    alliance_id: str
    year: int
    framework_id: str
    framework_version: int
    statistics_due: date
    status: str
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class FiledValue:
    value: Any
    version: int
    submitted_at: datetime
    evidence: tuple[str, ...]


def _period(row: Any) -> PeriodRow:
    return PeriodRow(**{k: row[k] for k in PeriodRow.__dataclass_fields__})


async def open_period(session: AsyncSession, *, alliance_id: str, year: int, framework_id: str,
                      framework_version: int, statistics_due: date, by: str, at: datetime) -> PeriodRow:
    period = PeriodRow(period_id=str(uuid.uuid4()), alliance_id=alliance_id, year=year, framework_id=framework_id,
                       framework_version=framework_version, statistics_due=statistics_due, status="open",
                       opened_by=by, opened_at=at, closed_at=None)
    await session.execute(insert(periods).values(**period.__dict__))
    return period


async def find_period(session: AsyncSession, period_id: str, *, lock: bool = False) -> PeriodRow | None:
    stmt = select(periods).where(periods.c.period_id == period_id)
    row = (await session.execute(stmt.with_for_update() if lock else stmt)).mappings().first()
    return None if row is None else _period(row)


async def period_of_year(session: AsyncSession, alliance_id: str, year: int) -> PeriodRow | None:
    row = (await session.execute(select(periods).where(periods.c.alliance_id == alliance_id,
                                                       periods.c.year == year))).mappings().first()
    return None if row is None else _period(row)


async def year_taken(session: AsyncSession, alliance_id: str, year: int) -> bool:
    return await period_of_year(session, alliance_id, year) is not None


async def list_periods(session: AsyncSession, alliance_id: str) -> list[PeriodRow]:
    rows = (await session.execute(select(periods).where(periods.c.alliance_id == alliance_id)
                                  .order_by(periods.c.year))).mappings().all()
    return [_period(r) for r in rows]


async def close_period(session: AsyncSession, period_id: str, at: datetime) -> None:
    await session.execute(update(periods).where(periods.c.period_id == period_id)
                          .values(status="closed", closed_at=at))


async def add_statistics(session: AsyncSession, *, period: PeriodRow, unit_id: str, values: dict[str, Any],
                         evidence: dict[str, list[str]], by: str, at: datetime) -> int:
    """Append the next version for (period, unit); the caller holds the period row lock."""
    latest = await session.scalar(select(func.max(statistic_submissions.c.version)).where(
        statistic_submissions.c.period_id == period.period_id, statistic_submissions.c.unit_id == unit_id))
    version = (latest or 0) + 1
    await session.execute(insert(statistic_submissions).values(
        submission_id=str(uuid.uuid4()), period_id=period.period_id, unit_id=unit_id, version=version,
        values=values, evidence=evidence, submitted_by=by, submitted_at=at, business_date=business_date(at)))
    return version


async def submissions(session: AsyncSession, period_id: str, unit_id: str | None = None) -> list[dict[str, Any]]:
    stmt = select(statistic_submissions).where(statistic_submissions.c.period_id == period_id)
    if unit_id is not None:
        stmt = stmt.where(statistic_submissions.c.unit_id == unit_id)
    rows = (await session.execute(stmt.order_by(statistic_submissions.c.unit_id,
                                                statistic_submissions.c.version))).mappings().all()
    return [dict(r) for r in rows]


async def values_in_force(session: AsyncSession, period_id: str) -> dict[str, dict[str, FiledValue]]:
    """unit ("" = alliance level) → metric → the value of the latest version that carries it."""
    in_force: dict[str, dict[str, FiledValue]] = {}
    for row in await submissions(session, period_id):
        unit = in_force.setdefault(row["unit_id"], {})
        for metric, value in row["values"].items():
            unit[metric] = FiledValue(value, row["version"], row["submitted_at"],
                                      tuple(row["evidence"].get(metric, ())))
    return in_force


def require(period: PeriodRow | None) -> PeriodRow:
    if period is None:
        raise NotFound("评价年度不存在", field="period_id")
    return period
