"""Methods on counts: 每次得分封顶, 达到次数得满分, 分档计分."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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


def _metric(raw: Table, path: str) -> MetricRef:
    return metric_ref(config.req(raw, "metric", path), f"{path}.metric")


# --- per_occurrence_capped: 每 1 次得 N 分（可选：每天只算 1 次），最高 M 分 --------------------------
@dataclass(frozen=True)
class PerOccurrence:
    metric: MetricRef
    per: Decimal
    cap: Decimal
    one_per_day: bool


def _per_occ_parse(raw: Table, path: str) -> PerOccurrence:
    return PerOccurrence(_metric(raw, path), config.req_dec(raw, "per", path), config.req_dec(raw, "cap", path),
                         config.opt_bool(raw, "one_per_day", path, False))


def _per_occ_describe(p: PerOccurrence) -> str:
    day = "（每天只算1次）" if p.one_per_day else ""
    return f"{p.metric.label}每1次得{fmt(p.per)}分{day}，最高{fmt(p.cap)}分，没有不得分"


def _per_occ_apply(p: PerOccurrence, r: Reader) -> RuleResult:
    if p.one_per_day:
        days = r.now(p.metric.metric, values.as_days)
        occasions = len(set(days))
        r.derived(f"{p.metric.metric}.distinct_days", occasions)
    else:
        occasions = r.now(p.metric.metric, values.quantity)
    earned = min(p.per * occasions, p.cap)
    note = f"计{occasions}次" + ("，已达上限" if p.per * occasions > p.cap else "")
    return RuleResult(earned, note=note)


PER_OCCURRENCE_CAPPED = Method("per_occurrence_capped", Basis.EARN, _per_occ_parse, _per_occ_describe,
                               _per_occ_apply)


# --- count_to_target: 至少 N 次得满分，每少 1 次减 M 分 -------------------------------------------
@dataclass(frozen=True)
class ToTarget:
    metric: MetricRef
    target: int
    full: Decimal
    per_missing: Decimal


def _target_parse(raw: Table, path: str) -> ToTarget:
    return ToTarget(_metric(raw, path), config.req_int(raw, "target", path, minimum=1),
                    config.req_dec(raw, "full", path), config.req_dec(raw, "per_missing", path))


def _target_describe(p: ToTarget) -> str:
    return (f"{p.metric.label}至少{p.target}次得{fmt(p.full)}分，"
            f"每少1次减{fmt(p.per_missing)}分，减完为止")


def _target_apply(p: ToTarget, r: Reader) -> RuleResult:
    held = r.now(p.metric.metric, values.quantity)
    short = max(0, p.target - held)
    earned = max(ZERO, p.full - p.per_missing * short)
    return RuleResult(earned, note=f"少{short}次" if short else "")


COUNT_TO_TARGET = Method("count_to_target", Basis.EARN, _target_parse, _target_describe, _target_apply)


# --- tiered: 每项按档计分（申报 3 分 / 申报并立项 5 分），最高 M 分 ---------------------------------
@dataclass(frozen=True)
class Tier:
    key: str
    label: str
    points: Decimal


@dataclass(frozen=True)
class Tiered:
    metric: MetricRef
    tiers: tuple[Tier, ...]
    cap: Decimal

    def points_of(self, key: str) -> Decimal:
        return next(t.points for t in self.tiers if t.key == key)


def _tiered_parse(raw: Table, path: str) -> Tiered:
    tiers = tuple(
        Tier(config.req_id(t, "key", f"{path}.tiers[{i}]"), config.req_str(t, "label", f"{path}.tiers[{i}]"),
             config.req_dec(t, "points", f"{path}.tiers[{i}]"))
        for i, t in enumerate(config.req_tables(raw, "tiers", path))
    )
    if len({t.key for t in tiers}) != len(tiers):
        raise config.bad(f"{path}.tiers", "档位标识重复")
    return Tiered(_metric(raw, path), tiers, config.req_dec(raw, "cap", path))


def _tiered_describe(p: Tiered) -> str:
    tiers = "，".join(f"{t.label}得{fmt(t.points)}分" for t in p.tiers)
    return f"{p.metric.label}每项：{tiers}；最高{fmt(p.cap)}分"


def _tiered_apply(p: Tiered, r: Reader) -> RuleResult:
    keys = [t.key for t in p.tiers]
    items = r.now(p.metric.metric, lambda v, f: values.as_keys(v, f, keys))
    total = sum((p.points_of(k) for k in items), ZERO)
    counts = "，".join(f"{t.label}{items.count(t.key)}项" for t in p.tiers)
    return RuleResult(min(total, p.cap), note=counts + ("，已达上限" if total > p.cap else ""))


TIERED = Method("tiered", Basis.EARN, _tiered_parse, _tiered_describe, _tiered_apply)
