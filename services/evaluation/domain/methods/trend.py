"""Year-on-year methods (同比): 每下降 1 个百分点扣 1 分, 低于阈值不得分, 下降扣分, 增长加分.

Two measures: ``volume`` metrics (门急诊人次, CMI …) change by a *relative* percentage,
(本年 − 上年) / 上年 × 100; ``rate`` metrics (满意度 %) change in percentage points, 本年 − 上年.
Rounding ``floor`` counts only whole percentage points (下降 3.4 个百分点 → 3 个整百分点 → 扣 3 分);
``exact`` deducts proportionally (3.4 分). The seed's wording "每下降1个百分点扣1分" is read as ``floor``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from libs.kit.errors import InvalidInput
from services.evaluation.domain import config, values
from services.evaluation.domain.config import Table
from services.evaluation.domain.methods.base import (
    ZERO,
    Basis,
    Method,
    MetricRef,
    Reader,
    RuleResult,
    fmt,
    metric_ref,
)

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
MEASURES = ("volume", "rate")
ROUNDINGS = ("floor", "exact")


@dataclass(frozen=True)
class Trend:
    ref: MetricRef
    measure: str


def _trend(raw: object, path: str) -> Trend:
    ref = metric_ref(raw, path)
    assert isinstance(raw, dict)
    return Trend(ref, config.req_choice(raw, "measure", path, MEASURES) if "measure" in raw else "volume")


def _trends(raw: Table, key: str, path: str) -> tuple[Trend, ...]:
    items = config.req(raw, key, path)
    if not isinstance(items, list) or not items:
        raise config.bad(f"{path}.{key}", "应为非空列表")
    return tuple(_trend(item, f"{path}.{key}[{i}]") for i, item in enumerate(items))


def _read(t: Trend, r: Reader) -> tuple[Decimal, Decimal]:
    read = values.as_percent if t.measure == "rate" else values.as_decimal
    return r.now(t.ref.metric, read), r.before(t.ref.metric, read)


def change_pct(now: Decimal, before: Decimal, measure: str) -> Decimal | None:
    """同比变化（百分点）; None when a volume had no base last year (上年为 0，无法计算同比)."""
    if measure == "rate":
        return now - before
    if before == 0:
        return None
    return (now - before) * HUNDRED / before


def whole_or_exact(points: Decimal, rounding: str) -> Decimal:
    if rounding == "floor":
        return points.to_integral_value(rounding=ROUND_FLOOR)
    return points.quantize(CENT, rounding=ROUND_HALF_UP)


def _unit(measure: str) -> str:
    return "个百分点" if measure == "rate" else "%"


# --- yoy_decline: 同比持平或上升不扣分，每下降 1 个百分点扣 N 分，扣完为止 --------------------------
@dataclass(frozen=True)
class YoyDecline:
    metrics: tuple[Trend, ...]
    per_point: Decimal
    rounding: str


def _yoy_parse(raw: Table, path: str) -> YoyDecline:
    return YoyDecline(_trends(raw, "metrics", path), config.req_dec(raw, "per_point", path),
                      config.req_choice(raw, "rounding", path, ROUNDINGS))


def _yoy_text(per_point: Decimal, rounding: str) -> str:
    whole = "（按整百分点计）" if rounding == "floor" else "（按实际下降幅度计）"
    return f"同比持平或上升不扣分，每下降1个百分点扣{fmt(per_point)}分{whole}，扣完为止"


def _yoy_describe(p: YoyDecline) -> str:
    return f"{'、'.join(t.ref.label for t in p.metrics)}：{_yoy_text(p.per_point, p.rounding)}；各项分别扣分"


def _decline_deduction(t: Trend, per_point: Decimal, rounding: str, r: Reader) -> tuple[Decimal, str]:
    now, before = _read(t, r)
    change = change_pct(now, before, t.measure)
    if change is None:
        return ZERO, f"{t.ref.label}上年为0，无法计算同比，不扣分"
    r.derived(f"{t.ref.metric}.change_pct", change.quantize(CENT, rounding=ROUND_HALF_UP))
    if change >= 0:
        return ZERO, ""
    counted = whole_or_exact(-change, rounding)
    points = per_point * counted
    shown = (-change).quantize(CENT, rounding=ROUND_HALF_UP)
    return points, f"{t.ref.label}下降{fmt(shown)}{_unit(t.measure)}，扣{fmt(points)}分"


def _yoy_apply(p: YoyDecline, r: Reader) -> RuleResult:
    results = [_decline_deduction(t, p.per_point, p.rounding, r) for t in p.metrics]
    notes = [note for _, note in results if note]
    return RuleResult(sum((points for points, _ in results), ZERO), note="；".join(notes))


YOY_DECLINE = Method("yoy_decline", Basis.DEDUCT, _yoy_parse, _yoy_describe, _yoy_apply)


# --- threshold_then_yoy: 低于 90% 不得分；否则同比下降扣分 ------------------------------------------
@dataclass(frozen=True)
class ThresholdYoy:
    metric: Trend
    threshold: Decimal
    per_point: Decimal
    rounding: str


def _threshold_parse(raw: Table, path: str) -> ThresholdYoy:
    metric = _trend(config.req(raw, "metric", path), f"{path}.metric")
    return ThresholdYoy(Trend(metric.ref, "rate"), config.req_dec(raw, "threshold", path),
                        config.req_dec(raw, "per_point", path), config.req_choice(raw, "rounding", path, ROUNDINGS))


def _threshold_describe(p: ThresholdYoy) -> str:
    return f"{p.metric.ref.label}低于{fmt(p.threshold)}%不得分；{_yoy_text(p.per_point, p.rounding)}"


def _threshold_apply(p: ThresholdYoy, r: Reader) -> RuleResult:
    now = r.now(p.metric.ref.metric, values.as_percent)
    if now < p.threshold:
        return RuleResult(r.max_points, note=f"{p.metric.ref.label}{fmt(now)}%低于{fmt(p.threshold)}%，不得分")
    points, note = _decline_deduction(p.metric, p.per_point, p.rounding, r)
    return RuleResult(points, note=note)


THRESHOLD_THEN_YOY = Method("threshold_then_yoy", Basis.DEDUCT, _threshold_parse, _threshold_describe,
                            _threshold_apply)


# --- deduct_if_declined: 逐年下降扣 N 分 ---------------------------------------------------------
@dataclass(frozen=True)
class IfDeclined:
    metric: Trend
    amount: Decimal


def _declined_parse(raw: Table, path: str) -> IfDeclined:
    return IfDeclined(_trend(config.req(raw, "metric", path), f"{path}.metric"), config.req_dec(raw, "amount", path))


def _declined_describe(p: IfDeclined) -> str:
    return f"{p.metric.ref.label}同比下降扣{fmt(p.amount)}分"


def _declined_apply(p: IfDeclined, r: Reader) -> RuleResult:
    now, before = _read(p.metric, r)
    if now >= before:
        return RuleResult(ZERO)
    return RuleResult(p.amount, note=f"{p.metric.ref.label}同比下降（{fmt(before)}→{fmt(now)}）")


DEDUCT_IF_DECLINED = Method("deduct_if_declined", Basis.DEDUCT, _declined_parse, _declined_describe,
                            _declined_apply)


# --- growth_bonus: 整体增长 5% 得 5 分，每再增加 1 个点加 1 分，最高 10 分 ---------------------------
@dataclass(frozen=True)
class Growth:
    metrics: tuple[Trend, ...]
    threshold: Decimal
    base: Decimal
    per_point: Decimal
    cap: Decimal
    combine: str  # "mean_of_rates": 各项增长率的平均；"total": 合计量的增长率


def _growth_parse(raw: Table, path: str) -> Growth:
    return Growth(_trends(raw, "metrics", path), config.req_dec(raw, "threshold", path),
                  config.req_dec(raw, "base", path), config.req_dec(raw, "per_point", path),
                  config.req_dec(raw, "cap", path),
                  config.req_choice(raw, "combine", path, ("mean_of_rates", "total")))


def _growth_describe(p: Growth) -> str:
    how = "各项增长率的平均" if p.combine == "mean_of_rates" else "合计量的增长率"
    return (f"{'、'.join(t.ref.label for t in p.metrics)}与上年对比（整体增长按{how}计）："
            f"整体增长{fmt(p.threshold)}%得{fmt(p.base)}分，每再增加1个百分点加{fmt(p.per_point)}分，"
            f"最高{fmt(p.cap)}分；不足{fmt(p.threshold)}%不得分")


def _no_base(t: Trend) -> InvalidInput:
    return InvalidInput(f"上年度{t.ref.label}为0，无法计算增长率", field=f"previous.{t.ref.metric}")


def _overall_growth(p: Growth, r: Reader) -> Decimal:
    pairs = [(t, *_read(t, r)) for t in p.metrics]
    if p.combine == "total":
        before = sum((b for _, _, b in pairs), ZERO)
        if before == 0:
            raise _no_base(p.metrics[0])
        return (sum((n for _, n, _ in pairs), ZERO) - before) * HUNDRED / before
    rates = []
    for t, now, before in pairs:
        if before == 0:
            raise _no_base(t)
        rates.append((now - before) * HUNDRED / before)
    return sum(rates, ZERO) / len(rates)


def _growth_apply(p: Growth, r: Reader) -> RuleResult:
    growth = _overall_growth(p, r)
    shown = growth.quantize(CENT, rounding=ROUND_HALF_UP)
    r.derived("overall_growth_pct", shown)
    if growth < p.threshold:
        return RuleResult(ZERO, note=f"整体增长{fmt(shown)}%，未达{fmt(p.threshold)}%，不得分")
    further = (growth - p.threshold).to_integral_value(rounding=ROUND_FLOOR)
    earned = min(p.base + p.per_point * further, p.cap)
    return RuleResult(earned, note=f"整体增长{fmt(shown)}%，得{fmt(earned)}分")


GROWTH_BONUS = Method("growth_bonus", Basis.EARN, _growth_parse, _growth_describe, _growth_apply)
