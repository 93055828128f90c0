"""The shape of a 积分方案 (points scheme): rules (赋分规则), their variants, conditions and direct routes.

Plain frozen values built by ``scheme_toml`` from a versioned TOML file. Nothing here computes an
amount; ``scheme.compute_award`` does, so that every amount is derived from this data and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

FactValue = str | int | bool | Decimal
Facts = Mapping[str, FactValue]


class Mode(StrEnum):
    """How points of a rule are granted (赋分方式)."""

    CLAIM = "claim"  # 个人递交佐证材料后审核赋分
    DIRECT = "direct"  # 管理办公室依据平台数据直接赋分
    BOTH = "both"

    def allows(self, mode: Mode) -> bool:
        return self is Mode.BOTH or self is mode


@dataclass(frozen=True, slots=True)
class Condition:
    """A test on one fact: ``min``/``max`` inclusive, ``above``/``below`` exclusive, or ``equals``.

    Used both as a requirement of a variant (must hold) and as a refusal of a rule (must not hold).
    """

    fact: str
    reason_zh: str
    min: Decimal | None = None
    max: Decimal | None = None
    above: Decimal | None = None
    below: Decimal | None = None
    equals: FactValue | None = None

    def is_numeric(self) -> bool:
        return self.equals is None

    def holds_for(self, value: FactValue) -> bool:
        if not self.is_numeric():
            return _text(value) == _text(self.equals)
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        checks = (
            self.min is None or number >= self.min,
            self.max is None or number <= self.max,
            self.above is None or number > self.above,
            self.below is None or number < self.below,
        )
        return all(checks)


@dataclass(frozen=True, slots=True)
class Variant:
    """One amount of a rule (e.g. R02b 门诊 2 分/人次 vs 住院 5 分/人次)."""

    code: str
    label_zh: str
    amount: Decimal
    unit: str
    unit_zh: str
    max_quantity: int
    requires: tuple[Condition, ...] = ()
    # Facts that make an award unique per beneficiary (reading, e.g. R03b once per appointment).
    once_per: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """A 赋分规则 such as R01b 来院交流 0.5 分/次."""

    code: str
    area: str
    area_zh: str
    item_zh: str
    label_zh: str
    mode: Mode
    beneficiary: str
    beneficiary_zh: str
    variants: Mapping[str, Variant]
    refuse: tuple[Condition, ...] = ()
    reading_zh: str | None = None

    def consulted_facts(self, variant: Variant) -> tuple[str, ...]:
        """Facts this rule/variant reads: the ones a ledger entry must keep for replay."""
        names = [c.fact for c in self.refuse] + [c.fact for c in variant.requires] + list(variant.once_per)
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True, slots=True)
class DirectRoute:
    """Maps a normalized platform fact to the rule/variant it earns (直接赋分)."""

    match: tuple[tuple[str, tuple[str, ...]], ...]
    rule: str
    variant: str
    beneficiary_fact: str

    def matches(self, fact: Facts) -> bool:
        return all(_text(fact.get(key)) in allowed for key, allowed in self.match)


@dataclass(frozen=True, slots=True)
class CollectivePolicy:
    """The chosen reading of 集体积分 (collective points of a member unit per calendar year)."""

    subtract_redemptions: bool = False
    include_unit_awards: bool = True
    include_adjustments: bool = True
    reversal_unit: str = "original"


@dataclass(frozen=True, slots=True)
class Scheme:
    """A versioned 积分方案 with its effective date."""

    scheme_id: str
    version: int
    title_zh: str
    effective_from: date
    max_quantity: int
    redemption_tiers: tuple[int, ...]
    rules: Mapping[str, Rule]
    direct: tuple[DirectRoute, ...]
    fact_labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    collective: CollectivePolicy = CollectivePolicy()

    @property
    def ref(self) -> str:
        return f"{self.scheme_id}@v{self.version}"

    def fact_label(self, name: str) -> str:
        return self.fact_labels.get(name, name)


@dataclass(frozen=True, slots=True, order=True)
class SchemeRef:
    """A listing row: which scheme versions exist and from when they apply."""

    scheme_id: str
    version: int
    effective_from: date
    title_zh: str


def _text(value: object) -> str | None:
    # Fact values may arrive as str/int/bool; routes compare their text form.
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
