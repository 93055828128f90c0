"""评价框架: list, read (indicators, rules in words, which metrics come from the platform), upload as data."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.auth.principal import Role
from libs.kit.deps import RuntimeDep, SessionDep
from libs.kit.idempotency import IdempotencyDep
from services.evaluation.api.access import actor
from services.evaluation.api.models import FrameworkId, Strict, Version
from services.evaluation.domain.catalog import AnyFramework
from services.evaluation.domain.club import ClubFramework
from services.evaluation.domain.framework import ScoreFramework
from services.evaluation.domain.methods.base import fmt
from services.evaluation.domain.reporting import ReportingFramework
from services.evaluation.metrics.derived import is_platform_metric
from services.evaluation.metrics.kinds import metric_specs
from services.evaluation.persistence import frameworks as store

router = APIRouter(tags=["frameworks 评价框架"])
MAX_CONTENT = 200_000


class FrameworkOut(BaseModel):
    framework_id: str
    version: int
    kind: str
    title: str
    origin: str


class FrameworkDetail(BaseModel):
    framework_id: str
    version: int
    kind: str
    title: str
    source: str
    effective_from: date
    body: dict[str, Any]


class UploadIn(Strict):
    format: Literal["toml", "json"]
    content: Annotated[str, Field(min_length=1, max_length=MAX_CONTENT)]


@router.get("/frameworks", summary="评价框架列表", response_model=list[FrameworkOut])
async def list_frameworks(session: SessionDep, principal: PrincipalDep) -> list[FrameworkOut]:
    return [FrameworkOut(**info.__dict__) for info in await store.list_frameworks(session)]


@router.get("/frameworks/{framework_id}", summary="评价框架详情（默认最新版本）", response_model=FrameworkDetail)
async def get_framework(framework_id: FrameworkId, session: SessionDep, principal: PrincipalDep,
                        version: Annotated[Version | None, Query()] = None) -> FrameworkDetail:
    return detail(await store.get_framework(session, framework_id, version))


@router.post("/frameworks", status_code=201, response_model=FrameworkOut,
             summary="上传评价框架（TOML/JSON，按 catalog.parse_framework 校验，版本号须递增）")
async def upload_framework(body: UploadIn, session: SessionDep, runtime: RuntimeDep, principal: PrincipalDep,
                           idem: IdempotencyDep) -> Response:
    principal.require(Role.PLATFORM_ADMIN, Role.ALLIANCE_OFFICE)
    framework = await store.upload(session, content=body.content, fmt=body.format, by=actor(principal),
                                   at=runtime.clock.now())
    out = FrameworkOut(framework_id=framework.id, version=framework.version, kind=store.kind_of(framework),
                       title=framework.title, origin="uploaded")
    return await idem.respond(201, out)


def detail(framework: AnyFramework) -> FrameworkDetail:
    return FrameworkDetail(framework_id=framework.id, version=framework.version, kind=store.kind_of(framework),
                           title=framework.title, source=framework.source, effective_from=framework.effective_from,
                           body=_body(framework))


def _body(framework: AnyFramework) -> dict[str, Any]:
    if isinstance(framework, ScoreFramework):
        return _score_body(framework)
    if isinstance(framework, ClubFramework):
        return {"points_scheme": framework.points_scheme, "fallback_label": framework.fallback_label,
                "bands": [{"label": b.label, "min_points": fmt(b.min_points),
                           "top_share": fmt(b.top_share) if b.top_share is not None else None}
                          for b in framework.bands]}
    assert isinstance(framework, ReportingFramework)
    return {"duties": [{"id": d.id, "name": d.name, "period": d.period_kind.value, "due_rule": d.due_rule,
                        "due_day": d.due_day, "roles": sorted(d.roles), "receiver": d.receiver}
                       for d in framework.duties],
            "targets": [{"id": t.id, "name": t.name, "metrics": list(t.metrics), "period": t.period_kind.value,
                         "minimum": t.minimum, "scope": t.scope} for t in framework.targets]}


def _score_body(framework: ScoreFramework) -> dict[str, Any]:
    specs = metric_specs(framework)
    grading = framework.grading
    return {
        "max_total": fmt(framework.max_total),
        "grading": {"method": grading.method, "pass_label": grading.pass_label, "fail_label": grading.fail_label,
                    "pass_min": fmt(grading.pass_min) if grading.pass_min is not None else None,
                    "bands": [{"label": b.label, "above": fmt(b.above), "funding_yuan": b.funding_yuan}
                              for b in grading.bands]},
        "indicators": [{"id": i.id, "group": i.group, "name": i.name, "max": fmt(i.max_points),
                        "basis": i.basis.value, "veto": i.has_veto, "not_applicable_allowed": i.not_applicable_allowed,
                        "rules": [r.describe() for r in i.rules]} for i in framework.indicators],
        "metrics": [{"metric": s.metric, "label": s.label, "kind": s.kind.value, "year_on_year": s.yoy,
                     "from_platform": is_platform_metric(s.metric)} for s in specs.values()],
    }
