"""What kind of value each metric of a framework is, read from the framework's own rules.

A unit's submitted statistics are checked against this when they are submitted (a negative 门急诊人次 or a
满意度 above 100 % is refused then, not at scoring time), with the same readers the scoring engine uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from libs.kit.errors import InvalidInput
from services.evaluation.domain import values
from services.evaluation.domain.framework import ScoreFramework
from services.evaluation.domain.methods.base import MetricRef
from services.evaluation.domain.methods.counts import PerOccurrence, Tiered, ToTarget
from services.evaluation.domain.methods.presence import BooleanPoints, IfNone, PerMissing, Veto
from services.evaluation.domain.methods.trend import Growth, IfDeclined, ThresholdYoy, Trend, YoyDecline


class Kind(StrEnum):
    FLAG = "flag"  # 是/否
    COUNT = "count"  # 次数、人数（也可是日期或种类列表）
    DECIMAL = "decimal"  # 人次、CMI 等非负数
    PERCENT = "percent"  # 0–100
    DATES = "dates"  # 日期列表
    KEYS = "keys"  # 种类列表


@dataclass(frozen=True)
class MetricSpec:
    metric: str
    label: str
    kind: Kind
    allowed: tuple[str, ...] | None = None
    yoy: bool = False  # 同比：上年度数据也要读取


def metric_specs(framework: ScoreFramework) -> dict[str, MetricSpec]:
    """Every metric the framework's rules read, with its kind; a metric read two ways keeps the first."""
    specs: dict[str, MetricSpec] = {}
    for indicator in framework.indicators:
        for rule in indicator.rules:
            for spec in _specs_of(rule.params):
                known = specs.get(spec.metric)
                specs[spec.metric] = spec if known is None else MetricSpec(
                    known.metric, known.label, known.kind, known.allowed, known.yoy or spec.yoy)
    return specs


def _ref(ref: MetricRef, kind: Kind, allowed: tuple[str, ...] | None = None, yoy: bool = False) -> MetricSpec:
    return MetricSpec(ref.metric, ref.label, kind, allowed, yoy)


def _trend(t: Trend) -> MetricSpec:
    return _ref(t.ref, Kind.PERCENT if t.measure == "rate" else Kind.DECIMAL, yoy=True)


def _specs_of(params: object) -> list[MetricSpec]:
    if isinstance(params, PerMissing):
        return [_ref(item, Kind.FLAG) for item in params.items]
    if isinstance(params, BooleanPoints):
        return [_ref(o.metric, Kind.FLAG) for o in params.options]
    if isinstance(params, IfNone | ToTarget):
        return [_ref(params.metric, Kind.COUNT)]
    if isinstance(params, Veto):
        return [_ref(params.metric, Kind.COUNT, params.allowed)]
    if isinstance(params, PerOccurrence):
        return [_ref(params.metric, Kind.DATES if params.one_per_day else Kind.COUNT)]
    if isinstance(params, Tiered):
        return [_ref(params.metric, Kind.KEYS, tuple(t.key for t in params.tiers))]
    if isinstance(params, YoyDecline | Growth):
        return [_trend(t) for t in params.metrics]
    if isinstance(params, ThresholdYoy):
        return [_ref(params.metric.ref, Kind.PERCENT, yoy=True)]
    if isinstance(params, IfDeclined):
        return [_trend(params.metric)]
    return []  # a method added later: its values are checked when the scorecard is computed


def _dates(value: object, field: str) -> tuple[date, ...]:
    if isinstance(value, list | tuple):
        value = [_iso_date(v, f"{field}[{i}]") for i, v in enumerate(value)]
    return values.as_days(value, field)


def _iso_date(value: object, field: str) -> object:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidInput("日期格式应为 YYYY-MM-DD", field=field) from None
    return value


def _reader(spec: MetricSpec) -> Callable[[object, str], object]:
    if spec.kind is Kind.FLAG:
        return values.as_flag
    if spec.kind is Kind.PERCENT:
        return values.as_percent
    if spec.kind is Kind.DECIMAL:
        return values.as_decimal
    if spec.kind is Kind.DATES:
        return _dates
    if spec.kind is Kind.KEYS:
        return lambda v, f: values.as_keys(v, f, spec.allowed)
    return lambda v, f: values.quantity(v, f, spec.allowed)


def check_value(spec: MetricSpec, value: object, field: str) -> object:
    """The value as the scoring engine will read it; ``InvalidInput`` naming ``field`` when it is not."""
    return _reader(spec)(value, field)


def to_input(spec: MetricSpec | None, value: object) -> object:
    """A stored JSON value → the Python value the methods read (ISO dates → ``date``, decimal text kept)."""
    if spec is not None and spec.kind is Kind.DATES and isinstance(value, list):
        return [_iso_date(v, spec.metric) for v in value]
    return value
