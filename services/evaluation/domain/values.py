"""Input values of 指标 (metrics): strict reads of counts, percentages, amounts, flags and date lists.

Metrics come from events the platform counted or from statistics a unit submitted. A bad value names its
field (``inputs.<metric>`` / ``previous.<metric>``) so a form can point at it. Floats are refused: scores
are exact ``Decimal``s. Percentages are written as percent numbers (``89.9`` means 89.9 %), within 0–100.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal

from libs.kit.clock import business_date
from libs.kit.errors import InvalidInput

HUNDRED = Decimal(100)
_PLAIN_DECIMAL = re.compile(r"^\d{1,15}(\.\d{1,6})?$")
_COLLECTIONS = (list, tuple, set, frozenset)


def as_decimal(value: object, field: str) -> Decimal:
    """A non-negative exact number from int, Decimal or a plain decimal string."""
    if isinstance(value, (bool, float)):
        raise InvalidInput("数值应为整数或小数字符串，不接受浮点数或布尔值", field=field)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal) and value.is_finite():
        number = value
    elif isinstance(value, str) and _PLAIN_DECIMAL.match(value.strip()):
        number = Decimal(value.strip())
    else:
        raise InvalidInput("数值格式无效", field=field)
    if number < 0:
        raise InvalidInput("数值不能为负数", field=field)
    return number


def as_percent(value: object, field: str) -> Decimal:
    """A percentage as a percent number, 0–100 inclusive (满意度 89.9 means 89.9 %)."""
    number = as_decimal(value, field)
    if number > HUNDRED:
        raise InvalidInput("百分比应在0至100之间", field=field)
    return number


def as_count(value: object, field: str) -> int:
    """A count (次数、人数): a non-negative integer."""
    if isinstance(value, bool):
        raise InvalidInput("次数应为非负整数，不接受布尔值", field=field)
    number = as_decimal(value, field)
    if number != number.to_integral_value():
        raise InvalidInput("次数应为整数", field=field)
    return int(number)


def as_flag(value: object, field: str) -> bool:
    """A yes/no fact (是否有联盟章程)."""
    if not isinstance(value, bool):
        raise InvalidInput("应为是/否（布尔值）", field=field)
    return value


def as_day(value: object, field: str) -> date:
    """A calendar date; an aware instant becomes its Asia/Shanghai date, a naive one is refused."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput("时间须带时区", field=field)
        return business_date(value)
    if isinstance(value, date):
        return value
    raise InvalidInput("应为日期", field=field)


def as_days(value: object, field: str) -> tuple[date, ...]:
    """A list of dates (one per occasion)."""
    if not isinstance(value, _COLLECTIONS):
        raise InvalidInput("应为日期列表", field=field)
    return tuple(as_day(item, f"{field}[{i}]") for i, item in enumerate(value))


def as_keys(value: object, field: str, allowed: Collection[str] | None = None) -> tuple[str, ...]:
    """A list of short keys (开展的协作项目种类, 科研项目状态); checked against ``allowed`` when given."""
    if not isinstance(value, _COLLECTIONS):
        raise InvalidInput("应为列表", field=field)
    keys = tuple(value)
    for i, key in enumerate(keys):
        if not isinstance(key, str) or not key.strip():
            raise InvalidInput("列表项应为非空字符串", field=f"{field}[{i}]")
        if allowed is not None and key not in allowed:
            raise InvalidInput(f"不认可的取值：{key}，应为{'、'.join(allowed)}之一", field=f"{field}[{i}]")
    return keys


def quantity(value: object, field: str, allowed: Collection[str] | None = None) -> int:
    """How many: a flag counts 0/1, a count is itself, a list of dates its occasions, a list of keys
    its distinct keys (two records of 双向转诊 are one kind of 协作)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, _COLLECTIONS):
        if value and all(isinstance(item, date) for item in value):
            return len(as_days(value, field))
        return len(set(as_keys(value, field, allowed)))
    return as_count(value, field)
