"""Methods on documents and facts that exist or not: 缺失扣分, 无则扣分, 一票否决, 有则得分."""

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
    labels,
    metric_ref,
    metric_refs,
)


# --- deduct_per_missing: 缺失一项扣 N 分 -------------------------------------------------------
@dataclass(frozen=True)
class PerMissing:
    items: tuple[MetricRef, ...]
    per_missing: Decimal


def _per_missing_parse(raw: Table, path: str) -> PerMissing:
    return PerMissing(metric_refs(raw, "items", path), config.req_dec(raw, "per_missing", path))


def _per_missing_describe(p: PerMissing) -> str:
    return f"应有{labels(p.items)}，缺失一项扣{fmt(p.per_missing)}分"


def _per_missing_apply(p: PerMissing, r: Reader) -> RuleResult:
    missing = [item.label for item in p.items if not r.now(item.metric, values.as_flag)]
    note = f"缺失：{'、'.join(missing)}" if missing else ""
    return RuleResult(p.per_missing * len(missing), note=note)


DEDUCT_PER_MISSING = Method("deduct_per_missing", Basis.DEDUCT, _per_missing_parse,
                            _per_missing_describe, _per_missing_apply)


# --- deduct_if_none: 未开展（为零）扣 N 分 ------------------------------------------------------
@dataclass(frozen=True)
class IfNone:
    metric: MetricRef
    amount: Decimal


def _if_none_parse(raw: Table, path: str) -> IfNone:
    return IfNone(metric_ref(config.req(raw, "metric", path), f"{path}.metric"),
                  config.req_dec(raw, "amount", path))


def _if_none_describe(p: IfNone) -> str:
    return f"无{p.metric.label}扣{fmt(p.amount)}分"


def _if_none_apply(p: IfNone, r: Reader) -> RuleResult:
    if r.now(p.metric.metric, values.quantity) > 0:
        return RuleResult(ZERO)
    return RuleResult(p.amount, note=f"无{p.metric.label}")


DEDUCT_IF_NONE = Method("deduct_if_none", Basis.DEDUCT, _if_none_parse, _if_none_describe, _if_none_apply)


# --- veto_if_missing: 未开展 / 少于 N 项 → 一票否决 ----------------------------------------------
@dataclass(frozen=True)
class Veto:
    metric: MetricRef
    minimum: int
    allowed: tuple[str, ...] | None


def _veto_parse(raw: Table, path: str) -> Veto:
    allowed = raw.get("allowed")
    if allowed is not None and (not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed)):
        raise config.bad(f"{path}.allowed", "应为字符串列表")
    return Veto(metric_ref(config.req(raw, "metric", path), f"{path}.metric"),
                config.opt_int(raw, "minimum", path, 1, minimum=1),
                tuple(allowed) if allowed is not None else None)


def _veto_describe(p: Veto) -> str:
    if p.minimum == 1:
        return f"未开展{p.metric.label}，一票否决（本年度评价为不合格）"
    return f"{p.metric.label}少于{p.minimum}项，一票否决（本年度评价为不合格）"


def _veto_apply(p: Veto, r: Reader) -> RuleResult:
    def read(value: object, field: str) -> int:
        return values.quantity(value, field, p.allowed)

    have = r.now(p.metric.metric, read)
    if have >= p.minimum:
        return RuleResult(ZERO)
    return RuleResult(ZERO, veto=True, note=f"一票否决：{p.metric.label}{have}项，少于{p.minimum}项")


VETO_IF_MISSING = Method("veto_if_missing", Basis.VETO, _veto_parse, _veto_describe, _veto_apply)


# --- boolean_points: 有则得分（制订并实施 5 分 / 制订未实施 2 分） --------------------------------
@dataclass(frozen=True)
class Option:
    metric: MetricRef
    points: Decimal


@dataclass(frozen=True)
class BooleanPoints:
    options: tuple[Option, ...]
    combine: str  # "sum": 各项相加；"max": 取满足的最高一档


def _bool_parse(raw: Table, path: str) -> BooleanPoints:
    options = tuple(
        Option(metric_ref(item, f"{path}.options[{i}]"), config.req_dec(item, "points", f"{path}.options[{i}]"))
        for i, item in enumerate(config.req_tables(raw, "options", path))
    )
    return BooleanPoints(options, config.req_choice(raw, "combine", path, ("sum", "max")))


def _bool_describe(p: BooleanPoints) -> str:
    parts = "；".join(f"{o.metric.label}得{fmt(o.points)}分" for o in p.options)
    tail = "各项相加" if p.combine == "sum" else "取满足的最高一档"
    return f"{parts}（{tail}），均无不得分"


def _bool_apply(p: BooleanPoints, r: Reader) -> RuleResult:
    earned = [o.points for o in p.options if r.now(o.metric.metric, values.as_flag)]
    if not earned:
        return RuleResult(ZERO, note="均未达到，不得分")
    return RuleResult(sum(earned, ZERO) if p.combine == "sum" else max(earned))


BOOLEAN_POINTS = Method("boolean_points", Basis.EARN, _bool_parse, _bool_describe, _bool_apply)
