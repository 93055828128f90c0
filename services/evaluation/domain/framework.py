"""Score-sheet frameworks (评价指标体系) as data: indicators (指标) with max points and rules.

An indicator's rules share one basis besides 一票否决: all ``deduct`` (扣分, capped at the max — 扣完为止)
or all ``earn`` (得分, capped at the max). The maxima must add up to the framework's total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from libs.kit.errors import NotFound
from services.evaluation.domain import config
from services.evaluation.domain.config import Table
from services.evaluation.domain.grading import Grading, parse_grading
from services.evaluation.domain.methods import Basis, Method, method_named


@dataclass(frozen=True)
class Rule:
    method: Method
    params: Any

    def describe(self) -> str:
        return self.method.describe(self.params)


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    group: str
    max_points: Decimal
    rules: tuple[Rule, ...]
    basis: Basis  # DEDUCT or EARN; VETO when every rule is a veto
    not_applicable_allowed: bool

    @property
    def has_veto(self) -> bool:
        return any(rule.method.basis is Basis.VETO for rule in self.rules)


@dataclass(frozen=True)
class ScoreFramework:
    id: str
    version: int
    title: str
    source: str
    effective_from: date
    max_total: Decimal
    indicators: tuple[Indicator, ...]
    grading: Grading

    def indicator(self, indicator_id: str) -> Indicator:
        found = next((i for i in self.indicators if i.id == indicator_id), None)
        if found is None:
            raise NotFound(f"不存在的指标：{indicator_id}", field="indicator_id")
        return found

    @property
    def indicator_ids(self) -> frozenset[str]:
        return frozenset(i.id for i in self.indicators)


def parse_score_framework(raw: Mapping[str, Any]) -> ScoreFramework:
    header = config.read_header(raw)
    allow_na = config.opt_bool(raw, "not_applicable_allowed", "", False)
    indicators = tuple(
        _indicator(item, f"indicators[{i}]", allow_na)
        for i, item in enumerate(config.req_tables(raw, "indicators", ""))
    )
    framework = ScoreFramework(header.id, header.version, header.title, header.source, header.effective_from,
                               config.req_dec(raw, "max_total", ""), indicators,
                               parse_grading(config.req(raw, "grading", "")))
    _check_totals(framework)
    return framework


def _indicator(raw: Table, path: str, allow_na: bool) -> Indicator:
    rules = tuple(_rule(r, f"{path}.rules[{i}]") for i, r in enumerate(config.req_tables(raw, "rules", path)))
    bases = {r.method.basis for r in rules} - {Basis.VETO}
    if len(bases) > 1:
        raise config.bad(f"{path}.rules", "扣分类与得分类方法不能混用于同一指标")
    vetoing = any(r.method.basis is Basis.VETO for r in rules)
    return Indicator(
        id=config.req_id(raw, "id", path),
        name=config.req_str(raw, "name", path),
        group=config.opt_str(raw, "group", path),
        max_points=config.req_dec(raw, "max", path),
        rules=rules,
        basis=bases.pop() if bases else Basis.VETO,
        # 一票否决项 are never waived as 不适用 unless the data says so explicitly
        not_applicable_allowed=config.opt_bool(raw, "not_applicable_allowed", path, allow_na and not vetoing),
    )


def _rule(raw: Table, path: str) -> Rule:
    method = method_named(config.req(raw, "method", path), f"{path}.method")
    params = {k: v for k, v in raw.items() if k != "method"}
    return Rule(method, method.parse(params, path))


def _check_totals(framework: ScoreFramework) -> None:
    ids = [i.id for i in framework.indicators]
    if len(set(ids)) != len(ids):
        raise config.bad("indicators", "指标序号重复")
    total = sum((i.max_points for i in framework.indicators), Decimal(0))
    if total != framework.max_total:
        raise config.bad("max_total", f"各指标分值合计{total}，与满分不符")
