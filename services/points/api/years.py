"""年度封账 (year close) and the archived snapshots (集体积分 / 个人年度积分)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.kit.deps import SessionDep
from libs.kit.errors import NotFound
from libs.kit.idempotency import IdempotencyDep
from services.points.application import years

from .access import PointsDep, actor, office_alliance, readable_alliance
from .models import SnapshotOut

router = APIRouter(prefix="/years", tags=["years"])
Year = Path(ge=2000, le=2200, description="年度（北京时间 1月1日–12月31日）")
AllianceId = Query(min_length=1, max_length=128)


@router.post("/{year}/close", status_code=201, response_model=SnapshotOut,
             summary="年度封账 (office, only after 31 Dec Asia/Shanghai)")
async def close_year(session: SessionDep, runtime: PointsDep, principal: PrincipalDep, idem: IdempotencyDep,
                     year: int = Year, alliance_id: str = AllianceId) -> Response:
    if office_alliance(principal) != alliance_id:
        raise NotFound("联盟不存在或不在您的管辖范围内", field="alliance_id")
    body = await years.close_year(session, runtime, alliance_id=alliance_id, year=year, actor=actor(principal))
    return await idem.respond(201, SnapshotOut.model_validate(body))


@router.get("/{year}/snapshot", response_model=SnapshotOut, summary="封账快照")
async def get_snapshot(session: SessionDep, principal: PrincipalDep, year: int = Year,
                       alliance_id: str = AllianceId) -> SnapshotOut:
    await readable_alliance(session, principal, alliance_id)
    body = await years.snapshot(session, alliance_id, year)
    if body is None:
        raise NotFound(f"{year}年度尚未封账", field="year")
    return SnapshotOut.model_validate(body)
