"""Exact amounts (积分 points, 元 yuan). Never floats.

Points are kept at one decimal place (tenths: rule R01b gives 0.5). Clients send amounts as
decimal *strings* or integers; this module parses them strictly and refuses NaN, infinities,
exponents, too many decimal places and absurd magnitudes.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from libs.kit.errors import InvalidInput

POINTS_SCALE = 1  # tenths
POINTS_MAX = Decimal("1000000000")  # far above any real balance; guards overflow of numeric(14,1)
_PLAIN_DECIMAL = re.compile(r"^-?\d{1,13}(\.\d+)?$")


def parse_points(raw: object, *, field: str = "amount", allow_zero: bool = False,
                 allow_negative: bool = False) -> Decimal:
    """Parse a points amount from a JSON value: int or plain decimal string, at most one decimal place."""
    if isinstance(raw, bool) or not isinstance(raw, (int, str, Decimal)):
        raise InvalidInput("积分必须是整数或小数字符串（最多一位小数），不接受浮点数", field=field)
    text = str(raw).strip()
    if not _PLAIN_DECIMAL.match(text):
        raise InvalidInput(f"积分格式无效：{text[:40]!r}", field=field)
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - regex already guards
        raise InvalidInput("积分格式无效", field=field) from exc
    if value != value.quantize(Decimal(1).scaleb(-POINTS_SCALE)):
        raise InvalidInput("积分最多一位小数", field=field)
    if value == 0 and not allow_zero:
        raise InvalidInput("积分不能为零", field=field)
    if value < 0 and not allow_negative:
        raise InvalidInput("积分不能为负数", field=field)
    if abs(value) > POINTS_MAX:
        raise InvalidInput("积分数值超出范围", field=field)
    return value.quantize(Decimal(1).scaleb(-POINTS_SCALE))


def to_tenths(value: Decimal) -> int:
    """Integer tenths of a point, for exact storage and hashing."""
    return int(value * 10)


def from_tenths(tenths: int) -> Decimal:
    return (Decimal(tenths) / 10).quantize(Decimal("0.1"))


def format_points(value: Decimal) -> str:
    """Canonical text of an amount: always one decimal place ("5.0", "0.5")."""
    return str(value.quantize(Decimal("0.1")))
