"""评分表: run (自评 / 卫生健康行政部门评价 / 对成员单位的评价), read line by line, export XLSX / PDF."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.auth.principal import Principal, Role
from libs.kit.deps import RuntimeDep, SessionDep
from libs.kit.errors import InvalidInput, NotFound
from libs.kit.idempotency import IdempotencyDep
from libs.kit.pagination import Page, PageDep, page_of
from services.evaluation.api import access
from services.evaluation.api.models import FrameworkId, Id, Strict, Version, Year
from services.evaluation.api.periods import period_in_scope
from services.evaluation.application.scorecards import Run, run_scorecard
from services.evaluation.domain.methods.base import fmt
from services.evaluation.exports import files
from services.evaluation.persistence import directory
from services.evaluation.persistence import scorecards as store

router = APIRouter(tags=["scorecards 评分表"])
Kind = Literal["self", "commission", "member"]
_RUNNER_OF: dict[str, Role] = {"self": Role.ALLIANCE_OFFICE, "member": Role.ALLIANCE_OFFICE,
                               "commission": Role.HEALTH_COMMISSION}


class ScorecardIn(Strict):
    kind: Kind
    subject_unit_id: Id | None = None
    framework_id: FrameworkId | None = None
    framework_version: Version | None = None
    not_applicable: Annotated[list[Annotated[str, Field(max_length=16)]], Field(max_length=100)] = []


class RuleOut(BaseModel):
    method: str
    rule: str
    points: str
    veto: bool
    note: str


class LineOut(BaseModel):
    indicator_id: str
    group: str
    name: str
    max_points: str
    deduction: str
    score: str
    veto: bool
    not_applicable: bool
    note: str
    inputs: dict[str, Any]
    sources: dict[str, str]
    rules: list[RuleOut]


class ScorecardOut(BaseModel):
    scorecard_id: str
    period_id: str
    alliance_id: str
    year: int
    kind: str
    subject_unit_id: str | None
    framework_id: str
    framework_version: int
    total: str
    max_total: str
    grade: str
    passed: bool
    funding_yuan: int | None
    reasons: list[str]
    lines: list[LineOut]
    computed_by: str
    computed_at: datetime


def scorecard_out(row: dict[str, Any]) -> ScorecardOut:
    values = {k: row[k] for k in ScorecardOut.model_fields if k not in ("total", "max_total")}
    return ScorecardOut(**values, total=fmt(row["total"]), max_total=fmt(row["max_total"]))


@router.post("/periods/{period_id}/scorecards", status_code=201, response_model=ScorecardOut,
             summary="开展评价：计算、保存并发布评分表")
async def run(period_id: Id, body: ScorecardIn, session: SessionDep, runtime: RuntimeDep, principal: PrincipalDep,
              idem: IdempotencyDep) -> Response:
    principal.require(_RUNNER_OF[body.kind])
    period, alliance = await period_in_scope(session, principal, period_id, run=True)
    directory.ensure_operating(alliance)
    members = await directory.members(session, alliance.alliance_id)
    _check_subject(body, members)
    row = await run_scorecard(session, runtime.outbox, Run(
        period=period, kind=body.kind, members=members, subject_unit_id=body.subject_unit_id,
        framework_id=body.framework_id, framework_version=body.framework_version,
        not_applicable=frozenset(body.not_applicable), actor=access.actor(principal), at=runtime.clock.now()))
    return await idem.respond(201, scorecard_out(row))


def _check_subject(body: ScorecardIn, members: dict[str, str]) -> None:
    if body.kind != "member":
        if body.subject_unit_id is not None:
            raise InvalidInput("联盟评价不指定被评价单位", field="subject_unit_id")
        return
    if body.subject_unit_id is None:
        raise InvalidInput("对成员单位的评价须指定被评价单位", field="subject_unit_id")
    role = members.get(body.subject_unit_id)
    if role is None or role == "lead":
        raise InvalidInput("被评价单位须为本联盟的成员单位（非牵头单位）", field="subject_unit_id")


async def readable_scorecard(session: AsyncSession, principal: Principal, scorecard_id: str) -> dict[str, Any]:
    row = await store.get(session, scorecard_id)
    alliance = await access.readable(session, principal, row["alliance_id"])
    if principal.role in (Role.UNIT_ADMIN, Role.DOCTOR) and row["subject_unit_id"] is not None:
        unit, _ = await access.member_unit(session, principal, alliance)
        if unit != row["subject_unit_id"]:
            raise NotFound("评分表不存在", field="scorecard_id")
    return row


@router.get("/scorecards/{scorecard_id}", response_model=ScorecardOut, summary="评分表（逐项：数据、规则、扣分）")
async def get_scorecard(scorecard_id: Id, session: SessionDep, principal: PrincipalDep) -> ScorecardOut:
    return scorecard_out(await readable_scorecard(session, principal, scorecard_id))


@router.get("/alliances/{alliance_id}/scorecards", response_model=Page[ScorecardOut], summary="联盟的评分表")
async def list_scorecards(alliance_id: Id, session: SessionDep, principal: PrincipalDep, page: PageDep,
                          year: Annotated[Year | None, Query()] = None,
                          kind: Annotated[Kind | None, Query()] = None) -> Page[ScorecardOut]:
    alliance = await access.readable(session, principal, alliance_id)
    unit = None
    if principal.role in (Role.UNIT_ADMIN, Role.DOCTOR):
        unit, _ = await access.member_unit(session, principal, alliance)
    rows = await store.page(session, page, alliance_ids=[alliance.alliance_id], year=year, kind=kind, only_unit=unit)
    found = page_of(rows, page, lambda r: {"seq": r["seq"]})
    return Page(items=[scorecard_out(r) for r in found.items], limit=found.limit, next_cursor=found.next_cursor)


@router.get("/scorecards/{scorecard_id}/export", summary="导出评分表（xlsx 或 pdf）",
            responses={200: {"content": {files.XLSX: {}, files.PDF: {}}}})
async def export_scorecard(scorecard_id: Id, session: SessionDep, principal: PrincipalDep,
                           format: Annotated[Literal["xlsx", "pdf"], Query()] = "xlsx") -> Response:
    row = await readable_scorecard(session, principal, scorecard_id)
    alliance = await directory.get_alliance(session, row["alliance_id"])
    document = files.scorecard_document(row, alliance.name)
    return files.download(document, format, f"scorecard-{row['year']}-{row['scorecard_id'][:8]}")
