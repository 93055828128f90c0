"""The scoring engine: one indicator (指标) → one score line, by the methods its data names.

Each line keeps what a reviewer needs to follow it: the inputs used, every rule in words, the deduction
(扣分 = max − score, also for earn-style lines: the points not earned), the score and a note
(一票否决 triggered, 不适用 not deducted, 扣完为止 reached).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from services.evaluation.domain.framework import Indicator, Rule
from services.evaluation.domain.methods import Basis, Reader, RuleResult
from services.evaluation.domain.methods.base import fmt

ZERO = Decimal(0)


@dataclass(frozen=True)
class RuleLine:
    method: str
    rule: str  # 评分标准（中文）
    points: Decimal  # 扣分 or 得分 of this rule, before the cap
    veto: bool
    note: str


@dataclass(frozen=True)
class ScoreLine:
    indicator_id: str
    name: str
    max_points: Decimal
    inputs: Mapping[str, object]
    rules: tuple[RuleLine, ...]
    deduction: Decimal
    score: Decimal
    veto: bool
    not_applicable: bool
    note: str

    @property
    def rule_text(self) -> str:
        return "；".join(r.rule for r in self.rules)


def score_indicator(indicator: Indicator, inputs: Mapping[str, object], previous: Mapping[str, object],
                    *, not_applicable: bool = False) -> ScoreLine:
    """Score one indicator; ``not_applicable`` (不适用) gives the full max without reading inputs."""
    if not_applicable:
        return _not_applicable_line(indicator)
    reader = Reader(inputs, previous, indicator.max_points)
    results = [(rule, rule.method.apply(rule.params, reader)) for rule in indicator.rules]
    score = _combine(indicator, [res for _, res in results])
    lines = tuple(_rule_line(rule, res) for rule, res in results)
    veto = any(res.veto for _, res in results)
    return ScoreLine(indicator.id, indicator.name, indicator.max_points, MappingProxyType(dict(reader.used)),
                     lines, indicator.max_points - score, score, veto, False,
                     _note(indicator, lines, score))


def _combine(indicator: Indicator, results: list[RuleResult]) -> Decimal:
    points = sum((r.points for r in results), ZERO)
    if indicator.basis is Basis.EARN:
        return min(points, indicator.max_points)
    return max(ZERO, indicator.max_points - points)  # 扣完为止


def _rule_line(rule: Rule, result: RuleResult) -> RuleLine:
    return RuleLine(rule.method.name, rule.describe(), result.points, result.veto, result.note)


def _note(indicator: Indicator, lines: tuple[RuleLine, ...], score: Decimal) -> str:
    notes = [line.note for line in lines if line.note]
    if indicator.basis is Basis.DEDUCT:
        deducted = sum((line.points for line in lines), ZERO)
        if deducted > indicator.max_points:
            notes.append(f"合计应扣{fmt(deducted)}分，超过本项分值，扣完为止")
    return "；".join(notes)


def _not_applicable_line(indicator: Indicator) -> ScoreLine:
    rules = tuple(RuleLine(r.method.name, r.describe(), ZERO, False, "") for r in indicator.rules)
    return ScoreLine(indicator.id, indicator.name, indicator.max_points, MappingProxyType({}), rules,
                     ZERO, indicator.max_points, False, True, "不适用，不作扣分处理")
