"""积分方案 (points schemes): find the scheme in force, and compute an award (赋分) from it.

The amount of an award is always *derived* — scheme version + rule + variant + quantity + facts —
never typed in, so an auditor can recompute every ledger entry (see ``replay``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from libs.kit.amounts import POINTS_MAX, format_points
from libs.kit.errors import InvalidInput, NotFound

from .scheme_model import (
    CollectivePolicy,
    Condition,
    DirectRoute,
    Facts,
    FactValue,
    Mode,
    Rule,
    Scheme,
    SchemeRef,
    Variant,
)
from .scheme_toml import SchemeFileError, load_scheme_file, parse_scheme

__all__ = [
    "Award", "NotEligible", "CollectivePolicy", "Condition", "DirectRoute", "Mode", "Rule", "Scheme", "SchemeFileError",
    "SchemeRef", "SchemeRegistry", "Variant", "available_schemes", "compute_award", "direct_award_for",
    "load_scheme", "parse_scheme", "scheme_effective_at",
]

SCHEMES_DIR = Path(__file__).parent / "schemes"


class NotEligible(InvalidInput):
    """A condition of the rule is not met (as opposed to malformed input)."""


@dataclass(frozen=True, slots=True)
class Award:
    """A computed 赋分: what a ledger award entry records so it can be recomputed later."""

    amount: Decimal
    rule_code: str
    variant: str
    scheme_id: str
    scheme_version: int
    explanation_zh: str
    quantity: int = 1
    unit_amount: Decimal = Decimal("0.0")
    # Only the facts the rule consulted (kept on the entry for replay), as sorted pairs.
    facts: tuple[tuple[str, FactValue], ...] = ()
    # Unique per beneficiary when the rule is "once per …" (e.g. R03b once per appointment).
    dedupe_key: str | None = None
    beneficiary_id: str | None = None


class SchemeRegistry:
    """All scheme versions found in a directory of ``*.toml`` files."""

    def __init__(self, schemes: list[Scheme]) -> None:
        self._by_key: dict[tuple[str, int], Scheme] = {}
        for scheme in schemes:
            key = (scheme.scheme_id, scheme.version)
            if key in self._by_key:
                raise SchemeFileError(f"duplicate scheme {scheme.ref}")
            self._by_key[key] = scheme

    @classmethod
    def from_directory(cls, directory: Path) -> SchemeRegistry:
        return cls([load_scheme_file(p) for p in sorted(directory.glob("*.toml"))])

    def available(self) -> list[SchemeRef]:
        return sorted(SchemeRef(s.scheme_id, s.version, s.effective_from, s.title_zh) for s in self._by_key.values())

    def get(self, scheme_id: str, version: int) -> Scheme:
        scheme = self._by_key.get((scheme_id, version))
        if scheme is None:
            raise NotFound(f"未找到积分方案 {scheme_id} 第{version}版", field="scheme_version")
        return scheme

    def effective_at(self, scheme_id: str, on: date) -> Scheme:
        """The version in force on ``on`` (an Asia/Shanghai business date): latest effective_from ≤ on."""
        candidates = [s for (sid, _), s in self._by_key.items() if sid == scheme_id and s.effective_from <= on]
        if not candidates:
            raise NotFound(f"{on.isoformat()} 没有生效的积分方案 {scheme_id}", field="occurred_at")
        return max(candidates, key=lambda s: (s.effective_from, s.version))


@functools.cache
def default_registry() -> SchemeRegistry:
    # Loaded lazily, once: nothing is read at import time.
    return SchemeRegistry.from_directory(SCHEMES_DIR)


def load_scheme(scheme_id: str, version: int) -> Scheme:
    return default_registry().get(scheme_id, version)


def available_schemes() -> list[SchemeRef]:
    return default_registry().available()


def scheme_effective_at(scheme_id: str, on: date) -> Scheme:
    return default_registry().effective_at(scheme_id, on)


def compute_award(scheme: Scheme, rule_code: str, variant: str | None, quantity: int,
                  facts: Facts | None = None, *, mode: Mode | None = None) -> Award:
    """赋分: amount = variant amount × quantity, after the rule's refusals and the variant's requirements.

    ``variant`` may be None only for a single-variant rule. ``mode`` (claim/direct), when given, must be
    allowed by the rule (R02b cannot be claimed by hand; it comes from platform data).
    """
    facts = facts or {}
    rule = _rule(scheme, rule_code)
    chosen = _variant(rule, variant)
    if mode is not None and not rule.mode.allows(mode):
        raise InvalidInput(f"{rule.code} 的赋分方式为“{rule.mode.value}”，不受理“{mode.value}”方式", field="rule_code")
    count = _quantity(quantity, chosen)
    _check_conditions(scheme, rule, chosen, facts)
    total = (chosen.amount * count).quantize(Decimal("0.1"))
    if total > POINTS_MAX:
        raise InvalidInput("积分数值超出范围", field="quantity")
    kept = _kept_facts(scheme, rule, chosen, facts)
    return Award(
        amount=total, rule_code=rule.code, variant=chosen.code, scheme_id=scheme.scheme_id,
        scheme_version=scheme.version, explanation_zh=_explain(scheme, rule, chosen, count, total),
        quantity=count, unit_amount=chosen.amount, facts=kept, dedupe_key=_dedupe_key(rule, chosen, facts),
    )


def direct_award_for(scheme: Scheme, fact: Facts) -> Award | None:
    """直接赋分: the award a normalized platform fact earns, or None when it earns nothing.

    The first matching ``[[direct]]`` route of the scheme decides rule/variant. A fact that matches a
    route but fails the rule's conditions (e.g. a news article under 400 characters) earns nothing.
    """
    route = next((r for r in scheme.direct if r.matches(fact)), None)
    if route is None:
        return None
    beneficiary = fact.get(route.beneficiary_fact)
    if not isinstance(beneficiary, str) or not beneficiary:
        raise InvalidInput(f"平台数据缺少受益医师（{route.beneficiary_fact}）", field=f"fact.{route.beneficiary_fact}")
    quantity = fact.get("quantity", 1)
    try:
        award = compute_award(scheme, route.rule, route.variant, quantity, fact, mode=Mode.DIRECT)  # type: ignore[arg-type]
    except InvalidInput as exc:
        if isinstance(exc, NotEligible):
            return None
        raise
    return replace(award, beneficiary_id=beneficiary)


def _rule(scheme: Scheme, code: object) -> Rule:
    rule = scheme.rules.get(code) if isinstance(code, str) else None
    if rule is None:
        raise InvalidInput(f"积分方案 {scheme.ref} 中没有赋分规则 {code!r}", field="rule_code")
    return rule


def _variant(rule: Rule, code: str | None) -> Variant:
    if code is None and len(rule.variants) == 1:
        return next(iter(rule.variants.values()))
    chosen = rule.variants.get(code) if isinstance(code, str) else None
    if chosen is None:
        known = "、".join(rule.variants)
        raise InvalidInput(f"赋分规则 {rule.code} 没有计分项 {code!r}（可选：{known}）", field="variant")
    return chosen


def _quantity(quantity: object, variant: Variant) -> int:
    # bool is an int subclass; True is not "one week".
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput("数量必须是正整数", field="quantity")
    if quantity > variant.max_quantity:
        raise InvalidInput(f"数量不能超过 {variant.max_quantity}{variant.unit_zh}", field="quantity")
    return quantity


def _check_conditions(scheme: Scheme, rule: Rule, variant: Variant, facts: Facts) -> None:
    # Refusals first: the R11 3–6 month gap must be explained as such, whatever variant was claimed.
    for cond in rule.refuse:
        if cond.fact in facts and cond.holds_for(_fact_value(scheme, cond, facts)):
            raise NotEligible(cond.reason_zh, field=f"facts.{cond.fact}")
    for cond in variant.requires:
        if cond.fact not in facts:
            raise InvalidInput(f"缺少必要信息：{scheme.fact_label(cond.fact)}", field=f"facts.{cond.fact}")
        if not cond.holds_for(_fact_value(scheme, cond, facts)):
            raise NotEligible(cond.reason_zh, field=f"facts.{cond.fact}")
    for name in variant.once_per:
        if facts.get(name) in (None, ""):
            raise InvalidInput(f"缺少必要信息：{scheme.fact_label(name)}", field=f"facts.{name}")


def _fact_value(scheme: Scheme, cond: Condition, facts: Facts) -> FactValue:
    value = facts[cond.fact]
    if not cond.is_numeric():
        return value
    # Durations and counts: exact numbers only (int, Decimal or a decimal string), never float.
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise InvalidInput(f"{scheme.fact_label(cond.fact)}必须是整数或小数字符串", field=f"facts.{cond.fact}")
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError as exc:
        raise InvalidInput(f"{scheme.fact_label(cond.fact)}格式无效", field=f"facts.{cond.fact}") from exc
    if not number.is_finite() or number < 0:
        raise InvalidInput(f"{scheme.fact_label(cond.fact)}格式无效", field=f"facts.{cond.fact}")
    return number


def _kept_facts(scheme: Scheme, rule: Rule, variant: Variant, facts: Facts) -> tuple[tuple[str, FactValue], ...]:
    # These go into the hashed ledger entry: plain exact values only (no floats, no structures).
    kept = []
    for name in rule.consulted_facts(variant):
        if name in facts:
            if isinstance(facts[name], float) or not isinstance(facts[name], (str, int, Decimal)):
                raise InvalidInput(f"{scheme.fact_label(name)}格式无效", field=f"facts.{name}")
            kept.append((name, facts[name]))
    return tuple(sorted(kept))


def _dedupe_key(rule: Rule, variant: Variant, facts: Facts) -> str | None:
    if not variant.once_per:
        return None
    parts = [f"{name}={facts[name]}" for name in variant.once_per]
    return "|".join([rule.code, variant.code, *parts])


def _explain(scheme: Scheme, rule: Rule, variant: Variant, count: int, total: Decimal) -> str:
    return (
        f"{rule.code} {rule.area_zh}·{rule.item_zh}·{variant.label_zh}："
        f"{format_points(variant.amount)}分/{variant.unit_zh} × {count}{variant.unit_zh} = {format_points(total)}分"
        f"（方案 {scheme.scheme_id} 第{scheme.version}版）"
    )

