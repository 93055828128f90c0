"""报送任务 (reporting duties, e.g. 蓟州 monthly tables by the 3rd, quarterly summary by the 20th): plans,
versioned reports, the board of on-time / late / overdue / missing reports per unit, and targets from data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.auth.principal import Principal, Role
from libs.kit.clock import business_date
from libs.kit.deps import RuntimeDep, SessionDep
from libs.kit.errors import Conflict, InvalidInput
from libs.kit.idempotency import IdempotencyDep
from services.evaluation.api import access
from services.evaluation.api.models import DocRef, FrameworkId, Id, MetricName, Strict, Version
from services.evaluation.application import reporting
from services.evaluation.domain.reporting import DutyState, ReportingFramework, duty_board
from services.evaluation.domain.targets import check_targets
from services.evaluation.persistence import directory, frameworks
from services.evaluation.persistence import reporting as store
from services.evaluation.persistence.directory import AllianceRow
from services.evaluation.persistence.reporting import PlanRow

router = APIRouter(tags=["reporting 报送任务"])
StateKey = Literal["on_time", "late", "pending", "overdue", "missing"]
_STATES: dict[str, DutyState] = {"on_time": DutyState.ON_TIME, "late": DutyState.LATE, "pending": DutyState.PENDING,
                                  "overdue": DutyState.OVERDUE, "missing": DutyState.MISSING}
_KEYS = {v: k for k, v in _STATES.items()}


class PlanIn(Strict):
    framework_id: FrameworkId
    framework_version: Version | None = None
    start: date


class PlanOut(BaseModel):
    plan_id: str
    alliance_id: str
    framework_id: str
    framework_version: int
    start_date: date
    closed_at: datetime | None


class ReportIn(Strict):
    duty_id: Annotated[str, Field(max_length=64)]
    period: Annotated[str, Field(max_length=8, description="2024-03（月）或 2024-Q1（季度）")]
    document_ref: DocRef
    counts: Annotated[dict[MetricName, Annotated[int, Field(ge=0, le=1_000_000)]], Field(max_length=50)] = {}


class ReportOut(BaseModel):
    submission_id: str
    duty_id: str
    unit_id: str
    period_key: str
    version: int
    document_ref: str
    counts: dict[str, int]
    submitted_at: datetime


class StatusOut(BaseModel):
    duty_id: str
    duty_name: str
    unit_id: str
    period: str
    due_date: date
    state: str
    state_label: str
    current_version: int | None
    first_submitted_on: date | None
    days_late: int


class BoardOut(BaseModel):
    as_of: datetime
    items: list[StatusOut]
    by_unit: dict[str, dict[str, int]]  # unit → state key → how many


class TargetOut(BaseModel):
    target_id: str
    name: str
    unit_id: str
    period: str
    counts: dict[str, int]
    minimum: int
    state: str


def plan_out(plan: PlanRow) -> PlanOut:
    return PlanOut(**{k: getattr(plan, k) for k in PlanOut.model_fields})


async def _framework(session: AsyncSession, framework_id: str, version: int | None) -> ReportingFramework:
    framework = await frameworks.get_framework(session, framework_id, version)
    if not isinstance(framework, ReportingFramework):
        raise InvalidInput(f"{framework_id} 不是报送类框架", field="framework_id")
    return framework


async def _plan_in_scope(session: AsyncSession, principal: Principal, plan_id: str, *, run: bool = False,
                         lock: bool = False) -> tuple[PlanRow, AllianceRow]:
    plan = await store.get_plan(session, plan_id, lock=lock)
    check = access.runnable if run else access.readable
    return plan, await check(session, principal, plan.alliance_id)


@router.post("/alliances/{alliance_id}/reporting-plans", status_code=201, response_model=PlanOut,
             summary="建立报送计划（报送类框架、起始日期）")
async def create_plan(alliance_id: Id, body: PlanIn, session: SessionDep, runtime: RuntimeDep,
                      principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    alliance = await access.runnable(session, principal, alliance_id)
    directory.ensure_operating(alliance)
    framework = await _framework(session, body.framework_id, body.framework_version)
    if await store.plan_taken(session, alliance_id, framework.id):
        raise Conflict("该联盟已有此框架的报送计划", field="framework_id")
    plan = await store.create_plan(session, alliance_id=alliance_id, framework_id=framework.id,
                                   framework_version=framework.version, start=body.start,
                                   by=access.actor(principal), at=runtime.clock.now())
    return await idem.respond(201, plan_out(plan))


@router.get("/alliances/{alliance_id}/reporting-plans", response_model=list[PlanOut], summary="联盟的报送计划")
async def list_plans(alliance_id: Id, session: SessionDep, principal: PrincipalDep) -> list[PlanOut]:
    await access.readable(session, principal, alliance_id)
    return [plan_out(p) for p in await store.list_plans(session, alliance_id)]


@router.post("/reporting-plans/{plan_id}/close", response_model=PlanOut,
             summary="结束报送期（此后未报的记为缺报）")
async def close_plan(plan_id: Id, session: SessionDep, runtime: RuntimeDep, principal: PrincipalDep,
                     idem: IdempotencyDep) -> Response:
    plan, _ = await _plan_in_scope(session, principal, plan_id, run=True, lock=True)
    if plan.closed_at is not None:
        raise Conflict("报送期已结束", field="plan_id")
    await store.close_plan(session, plan_id, runtime.clock.now())
    return await idem.respond(200, plan_out(await store.get_plan(session, plan_id)))


@router.post("/reporting-plans/{plan_id}/reports", status_code=201, response_model=ReportOut,
             summary="报送报表或总结（新版本取代旧版本；按首次报送判断是否按时）")
async def file_report(plan_id: Id, body: ReportIn, session: SessionDep, runtime: RuntimeDep,
                      principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    principal.require(Role.UNIT_ADMIN)
    plan, alliance = await _plan_in_scope(session, principal, plan_id, lock=True)
    unit_id, role = await access.member_unit(session, principal, alliance)
    directory.ensure_operating(alliance)
    if plan.closed_at is not None:
        raise Conflict("报送期已结束，不再受理", field="plan_id")
    framework = await _framework(session, plan.framework_id, plan.framework_version)
    row = await reporting.file_report(
        session, plan=plan, framework=framework, duty_id=body.duty_id, unit_id=unit_id,
        unit_role=reporting.unit_roles({unit_id: role})[unit_id], period_key=body.period,
        document_ref=body.document_ref, counts=dict(body.counts), by=access.actor(principal), at=runtime.clock.now())
    return await idem.respond(201, ReportOut(**{k: row[k] for k in ReportOut.model_fields}))


async def _visible_unit(session: AsyncSession, principal: Principal, alliance: AllianceRow,
                        asked: str | None) -> str | None:
    if principal.role in (Role.UNIT_ADMIN, Role.DOCTOR):
        unit, _ = await access.member_unit(session, principal, alliance)
        return unit
    return asked


@router.get("/reporting-plans/{plan_id}/reports", response_model=list[ReportOut], summary="报送记录（全部版本）")
async def list_reports(plan_id: Id, session: SessionDep, principal: PrincipalDep,
                       unit_id: Annotated[str | None, Query(max_length=64)] = None) -> list[ReportOut]:
    plan, alliance = await _plan_in_scope(session, principal, plan_id)
    unit = await _visible_unit(session, principal, alliance, unit_id)
    rows = await store.reports(session, plan_id, unit_id=unit)
    return [ReportOut(**{k: r[k] for k in ReportOut.model_fields}) for r in rows]


@router.get("/reporting-plans/{plan_id}/board", response_model=BoardOut,
            summary="报送情况：每个单位按时、逾期提交、待提交、逾期未交、缺报")
async def board(plan_id: Id, session: SessionDep, runtime: RuntimeDep, principal: PrincipalDep,
                unit_id: Annotated[str | None, Query(max_length=64)] = None,
                state: Annotated[StateKey | None, Query()] = None) -> BoardOut:
    plan, alliance = await _plan_in_scope(session, principal, plan_id)
    unit = await _visible_unit(session, principal, alliance, unit_id)
    framework = await _framework(session, plan.framework_id, plan.framework_version)
    units = reporting.unit_roles(await directory.members(session, alliance.alliance_id))
    if unit is not None:
        units = {u: r for u, r in units.items() if u == unit}
    now = runtime.clock.now()
    submissions = [store.as_submission(r) for r in await store.reports(session, plan_id, unit_id=unit)]
    statuses = duty_board(framework, units=units, start=plan.start_date, now=now, submissions=submissions,
                          closed_at=plan.closed_at)
    items = [StatusOut(duty_id=s.duty_id, duty_name=s.duty_name, unit_id=s.unit_id, period=s.period.key,
                       due_date=s.due_date, state=_KEYS[s.state], state_label=s.state.value,
                       current_version=s.current_version, first_submitted_on=s.first_submitted_on,
                       days_late=s.days_late) for s in statuses if state is None or s.state is _STATES[state]]
    by_unit: dict[str, dict[str, int]] = {}
    for s in statuses:
        tally = by_unit.setdefault(s.unit_id, {k: 0 for k in _STATES})
        tally[_KEYS[s.state]] += 1
    return BoardOut(as_of=now, items=items, by_unit=by_unit)


@router.get("/reporting-plans/{plan_id}/targets", response_model=list[TargetOut],
            summary="工作目标完成情况（由平台数据与报表数据核对）")
async def targets(plan_id: Id, session: SessionDep, runtime: RuntimeDep, principal: PrincipalDep,
                  as_of: Annotated[date | None, Query()] = None) -> list[TargetOut]:
    plan, alliance = await _plan_in_scope(session, principal, plan_id)
    unit = await _visible_unit(session, principal, alliance, None)
    framework = await _framework(session, plan.framework_id, plan.framework_version)
    day = as_of or business_date(runtime.clock.now())
    units = reporting.unit_roles(await directory.members(session, alliance.alliance_id))
    counts = await reporting.target_counts(session, framework, plan, day)
    checks = check_targets(framework.targets, units=units, start=plan.start_date, as_of=day, counts=counts)
    return [TargetOut(target_id=c.target_id, name=c.name, unit_id=c.unit_id, period=c.period.key,
                      counts=dict(c.counts), minimum=c.minimum, state=c.state.value)
            for c in checks if unit is None or c.unit_id == unit]
