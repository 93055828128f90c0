"""成员单位年度评价 (club annual evaluation) from the frozen collective points of the closed year (集体积分).

The points service publishes the year-close snapshot (年度封账 ``unit_totals``); a member unit absent from it
earned nothing (0).
Without a snapshot of that year the evaluation is refused: the year is not closed yet.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import insert, select
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.auth.principal import Role
from libs.kit.amounts import format_points
from libs.kit.deps import RuntimeDep, SessionDep
from libs.kit.errors import Conflict, InvalidInput
from libs.kit.idempotency import IdempotencyDep
from services.evaluation.api import access
from services.evaluation.api.models import FrameworkId, Id, Strict, Version, Year
from services.evaluation.domain.club import ClubFramework, evaluate_units
from services.evaluation.persistence import directory, frameworks
from services.evaluation.persistence.tables import club_evaluations, points_snapshots

router = APIRouter(tags=["club 成员单位年度评价"])


class ClubIn(Strict):
    year: Year
    framework_id: FrameworkId = "club-annual-2024"
    framework_version: Version | None = None


class UnitResultOut(BaseModel):
    unit_id: str
    name: str | None
    points: str
    rank: int
    units_ranked: int
    band: str


class ClubOut(BaseModel):
    evaluation_id: str
    alliance_id: str
    year: int
    framework_id: str
    framework_version: int
    results: list[UnitResultOut]
    evaluated_at: datetime


def _out(row: Any) -> ClubOut:
    return ClubOut(**{k: row[k] for k in ClubOut.model_fields})


@router.post("/alliances/{alliance_id}/club-evaluations", status_code=201, response_model=ClubOut,
             summary="按年度集体积分评价成员单位并排名")
async def evaluate(alliance_id: Id, body: ClubIn, session: SessionDep, runtime: RuntimeDep,
                   principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    alliance = await access.runnable(session, principal, alliance_id, roles=(Role.ALLIANCE_OFFICE,))
    directory.ensure_operating(alliance)
    framework = await frameworks.get_framework(session, body.framework_id, body.framework_version)
    if not isinstance(framework, ClubFramework):
        raise InvalidInput(f"{body.framework_id} 不是积分排名类框架", field="framework_id")
    members = sorted(await directory.members(session, alliance_id))
    rows = (await session.execute(select(points_snapshots.c.unit_id, points_snapshots.c.points).where(
        points_snapshots.c.alliance_id == alliance_id, points_snapshots.c.year == body.year))).all()
    if not rows:
        raise Conflict(f"{body.year}年度集体积分尚未封存，不能评价", field="year")
    snapshot = {r.unit_id: r.points for r in rows}
    points = {unit: format_points(snapshot.get(unit, Decimal(0))) for unit in members}
    names = await directory.institution_names(session, members)
    results = [{"unit_id": e.unit_id, "name": names.get(e.unit_id), "points": format_points(e.points),
                "rank": e.rank, "units_ranked": e.units_ranked, "band": e.band}
               for e in evaluate_units(framework, year=body.year, points_by_unit=points)]
    row = {"evaluation_id": str(uuid.uuid4()), "alliance_id": alliance_id, "year": body.year,
           "framework_id": framework.id, "framework_version": framework.version, "results": results,
           "evaluated_by": access.actor(principal), "evaluated_at": runtime.clock.now()}
    await session.execute(insert(club_evaluations).values(**row))
    return await idem.respond(201, _out(row))


@router.get("/alliances/{alliance_id}/club-evaluations", response_model=list[ClubOut], summary="成员单位年度评价记录")
async def list_evaluations(alliance_id: Id, session: SessionDep, principal: PrincipalDep,
                           year: Annotated[Year | None, Query()] = None) -> list[ClubOut]:
    await access.readable(session, principal, alliance_id)
    stmt = select(club_evaluations).where(club_evaluations.c.alliance_id == alliance_id)
    if year is not None:
        stmt = stmt.where(club_evaluations.c.year == year)
    rows = (await session.execute(stmt.order_by(club_evaluations.c.evaluated_at))).mappings().all()
    return [_out(r) for r in rows]
