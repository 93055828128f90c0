"""What a scoring method is, and the reader it scores from.

A method is named by framework data (``method = "yoy_decline"``) with parameters. It has a *basis*:
``deduct`` (扣分 from the indicator's max, Hunan style), ``earn`` (得分 up to the max, Haikou style) or
``veto`` (一票否决, no points). ``parse`` checks the parameters once when the framework is loaded,
``describe`` says the rule in Chinese for the score line, ``apply`` scores from the inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from libs.kit.errors import InvalidInput
from services.evaluation.domain import config
from services.evaluation.domain.config import Table

ZERO = Decimal(0)


class Basis(StrEnum):
    DEDUCT = "deduct"  # 扣分：从本项分值中扣减，扣完为止
    EARN = "earn"  # 得分：累计得分，最高不超过本项分值
    VETO = "veto"  # 一票否决：不计分，只判定


@dataclass(frozen=True)
class MetricRef:
    """A metric the rule reads, with the Chinese label shown to reviewers."""

    metric: str
    label: str


def metric_ref(raw: object, path: str) -> MetricRef:
    if not isinstance(raw, dict):
        raise config.bad(path, "应为 {metric = ..., label = ...}")
    return MetricRef(config.req_id(raw, "metric", path), config.req_str(raw, "label", path))


def metric_refs(raw: Table, key: str, path: str) -> tuple[MetricRef, ...]:
    items = config.req(raw, key, path)
    if not isinstance(items, list) or not items:
        raise config.bad(config.sub(path, key), "应为非空列表")
    return tuple(metric_ref(item, config.sub(config.sub(path, key), i)) for i, item in enumerate(items))


def labels(refs: tuple[MetricRef, ...]) -> str:
    return "、".join(ref.label for ref in refs)


@dataclass(frozen=True)
class RuleResult:
    """Points of one rule (扣分 or 得分 by the method's basis) before the indicator's cap."""

    points: Decimal
    veto: bool = False
    note: str = ""


@dataclass
class Reader:
    """Reads this year's and last year's inputs for one indicator, remembering what was used."""

    current: Mapping[str, object]
    previous: Mapping[str, object]
    max_points: Decimal
    used: dict[str, object] = field(default_factory=dict)

    def now(self, metric: str, read: Callable[[object, str], Any]) -> Any:
        return self._read(self.current, "inputs", metric, read)

    def before(self, metric: str, read: Callable[[object, str], Any]) -> Any:
        return self._read(self.previous, "previous", metric, read)

    def derived(self, name: str, value: object) -> None:
        self.used[name] = value

    def _read(self, source: Mapping[str, object], scope: str, metric: str,
              read: Callable[[object, str], Any]) -> Any:
        path = f"{scope}.{metric}"
        if metric not in source or source[metric] is None:
            which = "上年度" if scope == "previous" else ""
            raise InvalidInput(f"缺少{which}指标数据：{metric}", field=path)
        raw = source[metric]
        value = read(raw, path)
        self.used[metric if scope == "inputs" else path] = _shown(raw, value)
        return value


def _shown(raw: object, value: object) -> object:
    """Flags and lists are kept as given (which kinds, which dates), numbers as read."""
    if isinstance(raw, (set, frozenset)):
        return tuple(sorted(raw, key=str))
    if isinstance(raw, (list, tuple)):
        return tuple(raw)
    return raw if isinstance(raw, bool) else value


@dataclass(frozen=True)
class Method:
    name: str
    basis: Basis
    parse: Callable[[Table, str], Any]
    describe: Callable[[Any], str]
    apply: Callable[[Any, Reader], RuleResult]


def fmt(number: Decimal) -> str:
    """A Decimal for Chinese rule text: ``5`` not ``5.0``, ``0.5`` not ``0.50``."""
    text = format(number.normalize(), "f")
    return text
