"""Reporting duties (报送) and targets (工作目标) checked from data.

Counts for targets come from two places: metrics the platform derives from events (双向转诊 per unit) and the
counts units put in their reports (市级专家指导、业务培训、处方点评 …; the latest report of a unit and period
wins, whichever duty carried it). A report period rolls up into coarser target periods (months → quarter →
year); it never splits into finer ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import InvalidInput
from services.evaluation.domain.periods import PeriodKind, parse_period, period_of
from services.evaluation.domain.reporting import Duty, ReportingFramework
from services.evaluation.domain.submissions import Submission, add_submission
from services.evaluation.domain.targets import CountKey
from services.evaluation.metrics.derived import DERIVED
from services.evaluation.persistence import counters
from services.evaluation.persistence import reporting as store
from services.evaluation.persistence.reporting import PlanRow

_SIZE = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}


def unit_roles(members: Mapping[str, str]) -> dict[str, str]:
    """Registry roles → reporting roles: 牵头单位 (lead) / 成员单位 (member, incl. vice chairs)."""
    return {unit: "lead" if role == "lead" else "member" for unit, role in members.items()}


def duty_named(framework: ReportingFramework, duty_id: str) -> Duty:
    duty = next((d for d in framework.duties if d.id == duty_id), None)
    if duty is None:
        raise InvalidInput(f"不存在的报送任务：{duty_id}", field="duty_id")
    return duty


def reportable_counts(framework: ReportingFramework) -> set[str]:
    """Counts a unit may put in a report: target metrics the platform does not derive itself."""
    return {m for t in framework.targets for m in t.metrics if m not in DERIVED}


async def file_report(session: AsyncSession, *, plan: PlanRow, framework: ReportingFramework, duty_id: str,
                      unit_id: str, unit_role: str, period_key: str, document_ref: str, counts: dict[str, int],
                      by: str, at: datetime) -> dict[str, Any]:
    duty = duty_named(framework, duty_id)
    if unit_role not in duty.roles:
        raise InvalidInput(f"{duty.name}不由{'牵头单位' if unit_role == 'lead' else '成员单位'}报送", field="duty_id")
    period = parse_period(period_key, "period")
    duty.due_date(period)  # refuses a period of the wrong kind
    if period.end < plan.start_date:
        raise InvalidInput(f"报告期早于报送起始日期（{plan.start_date.isoformat()}）", field="period")
    allowed = reportable_counts(framework)
    for metric in counts:
        if metric not in allowed:
            raise InvalidInput(f"报表中不能填报 {metric}，可填：{'、'.join(sorted(allowed)) or '无'}",
                               field=f"counts.{metric}")
    existing = [store.as_submission(r) for r in await store.reports(
        session, plan.plan_id, unit_id=unit_id, duty_id=duty_id, period_key=period.key)]
    version = max((s.version for s in existing), default=0) + 1
    versions = add_submission(existing, Submission(duty_id, unit_id, period.key, version, at, document_ref))
    return await store.add_report(session, plan_id=plan.plan_id, submission=versions[-1], counts=counts, by=by)


async def target_counts(session: AsyncSession, framework: ReportingFramework, plan: PlanRow, as_of: date
                        ) -> dict[CountKey, int]:
    found: dict[CountKey, int] = defaultdict(int)
    for target in framework.targets:
        for metric in target.metrics:
            if metric in DERIVED:
                await _derived(session, found, plan, metric, target.period_kind, as_of)
    await _reported(session, found, framework, plan)
    return dict(found)


async def _derived(session: AsyncSession, found: dict[CountKey, int], plan: PlanRow, metric: str,
                   kind: PeriodKind, as_of: date) -> None:
    names = [str(c) for c in DERIVED[metric].counters_for_unit()]
    for _, unit, day, count in await counters.daily(session, alliance_id=plan.alliance_id, metrics=names,
                                                    start=plan.start_date, end=as_of):
        found[(metric, unit, period_of(kind, day).key)] += count


async def _reported(session: AsyncSession, found: dict[CountKey, int], framework: ReportingFramework,
                    plan: PlanRow) -> None:
    latest: dict[tuple[str, str, str], int] = {}  # (metric, unit, report period) → count of the latest report
    for row in await store.reports(session, plan.plan_id):
        for metric, count in row["counts"].items():
            latest[(metric, row["unit_id"], row["period_key"])] = int(count)
    kinds = {m: t.period_kind for t in framework.targets for m in t.metrics}
    for (metric, unit, key), count in latest.items():
        kind, period = kinds.get(metric), parse_period(key)
        if kind is None or _SIZE[kind] < _SIZE[period.kind]:
            continue
        found[(metric, unit, period_of(kind, period.start).key)] += count
