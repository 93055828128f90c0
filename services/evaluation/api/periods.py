"""评价年度 (periods per alliance) and the statistics units and the office file for them (填报)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.auth.principal import Principal, Role
from libs.kit.deps import RuntimeDep, SessionDep
from libs.kit.errors import Conflict, Forbidden, NotFound
from libs.kit.idempotency import IdempotencyDep
from services.evaluation.api import access
from services.evaluation.api.models import DocRef, FrameworkId, Id, MetricName, StatValue, Strict, Version, Year
from services.evaluation.application import statistics
from services.evaluation.application.inputs import Subject, gather
from services.evaluation.application.jsonable import plain
from services.evaluation.application.scorecards import score_framework
from services.evaluation.persistence import directory
from services.evaluation.persistence import periods as store
from services.evaluation.persistence.directory import AllianceRow
from services.evaluation.persistence.periods import ALLIANCE_LEVEL, PeriodRow

router = APIRouter(tags=["periods 评价年度与填报"])


class PeriodIn(Strict):
    year: Year
    framework_id: FrameworkId
    framework_version: Version | None = None
    statistics_due: date


class PeriodOut(BaseModel):
    period_id: str
    alliance_id: str
    year: int
    framework_id: str
    framework_version: int
    statistics_due: date
    status: str
    opened_at: datetime
    closed_at: datetime | None


class StatisticsIn(Strict):
    framework_id: FrameworkId | None = Field(None, description="填报对成员单位评价所用框架的本单位数据时指定")
    framework_version: Version | None = None
    values: Annotated[dict[MetricName, StatValue], Field(max_length=200)]
    evidence: Annotated[dict[MetricName, Annotated[list[DocRef], Field(max_length=20)]], Field(max_length=200)] = {}


class StatisticsOut(BaseModel):
    submission_id: str
    period_id: str
    unit_id: str
    version: int
    values: dict[str, Any]
    evidence: dict[str, list[str]]
    submitted_by: str
    submitted_at: datetime


class InputsOut(BaseModel):
    inputs: dict[str, Any]
    previous: dict[str, Any]
    sources: dict[str, str]


def period_out(p: PeriodRow) -> PeriodOut:
    return PeriodOut(**{k: getattr(p, k) for k in PeriodOut.model_fields})


async def period_in_scope(session: AsyncSession, principal: Principal, period_id: str, *, run: bool = False,
                          lock: bool = False) -> tuple[PeriodRow, AllianceRow]:
    period = await store.find_period(session, period_id, lock=lock)
    if period is None:
        raise NotFound("评价年度不存在", field="period_id")
    if run:
        return period, await access.runnable(session, principal, period.alliance_id)
    return period, await access.readable(session, principal, period.alliance_id)


@router.post("/alliances/{alliance_id}/periods", status_code=201, response_model=PeriodOut,
             summary="开设评价年度（选定评价框架及版本、填报截止日期）")
async def open_period(alliance_id: Id, body: PeriodIn, session: SessionDep, runtime: RuntimeDep,
                      principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    alliance = await access.runnable(session, principal, alliance_id)
    directory.ensure_operating(alliance)
    framework = await score_framework(session, body.framework_id, body.framework_version)
    if await store.year_taken(session, alliance_id, body.year):
        raise Conflict(f"{body.year}年度评价已开设", field="year")
    period = await store.open_period(session, alliance_id=alliance_id, year=body.year, framework_id=framework.id,
                                     framework_version=framework.version, statistics_due=body.statistics_due,
                                     by=access.actor(principal), at=runtime.clock.now())
    return await idem.respond(201, period_out(period))


@router.get("/alliances/{alliance_id}/periods", response_model=list[PeriodOut], summary="联盟的评价年度")
async def list_periods(alliance_id: Id, session: SessionDep, principal: PrincipalDep) -> list[PeriodOut]:
    await access.readable(session, principal, alliance_id)
    return [period_out(p) for p in await store.list_periods(session, alliance_id)]


@router.get("/periods/{period_id}", response_model=PeriodOut, summary="评价年度")
async def get_period(period_id: Id, session: SessionDep, principal: PrincipalDep) -> PeriodOut:
    period, _ = await period_in_scope(session, principal, period_id)
    return period_out(period)


@router.post("/periods/{period_id}/close", response_model=PeriodOut, summary="关闭评价年度（不再受理填报）")
async def close_period(period_id: Id, session: SessionDep, runtime: RuntimeDep, principal: PrincipalDep,
                       idem: IdempotencyDep) -> Response:
    period, _ = await period_in_scope(session, principal, period_id, run=True, lock=True)
    if period.status != "open":
        raise Conflict("评价年度已关闭", field="period_id")
    await store.close_period(session, period_id, runtime.clock.now())
    closed = await store.find_period(session, period_id)
    assert closed is not None
    return await idem.respond(200, period_out(closed))


@router.post("/periods/{period_id}/statistics", status_code=201, response_model=StatisticsOut,
             summary="填报统计数据与佐证材料（成员单位填本单位；联盟办公室填联盟整体）")
async def submit_statistics(period_id: Id, body: StatisticsIn, session: SessionDep, runtime: RuntimeDep,
                            principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    principal.require(Role.UNIT_ADMIN, Role.ALLIANCE_OFFICE)
    period, alliance = await period_in_scope(session, principal, period_id, lock=True)
    unit_id, role = await _filer(session, principal, alliance)
    now = runtime.clock.now()
    directory.ensure_operating(alliance)
    statistics.check_open(period, now)
    framework = await statistics.filing_framework(session, period, body.framework_id, body.framework_version)
    own_data = (framework.id, framework.version) != (period.framework_id, period.framework_version)
    if own_data and unit_id == ALLIANCE_LEVEL:
        raise Forbidden("对成员单位评价的数据由成员单位填报", field="framework_id")
    statistics.check_values(framework, body.values, unit_id=unit_id, unit_role=role, own_data=own_data)
    statistics.check_evidence(body.values, body.evidence)
    await store.add_statistics(session, period=period, unit_id=unit_id, values=body.values,
                               evidence=dict(body.evidence), by=access.actor(principal), at=now)
    latest = (await store.submissions(session, period_id, unit_id))[-1]
    return await idem.respond(201, StatisticsOut(**{k: latest[k] for k in StatisticsOut.model_fields}))


async def _filer(session: AsyncSession, principal: Principal, alliance: AllianceRow) -> tuple[str, str | None]:
    if principal.role is Role.ALLIANCE_OFFICE:
        if not access.may_run(principal, alliance):
            raise NotFound("联盟不存在或不在您的管辖范围内", field="alliance_id")
        return ALLIANCE_LEVEL, None
    return await access.member_unit(session, principal, alliance)


@router.get("/periods/{period_id}/statistics", response_model=list[StatisticsOut], summary="填报记录（全部版本）")
async def list_statistics(period_id: Id, session: SessionDep, principal: PrincipalDep,
                          unit_id: Annotated[str | None, Query(max_length=64)] = None) -> list[StatisticsOut]:
    period, alliance = await period_in_scope(session, principal, period_id)
    if principal.role in (Role.UNIT_ADMIN, Role.DOCTOR):
        unit_id, _ = await access.member_unit(session, principal, alliance)
    rows = await store.submissions(session, period.period_id, unit_id)
    return [StatisticsOut(**{k: r[k] for k in StatisticsOut.model_fields}) for r in rows]


@router.get("/periods/{period_id}/inputs", response_model=InputsOut,
            summary="预览评分所用的指标数据及其来源（平台统计 / 填报版本）")
async def preview_inputs(period_id: Id, session: SessionDep, principal: PrincipalDep,
                         subject_unit_id: Annotated[str | None, Query(max_length=64)] = None) -> InputsOut:
    principal.require(Role.ALLIANCE_OFFICE, Role.HEALTH_COMMISSION, Role.AUDITOR, Role.PLATFORM_ADMIN)
    period, alliance = await period_in_scope(session, principal, period_id)
    framework = await score_framework(session, period.framework_id, period.framework_version)
    members = await directory.members(session, alliance.alliance_id)
    previous = await store.period_of_year(session, alliance.alliance_id, period.year - 1)
    gathered = await gather(session, framework, Subject(alliance.alliance_id, members, subject_unit_id),
                            year=period.year, period=period, previous_period=previous)
    return InputsOut(inputs=plain(gathered.inputs), previous=plain(gathered.previous), sources=gathered.sources)
