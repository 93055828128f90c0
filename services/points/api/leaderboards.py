"""积分影响力排行榜: individual (个人) and collective (集体, per member unit), by year or all time, by area."""

from __future__ import annotations

from fastapi import APIRouter, Query

from libs.auth.deps import PrincipalDep
from libs.kit.amounts import format_points
from libs.kit.deps import SessionDep
from libs.kit.errors import InvalidInput
from services.points.application import queries, years
from services.points.domain.leaderboard import MAX_PAGE_SIZE
from services.points.domain.scheme import default_registry

from .access import readable_alliance
from .models import LeaderboardOut, StandingOut

router = APIRouter(prefix="/leaderboards", tags=["leaderboards"])
AllianceId = Query(min_length=1, max_length=128)
YearQ = Query(None, ge=2000, le=2200, description="年度；省略为历年累计")
AreaQ = Query(None, max_length=32,
              description="共享领域：management/clinical/research/talent/international/bonus 或中文名")
PageQ = Query(1, ge=1, le=100_000)
SizeQ = Query(20, ge=1, le=MAX_PAGE_SIZE)


@router.get("/individual", response_model=LeaderboardOut, summary="个人积分排行榜")
async def individual(session: SessionDep, principal: PrincipalDep, alliance_id: str = AllianceId,
                     year: int | None = YearQ, area: str | None = AreaQ, page: int = PageQ,
                     size: int = SizeQ) -> LeaderboardOut:
    return await _board(session, principal, "member", alliance_id, year, area, page, size)


@router.get("/collective", response_model=LeaderboardOut, summary="集体积分排行榜（成员单位）")
async def collective(session: SessionDep, principal: PrincipalDep, alliance_id: str = AllianceId,
                     year: int | None = YearQ, area: str | None = AreaQ, page: int = PageQ,
                     size: int = SizeQ) -> LeaderboardOut:
    return await _board(session, principal, "unit", alliance_id, year, area, page, size)


async def _board(session: SessionDep, principal: PrincipalDep, scope: str, alliance_id: str, year: int | None,
                 area: str | None, page: int, size: int) -> LeaderboardOut:
    await readable_alliance(session, principal, alliance_id)
    code = queries.area_code(area)
    if code != "*" and code not in _areas():
        raise InvalidInput(f"未知的共享领域：{area}", field="query.area")
    standings, more = await queries.leaderboard(session, alliance_id=alliance_id, scope=scope, year=year or 0,
                                                area=code, page=page, size=size)
    frozen = year is not None and year in await years.closed_years(session, alliance_id)
    return LeaderboardOut(
        alliance_id=alliance_id, scope="individual" if scope == "member" else "collective", year=year,
        area=None if code == "*" else code, frozen=frozen, page=page, size=size, has_next=more,
        items=[StandingOut(rank=s.rank, id=s.subject, name=s.name, points=format_points(s.points))
               for s in standings])


def _areas() -> set[str]:
    return {rule.area for ref in default_registry().available()
            for rule in default_registry().get(ref.scheme_id, ref.version).rules.values()}
