"""Reading a 积分方案 from TOML into ``scheme_model`` values, refusing a malformed file loudly.

A scheme file is deployed data, not user input: a broken file is an operator error, so it raises
``SchemeFileError`` (a ``ValueError``) naming the offending key instead of a user-facing error.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from libs.kit.amounts import parse_points
from libs.kit.errors import InvalidInput

from .scheme_model import CollectivePolicy, Condition, DirectRoute, Mode, Rule, Scheme, Variant

_NUMERIC_BOUNDS = ("min", "max", "above", "below")


class SchemeFileError(ValueError):
    """The scheme file is malformed (operator error, not a user error)."""


def load_scheme_file(path: Path) -> Scheme:
    return parse_scheme(path.read_text(encoding="utf-8"), origin=path.name)


def parse_scheme(text: str, *, origin: str = "<text>") -> Scheme:
    # parse_float=Decimal keeps 0.5 exact: a scheme never passes through binary floating point.
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise SchemeFileError(f"{origin}: {exc}") from exc
    return _scheme(raw, origin)


def _scheme(raw: dict[str, Any], origin: str) -> Scheme:
    areas = _get(raw, "areas", dict, origin)
    max_quantity = _positive_int(_get(raw, "max_quantity", int, origin), f"{origin}: max_quantity")
    rules = {
        code: _rule(code, body, areas, max_quantity, f"{origin}: rules.{code}")
        for code, body in _get(raw, "rules", dict, origin).items()
    }
    direct = tuple(_route(r, rules, f"{origin}: direct[{i}]") for i, r in enumerate(raw.get("direct", [])))
    return Scheme(
        scheme_id=_get(raw, "scheme_id", str, origin),
        version=_positive_int(_get(raw, "version", int, origin), f"{origin}: version"),
        title_zh=_get(raw, "title_zh", str, origin),
        effective_from=_get(raw, "effective_from", date, origin),
        max_quantity=max_quantity,
        redemption_tiers=tuple(raw.get("redemption_tiers", ())),
        rules=MappingProxyType(rules),
        direct=direct,
        fact_labels=MappingProxyType(dict(raw.get("facts", {}))),
        collective=CollectivePolicy(**raw.get("collective", {})),
    )


def _rule(code: str, body: dict[str, Any], areas: dict[str, str], max_quantity: int, where: str) -> Rule:
    area = _get(body, "area", str, where)
    if area not in areas:
        raise SchemeFileError(f"{where}: unknown area {area!r}")
    variants = {
        name: _variant(name, v, max_quantity, f"{where}.variants.{name}")
        for name, v in _get(body, "variants", dict, where).items()
    }
    if not variants:
        raise SchemeFileError(f"{where}: a rule needs at least one variant")
    return Rule(
        code=code,
        area=area,
        area_zh=areas[area],
        item_zh=_get(body, "item_zh", str, where),
        label_zh=_get(body, "label_zh", str, where),
        mode=Mode(_get(body, "mode", str, where)),
        beneficiary=_get(body, "beneficiary", str, where),
        beneficiary_zh=_get(body, "beneficiary_zh", str, where),
        variants=MappingProxyType(variants),
        refuse=tuple(_condition(c, f"{where}.refuse") for c in body.get("refuse", [])),
        reading_zh=body.get("reading_zh"),
    )


def _variant(code: str, body: dict[str, Any], default_max: int, where: str) -> Variant:
    try:
        amount = parse_points(_get(body, "amount", (int, Decimal), where), field=where)
    except InvalidInput as exc:
        raise SchemeFileError(f"{where}: {exc.detail}") from exc
    max_quantity = _positive_int(body.get("max_quantity", default_max), f"{where}.max_quantity")
    return Variant(
        code=code,
        label_zh=_get(body, "label_zh", str, where),
        amount=amount,
        unit=_get(body, "unit", str, where),
        unit_zh=_get(body, "unit_zh", str, where),
        max_quantity=min(max_quantity, default_max),
        requires=tuple(_condition(c, f"{where}.requires") for c in body.get("requires", [])),
        once_per=tuple(body.get("once_per", ())),
    )


def _condition(body: dict[str, Any], where: str) -> Condition:
    bounds = {k: Decimal(body[k]) for k in _NUMERIC_BOUNDS if k in body}
    has_equals = "equals" in body
    if bool(bounds) == has_equals:
        raise SchemeFileError(f"{where}: a condition needs numeric bounds or `equals`, not both")
    return Condition(
        fact=_get(body, "fact", str, where),
        reason_zh=_get(body, "reason_zh", str, where),
        equals=body.get("equals"),
        **bounds,
    )


def _route(body: dict[str, Any], rules: dict[str, Rule], where: str) -> DirectRoute:
    rule, variant = _get(body, "rule", str, where), _get(body, "variant", str, where)
    if rule not in rules or variant not in rules[rule].variants:
        raise SchemeFileError(f"{where}: unknown target {rule}/{variant}")
    if not rules[rule].mode.allows(Mode.DIRECT):
        raise SchemeFileError(f"{where}: {rule} is claim-only and cannot be a direct award")
    match = tuple(
        (key, tuple(_as_text(v) for v in (value if isinstance(value, list) else [value])))
        for key, value in sorted(_get(body, "match", dict, where).items())
    )
    if ("kind" not in dict(match)):
        raise SchemeFileError(f"{where}: match needs a `kind`")
    return DirectRoute(match, rule, variant, _get(body, "beneficiary_fact", str, where))


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _get(body: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = body.get(key)
    # bool is an int subclass: a `true` where a number belongs is a typo, not a 1.
    if value is None or isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        raise SchemeFileError(f"{where}: `{key}` missing or not {kind}")
    return value


def _positive_int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SchemeFileError(f"{where}: must be a positive integer")
    return value
