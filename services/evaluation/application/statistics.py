"""Checking a statistics submission (填报) before anything is stored.

- every metric must be one the period's framework reads, and not one the platform computes from events;
- ``lead_*`` figures are filed by the lead unit (牵头单位), ``member_*`` by member units, anything else by the
  alliance office for the alliance as a whole (the office may file any of them, as the alliance's figure);
  a unit's own figures under a member-evaluation framework (对成员单位的评价) are its own, with no prefixes;
- each value is read the way the scoring engine will read it (negative 人次 or 满意度 > 100 % → 422);
- nothing is accepted after the period's 填报截止日期 (end of that day, Asia/Shanghai) or once it is closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import Conflict, Forbidden, InvalidInput
from services.evaluation.application.inputs import LEAD_PREFIX, MEMBER_PREFIX
from services.evaluation.application.scorecards import score_framework
from services.evaluation.domain.deadlines import is_on_time
from services.evaluation.domain.framework import ScoreFramework
from services.evaluation.metrics.derived import is_platform_metric
from services.evaluation.metrics.kinds import MetricSpec, check_value, metric_specs
from services.evaluation.persistence.periods import ALLIANCE_LEVEL, PeriodRow


def check_open(period: PeriodRow, now: datetime) -> None:
    if period.status != "open":
        raise Conflict(f"{period.year}年度评价已关闭，不再受理填报", field="period_id")
    if not is_on_time(now, period.statistics_due):
        raise Conflict(f"已超过填报截止日期（{period.statistics_due.isoformat()}），逾期不予受理",
                       field="submitted_at", code="deadline_passed")


async def filing_framework(session: AsyncSession, period: PeriodRow, framework_id: str | None,
                           version: int | None) -> ScoreFramework:
    """The period's framework, or — for a unit's own figures used to evaluate member units — the one named."""
    if framework_id is None:
        return await score_framework(session, period.framework_id, period.framework_version)
    return await score_framework(session, framework_id, version)


def check_values(framework: ScoreFramework, values: Mapping[str, Any], *, unit_id: str, unit_role: str | None,
                 own_data: bool = False) -> None:
    """``own_data``: figures of the unit itself under a member-evaluation framework — any metric, no prefixes."""
    if not values:
        raise InvalidInput("请至少填报一项指标数据", field="values")
    specs = metric_specs(framework)
    for metric, value in values.items():
        field = f"values.{metric}"
        spec = _spec(specs, framework, metric, field)
        if not own_data:
            _check_filer(metric, unit_id, unit_role, field)
        check_value(spec, value, field)


def _spec(specs: dict[str, MetricSpec], framework: ScoreFramework, metric: str, field: str) -> MetricSpec:
    if is_platform_metric(metric):
        raise InvalidInput(f"指标 {metric} 由平台根据业务数据自动统计，不能填报", field=field)
    spec = specs.get(metric)
    if spec is None:
        raise InvalidInput(f"评价框架 {framework.id} 不使用指标 {metric}", field=field)
    return spec


def _check_filer(metric: str, unit_id: str, unit_role: str | None, field: str) -> None:
    if unit_id == ALLIANCE_LEVEL:
        return
    if metric.startswith(LEAD_PREFIX):
        if unit_role != "lead":
            raise Forbidden(f"指标 {metric} 由牵头单位填报", field=field)
        return
    if metric.startswith(MEMBER_PREFIX):
        if unit_role == "lead":
            raise Forbidden(f"指标 {metric} 由成员单位填报", field=field)
        return
    raise Forbidden(f"指标 {metric} 由联盟办公室填报", field=field)


def check_evidence(values: Mapping[str, Any], evidence: Mapping[str, list[str]]) -> None:
    for metric in evidence:
        if metric not in values:
            raise InvalidInput(f"佐证材料对应的指标 {metric} 不在本次填报中", field=f"evidence.{metric}")
