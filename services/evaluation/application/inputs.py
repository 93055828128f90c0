"""Gathering a scorecard's inputs (指标数据) for one year, each with the source a reviewer can check.

Order for an alliance scorecard, per metric the framework reads:
1. platform metrics — counted from consumed events (``metrics.derived``) or from this service's own scorecards;
2. what the alliance office filed for the alliance as a whole;
3. ``lead_*`` metrics: what the lead unit (牵头单位) filed;
4. ``member_*`` metrics: the member units' filings combined — volumes summed, rates and indices (percentages,
   CMI) averaged over the units that filed (shown as "x/y 家填报").
A metric with no value is left out, and the scoring engine refuses it naming ``inputs.<metric>``.
For a member unit's scorecard the unit's own counters and filings are used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.domain.framework import ScoreFramework
from services.evaluation.metrics.derived import DERIVED, FROM_SCORECARDS, Derived, Scope, Shape
from services.evaluation.metrics.kinds import Kind, MetricSpec, metric_specs, to_input
from services.evaluation.persistence import counters
from services.evaluation.persistence.periods import ALLIANCE_LEVEL, FiledValue, PeriodRow, values_in_force
from services.evaluation.persistence.tables import scorecards

CENT = Decimal("0.01")
LEAD_PREFIX, MEMBER_PREFIX = "lead_", "member_"


@dataclass
class Gathered:
    inputs: dict[str, object] = field(default_factory=dict)
    previous: dict[str, object] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # "metric" / "previous.metric" → 数据来源


@dataclass(frozen=True)
class Subject:
    """Who is evaluated: the alliance (``unit_id`` None) or one member unit."""

    alliance_id: str
    members: Mapping[str, str]  # unit → role, active members
    unit_id: str | None = None
    counting_self: bool = False  # this run is itself the lead unit's self-evaluation (自评)

    @property
    def lead(self) -> str | None:
        return next((u for u, r in sorted(self.members.items()) if r == "lead"), None)


def year_window(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


async def gather(session: AsyncSession, framework: ScoreFramework, subject: Subject, *, year: int,
                 period: PeriodRow | None, previous_period: PeriodRow | None) -> Gathered:
    specs = metric_specs(framework)
    gathered = Gathered()
    now_filed = await values_in_force(session, period.period_id) if period else {}
    before_filed = await values_in_force(session, previous_period.period_id) if previous_period else {}
    for spec in specs.values():
        await _one(session, gathered.inputs, gathered.sources, "", spec, subject, year, now_filed)
        if spec.yoy:
            await _one(session, gathered.previous, gathered.sources, "previous.", spec, subject, year - 1,
                       before_filed)
    return gathered


async def _one(session: AsyncSession, into: dict[str, object], sources: dict[str, str], prefix: str,
               spec: MetricSpec, subject: Subject, year: int, filed: dict[str, dict[str, FiledValue]]) -> None:
    found = await _platform(session, spec.metric, subject, year) if _is_platform(spec.metric) else None
    if found is None:
        found = _filed(spec, subject, filed)
    if found is not None:
        value, source = found
        into[spec.metric] = to_input(spec, value)
        sources[prefix + spec.metric] = source


def _is_platform(metric: str) -> bool:
    return metric in DERIVED or metric in FROM_SCORECARDS


async def _platform(session: AsyncSession, metric: str, subject: Subject, year: int) -> tuple[object, str]:
    if metric in FROM_SCORECARDS:
        return await _from_scorecards(session, metric, subject, year)
    derived = DERIVED[metric]
    start, end = year_window(year)
    units, chosen = _units(derived, subject)
    label = f"平台统计（事件）：{derived.label}"
    if units is not None and not units:
        return (0 if derived.shape is Shape.COUNT else [] if derived.shape is Shape.DATES else False), label
    names = [str(c) for c in chosen]
    if derived.shape is Shape.DATES:
        found = await counters.days(session, alliance_id=subject.alliance_id, metrics=names, start=start, end=end,
                                    units=units)
        return found, label
    count = await counters.total(session, alliance_id=subject.alliance_id, metrics=names, start=start, end=end,
                                 units=units)
    return (count > 0 if derived.shape is Shape.FLAG else count), label


def _units(derived: Derived, subject: Subject) -> tuple[list[str] | None, tuple[object, ...]]:
    if subject.unit_id is not None:
        return [subject.unit_id], derived.counters_for_unit()
    if derived.scope is Scope.LEAD:
        return ([subject.lead] if subject.lead else []), derived.counters
    return None, derived.counters


async def _from_scorecards(session: AsyncSession, metric: str, subject: Subject, year: int) -> tuple[object, str]:
    kind = "self" if metric == "self_evaluations" else "member"
    stored = await session.scalar(select(func.count()).select_from(scorecards).where(
        scorecards.c.alliance_id == subject.alliance_id, scorecards.c.year == year, scorecards.c.kind == kind))
    count = int(stored or 0) + (1 if kind == "self" and subject.counting_self else 0)
    label = f"本系统评分表记录：{FROM_SCORECARDS[metric]}{count}份"
    return (count if metric == "self_evaluations" else count > 0), label


def _filed(spec: MetricSpec, subject: Subject, filed: dict[str, dict[str, FiledValue]]) -> tuple[object, str] | None:
    if subject.unit_id is not None:
        own = filed.get(subject.unit_id, {}).get(spec.metric)
        return None if own is None else (own.value, f"本单位填报 第{own.version}版")
    office = filed.get(ALLIANCE_LEVEL, {}).get(spec.metric)
    if office is not None:
        return office.value, f"联盟办公室填报 第{office.version}版"
    if spec.metric.startswith(LEAD_PREFIX) and subject.lead:
        lead = filed.get(subject.lead, {}).get(spec.metric)
        return None if lead is None else (lead.value, f"牵头单位填报 第{lead.version}版")
    if spec.metric.startswith(MEMBER_PREFIX):
        return _combined(spec, subject, filed)
    return None


def _combined(spec: MetricSpec, subject: Subject, filed: dict[str, dict[str, FiledValue]]
              ) -> tuple[object, str] | None:
    units = sorted(u for u, role in subject.members.items() if role != "lead")
    found = [filed[u][spec.metric].value for u in units if spec.metric in filed.get(u, {})]
    if not found:
        return None
    share = f"{len(found)}/{len(units)}家填报"
    if spec.kind is Kind.FLAG:
        return any(v is True for v in found), f"成员单位任一为是（{share}）"
    if any(isinstance(v, list) for v in found):
        return [item for v in found for item in (v if isinstance(v, list) else [v])], f"成员单位汇总（{share}）"
    numbers = [Decimal(str(v)) for v in found]
    if spec.kind is Kind.PERCENT or spec.metric.endswith("_cmi"):
        mean = (sum(numbers, Decimal(0)) / len(numbers)).quantize(CENT, rounding=ROUND_HALF_UP)
        return str(mean), f"成员单位平均（{share}）"
    return str(sum(numbers, Decimal(0))), f"成员单位合计（{share}）"
