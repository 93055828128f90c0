"""Targets (工作目标) checked from counts the platform already has, per unit and period.

A target names one or more metrics that must each reach ``minimum`` in every period of its kind:
市级专家业务指导每年不少于2次 (lead), 业务培训覆盖各成员单位每季度不少于1次 (each member),
每月处方点评 (lead), 与上级医联体开展双向转诊 (each member: up and down). A missing count is 0.
States: 达标 (met), 未达标 (period over, not met), 进行中 (period not over, not met yet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from services.evaluation.domain import config, values
from services.evaluation.domain.periods import Period, PeriodKind, periods_between

SCOPES = {"lead": "lead", "each_member": "member"}  # scope → unit role it applies to


class TargetState(StrEnum):
    MET = "达标"
    NOT_MET = "未达标"
    IN_PROGRESS = "进行中"


@dataclass(frozen=True)
class Target:
    id: str
    name: str
    metrics: tuple[str, ...]
    period_kind: PeriodKind
    minimum: int
    scope: str  # "lead" 牵头单位 / "each_member" 每个成员单位


@dataclass(frozen=True)
class TargetCheck:
    target_id: str
    name: str
    unit_id: str
    period: Period
    counts: Mapping[str, int]
    minimum: int
    state: TargetState


def parse_target(raw: Mapping[str, Any], path: str) -> Target:
    metrics = config.req(raw, "metrics", path)
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise config.bad(f"{path}.metrics", "应为非空的指标名列表")
    kind = PeriodKind(config.req_choice(raw, "period", path, [k.value for k in PeriodKind]))
    return Target(config.req_id(raw, "id", path), config.req_str(raw, "name", path), tuple(metrics), kind,
                  config.req_int(raw, "minimum", path, minimum=1),
                  config.req_choice(raw, "scope", path, tuple(SCOPES)))


CountKey = tuple[str, str, str]  # (metric, unit_id, period key)


def check_target(target: Target, unit_id: str, period: Period, counts: Mapping[CountKey, object], *,
                 as_of: date) -> TargetCheck:
    got = {m: _count(counts, (m, unit_id, period.key)) for m in target.metrics}
    if all(n >= target.minimum for n in got.values()):
        state = TargetState.MET
    else:
        state = TargetState.NOT_MET if period.end < as_of else TargetState.IN_PROGRESS
    return TargetCheck(target.id, target.name, unit_id, period, got, target.minimum, state)


def check_targets(targets: tuple[Target, ...], *, units: Mapping[str, str], start: date, as_of: date,
                  counts: Mapping[CountKey, object]) -> list[TargetCheck]:
    """Every target × unit (by scope) × period from ``start`` to ``as_of``."""
    if start > as_of:
        return []
    checks: list[TargetCheck] = []
    for target in targets:
        role = SCOPES[target.scope]
        for unit_id in sorted(u for u, r in units.items() if r == role):
            checks.extend(check_target(target, unit_id, p, counts, as_of=as_of)
                          for p in periods_between(target.period_kind, start, as_of))
    return checks


def _count(counts: Mapping[CountKey, object], key: CountKey) -> int:
    if key not in counts:
        return 0
    return values.as_count(counts[key], f"counts.{'/'.join(key)}")
