"""The generic scoring methods a framework may name (``method = "..."``), and nothing else.

Adding a framework is adding data; adding a *method* is the only change that needs code, so the set stays
small. Each method's docstring-style comment in its module gives the seed wording it was made for.
"""

from __future__ import annotations

from libs.kit.errors import InvalidInput
from services.evaluation.domain.methods.base import Basis, Method, Reader, RuleResult
from services.evaluation.domain.methods.counts import COUNT_TO_TARGET, PER_OCCURRENCE_CAPPED, TIERED
from services.evaluation.domain.methods.presence import (
    BOOLEAN_POINTS,
    DEDUCT_IF_NONE,
    DEDUCT_PER_MISSING,
    VETO_IF_MISSING,
)
from services.evaluation.domain.methods.trend import (
    DEDUCT_IF_DECLINED,
    GROWTH_BONUS,
    THRESHOLD_THEN_YOY,
    YOY_DECLINE,
)

METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        DEDUCT_PER_MISSING, DEDUCT_IF_NONE, VETO_IF_MISSING, BOOLEAN_POINTS,
        PER_OCCURRENCE_CAPPED, COUNT_TO_TARGET, TIERED,
        YOY_DECLINE, THRESHOLD_THEN_YOY, DEDUCT_IF_DECLINED, GROWTH_BONUS,
    )
}


def method_named(name: object, field: str) -> Method:
    if not isinstance(name, str) or name not in METHODS:
        raise InvalidInput(f"框架配置无效：未知的评分方法 {name!r}，可用：{'、'.join(METHODS)}", field=field)
    return METHODS[name]


__all__ = ["METHODS", "Basis", "Method", "Reader", "RuleResult", "method_named"]
