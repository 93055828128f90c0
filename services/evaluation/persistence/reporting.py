"""Reporting plans (an alliance under a reporting framework, e.g. jizhou-2019) and versioned reports (报送)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import NotFound
from services.evaluation.domain.submissions import Submission
from services.evaluation.persistence.tables import report_submissions, reporting_plans


@dataclass(frozen=True)
class PlanRow:
    plan_id: str
    alliance_id: str
    framework_id: str
    framework_version: int
    start_date: date
    closed_at: datetime | None
    created_at: datetime


def _plan(row: Any) -> PlanRow:
    return PlanRow(**{k: row[k] for k in PlanRow.__dataclass_fields__})


async def create_plan(session: AsyncSession, *, alliance_id: str, framework_id: str, framework_version: int,
                      start: date, by: str, at: datetime) -> PlanRow:
    plan_id = str(uuid.uuid4())
    await session.execute(insert(reporting_plans).values(
        plan_id=plan_id, alliance_id=alliance_id, framework_id=framework_id, framework_version=framework_version,
        start_date=start, closed_at=None, created_by=by, created_at=at))
    return PlanRow(plan_id, alliance_id, framework_id, framework_version, start, None, at)


async def plan_taken(session: AsyncSession, alliance_id: str, framework_id: str) -> bool:
    found = await session.scalar(select(reporting_plans.c.plan_id).where(
        reporting_plans.c.alliance_id == alliance_id, reporting_plans.c.framework_id == framework_id))
    return found is not None


async def get_plan(session: AsyncSession, plan_id: str, *, lock: bool = False) -> PlanRow:
    stmt = select(reporting_plans).where(reporting_plans.c.plan_id == plan_id)
    row = (await session.execute(stmt.with_for_update() if lock else stmt)).mappings().first()
    if row is None:
        raise NotFound("报送计划不存在", field="plan_id")
    return _plan(row)


async def list_plans(session: AsyncSession, alliance_id: str) -> list[PlanRow]:
    rows = (await session.execute(select(reporting_plans).where(reporting_plans.c.alliance_id == alliance_id)
                                  .order_by(reporting_plans.c.created_at))).mappings().all()
    return [_plan(r) for r in rows]


async def close_plan(session: AsyncSession, plan_id: str, at: datetime) -> None:
    await session.execute(update(reporting_plans).where(reporting_plans.c.plan_id == plan_id).values(closed_at=at))


async def add_report(session: AsyncSession, *, plan_id: str, submission: Submission, counts: dict[str, int],
                     by: str) -> dict[str, Any]:
    row = {"submission_id": str(uuid.uuid4()), "plan_id": plan_id, "duty_id": submission.duty_id,
           "unit_id": submission.unit_id, "period_key": submission.period_key, "version": submission.version,
           "document_ref": submission.document_ref, "counts": counts, "submitted_by": by,
           "submitted_at": submission.submitted_at}
    await session.execute(insert(report_submissions).values(**row))
    return row


async def reports(session: AsyncSession, plan_id: str, *, unit_id: str | None = None, duty_id: str | None = None,
                  period_key: str | None = None) -> list[dict[str, Any]]:
    stmt = select(report_submissions).where(report_submissions.c.plan_id == plan_id)
    for column, value in (("unit_id", unit_id), ("duty_id", duty_id), ("period_key", period_key)):
        if value is not None:
            stmt = stmt.where(report_submissions.c[column] == value)
    rows = (await session.execute(stmt.order_by(report_submissions.c.submitted_at,
                                                report_submissions.c.version))).mappings().all()
    return [dict(r) for r in rows]


def as_submission(row: dict[str, Any]) -> Submission:
    return Submission(row["duty_id"], row["unit_id"], row["period_key"], row["version"], row["submitted_at"],
                      row["document_ref"])
