"""对比: one alliance across years, the alliances of a jurisdiction in one year; JSON, XLSX or PDF.

Each year's result is the official one (the commission's latest scorecard, else the latest self-evaluation).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from libs.auth.deps import PrincipalDep
from libs.auth.principal import region_covers
from libs.kit.deps import SessionDep
from services.evaluation.api import access
from services.evaluation.api.models import FrameworkId, Id, Year
from services.evaluation.application.scorecards import as_domain_card
from services.evaluation.domain.comparison import compare_alliances, compare_years, grade_counts
from services.evaluation.domain.methods.base import fmt
from services.evaluation.exports import files
from services.evaluation.persistence import scorecards as store

router = APIRouter(tags=["comparison 对比"])
Format = Literal["json", "xlsx", "pdf"]


class YearRowOut(BaseModel):
    year: int
    scorecard_id: str
    total: str
    grade: str
    passed: bool
    change: str | None
    scores: dict[str, str]


class YearsOut(BaseModel):
    alliance_id: str
    framework_id: str | None
    rows: list[YearRowOut]


class AllianceRowOut(BaseModel):
    rank: int
    alliance_id: str
    name: str
    scorecard_id: str
    total: str
    grade: str
    passed: bool
    funding_yuan: int | None
    scores: dict[str, str]


class AlliancesOut(BaseModel):
    year: int
    framework_id: str
    rows: list[AllianceRowOut]
    grade_counts: dict[str, int]
    not_evaluated: list[str]


def _scores(row: dict[str, Any]) -> dict[str, str]:
    return {line["indicator_id"]: line["score"] for line in row["lines"]}


@router.get("/alliances/{alliance_id}/comparison", response_model=YearsOut, summary="历年对比（JSON/xlsx/pdf）",
            responses={200: {"content": {files.XLSX: {}, files.PDF: {}}}})
async def compare_across_years(alliance_id: Id, session: SessionDep, principal: PrincipalDep,
                               framework_id: Annotated[FrameworkId | None, Query()] = None,
                               format: Annotated[Format, Query()] = "json") -> Any:
    alliance = await access.readable(session, principal, alliance_id)
    official = await store.official_by_year(session, alliance_id)
    if framework_id is None and official:
        framework_id = official[max(official)]["framework_id"]
    chosen = {y: r for y, r in official.items() if r["framework_id"] == framework_id}
    rows = [YearRowOut(year=r.year, scorecard_id=chosen[r.year]["scorecard_id"], total=fmt(r.total), grade=r.grade,
                       passed=r.passed, change=fmt(r.change) if r.change is not None else None,
                       scores=_scores(chosen[r.year]))
            for r in compare_years([as_domain_card(c) for c in chosen.values()])]
    if format == "json":
        return YearsOut(alliance_id=alliance_id, framework_id=framework_id, rows=rows)
    document = files.comparison_document(
        f"{alliance.name} 历年绩效评价对比", [("评价框架", framework_id or "")],
        ["年度", "总得分", "等级", "较上年"],
        [[str(r.year), r.total, r.grade, r.change or "—"] for r in rows])
    return files.download(document, format, f"comparison-{alliance_id}")


@router.get("/comparison/alliances", response_model=AlliancesOut, summary="辖区内联盟横向对比（JSON/xlsx/pdf）",
            responses={200: {"content": {files.XLSX: {}, files.PDF: {}}}})
async def compare_across_alliances(session: SessionDep, principal: PrincipalDep, year: Annotated[Year, Query()],
                                   framework_id: Annotated[FrameworkId, Query()],
                                   region_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
                                   format: Annotated[Format, Query()] = "json") -> Any:
    alliances = await access.commission_alliances(session, principal)
    if region_code is not None:
        alliances = [a for a in alliances if region_covers(region_code, a.region_code)]
    names = {a.alliance_id: a.name for a in alliances}
    found = await store.official_in_year(session, list(names), year, framework_id)
    by_id = {r["alliance_id"]: r for r in found}
    cards = [as_domain_card(r) for r in found]
    rows = [AllianceRowOut(rank=r.rank, alliance_id=r.subject_id, name=names[r.subject_id],
                           scorecard_id=by_id[r.subject_id]["scorecard_id"], total=fmt(r.total), grade=r.grade,
                           passed=r.passed, funding_yuan=r.funding_yuan, scores=_scores(by_id[r.subject_id]))
            for r in compare_alliances(cards)]
    out = AlliancesOut(year=year, framework_id=framework_id, rows=rows, grade_counts=grade_counts(cards),
                       not_evaluated=sorted(set(names) - set(by_id)))
    if format == "json":
        return out
    document = files.comparison_document(
        f"{year}年度专科联盟绩效评价横向对比",
        [("评价框架", framework_id), ("未评价联盟", "、".join(out.not_evaluated) or "无")],
        ["名次", "联盟", "总得分", "等级", "经费（元）"],
        [[str(r.rank), r.name, r.total, r.grade, str(r.funding_yuan or "—")] for r in rows])
    return files.download(document, format, f"comparison-{year}")
