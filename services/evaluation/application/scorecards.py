"""Running a scorecard (开展绩效评价): gather inputs, score with the framework, store, publish, and recommend
dissolution after two consecutive failing years (连续2年评价结果较差 → 按程序予以解散)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.envelope import new_envelope
from libs.events.outbox import Outbox
from libs.events.schemas.evaluation import AllianceDissolutionRecommended, ScorecardPublished, ScoreLineSummary
from libs.kit.errors import InvalidInput
from services.evaluation.application.inputs import Subject, gather
from services.evaluation.application.jsonable import line_json
from services.evaluation.domain.framework import ScoreFramework
from services.evaluation.domain.grading import Grade
from services.evaluation.domain.methods.base import fmt
from services.evaluation.domain.scorecard import Scorecard, compute_scorecard, consecutive_failures
from services.evaluation.persistence import frameworks
from services.evaluation.persistence import scorecards as store
from services.evaluation.persistence.periods import PeriodRow, period_of_year

SOURCE = "/alliance/evaluation"
FAILING_YEARS = 2


@dataclass(frozen=True)
class Run:
    period: PeriodRow
    kind: str  # self | commission | member
    members: dict[str, str]
    subject_unit_id: str | None
    framework_id: str | None
    framework_version: int | None
    not_applicable: Collection[str]
    actor: str
    at: datetime


async def score_framework(session: AsyncSession, framework_id: str, version: int | None) -> ScoreFramework:
    framework = await frameworks.get_framework(session, framework_id, version)
    if not isinstance(framework, ScoreFramework):
        raise InvalidInput(f"{framework_id} 不是评分表类框架", field="framework_id")
    return framework


async def run_scorecard(session: AsyncSession, outbox: Outbox, run: Run) -> dict[str, Any]:
    period = run.period
    framework = await score_framework(session, run.framework_id or period.framework_id,
                                      run.framework_version if run.framework_id else period.framework_version)
    subject = Subject(period.alliance_id, run.members, run.subject_unit_id, counting_self=run.kind == "self")
    previous = await period_of_year(session, period.alliance_id, period.year - 1)
    gathered = await gather(session, framework, subject, year=period.year, period=period, previous_period=previous)
    card = compute_scorecard(framework, subject_id=run.subject_unit_id or period.alliance_id, year=period.year,
                             inputs=gathered.inputs, previous=gathered.previous, not_applicable=run.not_applicable)
    groups = {i.id: i.group for i in framework.indicators}
    row = await store.add(session, {
        "scorecard_id": str(uuid.uuid4()), "period_id": period.period_id, "alliance_id": period.alliance_id,
        "year": period.year, "kind": run.kind, "subject_unit_id": run.subject_unit_id,
        "framework_id": framework.id, "framework_version": framework.version, "total": card.total,
        "max_total": card.max_total, "grade": card.grade.label, "passed": card.grade.passed,
        "funding_yuan": card.grade.funding_yuan, "reasons": list(card.grade.reasons),
        "lines": [line_json(line, groups[line.indicator_id], gathered.sources) for line in card.lines],
        "computed_by": run.actor, "computed_at": run.at})
    await outbox.add(session, new_envelope(_published(row, card), source=SOURCE, subject=period.alliance_id))
    if run.kind in store.ALLIANCE_KINDS:
        await _recommend_dissolution(session, outbox, period.alliance_id, period.year, run.at)
    return row


def _published(row: dict[str, Any], card: Scorecard) -> ScorecardPublished:
    return ScorecardPublished(
        scorecard_id=row["scorecard_id"], alliance_id=row["alliance_id"], subject_unit_id=row["subject_unit_id"],
        kind=row["kind"], framework_id=card.framework_id, version=card.framework_version, year=card.year,
        total=fmt(card.total), max_total=fmt(card.max_total), grade=card.grade.label, passed=card.grade.passed,
        funding_yuan=card.grade.funding_yuan, vetoes=list(card.vetoes),
        lines=[ScoreLineSummary(indicator_id=line.indicator_id, name=line.name, max_points=fmt(line.max_points),
                                deduction=fmt(line.deduction), score=fmt(line.score), veto=line.veto,
                                not_applicable=line.not_applicable) for line in card.lines])


def as_domain_card(row: dict[str, Any]) -> Scorecard:
    """A stored row as the domain's ``Scorecard`` (lines left out) for history rules and comparisons."""
    return Scorecard(row["framework_id"], row["framework_version"], row["alliance_id"], row["year"], (),
                     Decimal(row["total"]), Decimal(row["max_total"]),
                     Grade(row["grade"], row["passed"], tuple(row["reasons"]), row["funding_yuan"]))


async def _recommend_dissolution(session: AsyncSession, outbox: Outbox, alliance_id: str, year: int,
                                 at: datetime) -> None:
    official = await store.official_by_year(session, alliance_id)
    for first in (year - FAILING_YEARS + 1, year):
        years = list(range(first, first + FAILING_YEARS))
        rows = [official.get(y) for y in years]
        if any(r is None for r in rows):
            continue
        chosen = [r for r in rows if r is not None]
        if not consecutive_failures([as_domain_card(r) for r in chosen], years=FAILING_YEARS):
            continue
        ids = [r["scorecard_id"] for r in chosen]
        if await store.record_dissolution(session, alliance_id=alliance_id, years=years, scorecard_ids=ids, at=at):
            reason = f"{years[0]}—{years[-1]}年连续{FAILING_YEARS}年评价结果为不合格，建议按程序予以解散"
            await outbox.add(session, new_envelope(AllianceDissolutionRecommended(
                alliance_id=alliance_id, years=years, framework_id=chosen[-1]["framework_id"], scorecard_ids=ids,
                reason=reason), source=SOURCE, subject=alliance_id))
