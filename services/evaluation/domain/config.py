"""Typed reads from framework data (TOML tables), failing with the path of the bad key.

A framework is data a person edits; a typo must say where it is (``indicators[3].rules[0].per_missing``),
in Chinese, as an ``InvalidInput``. Decimals are written as integers or strings in TOML — never floats.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from libs.kit.errors import InvalidInput

_PLAIN_DECIMAL = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
Table = Mapping[str, Any]


def bad(path: str, reason: str) -> InvalidInput:
    return InvalidInput(f"框架配置无效：{path} {reason}", field=path)


def sub(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else key)


def req(raw: Table, key: str, path: str) -> Any:
    if key not in raw:
        raise bad(sub(path, key), "缺失")
    return raw[key]


def req_str(raw: Table, key: str, path: str) -> str:
    value = req(raw, key, path)
    if not isinstance(value, str) or not value.strip():
        raise bad(sub(path, key), "应为非空字符串")
    return value.strip()


def opt_str(raw: Table, key: str, path: str, default: str = "") -> str:
    return req_str(raw, key, path) if key in raw else default


def req_id(raw: Table, key: str, path: str) -> str:
    value = req_str(raw, key, path)
    if not _ID.match(value):
        raise bad(sub(path, key), "应为小写字母、数字、连字符组成的标识")
    return value


def req_int(raw: Table, key: str, path: str, *, minimum: int = 0) -> int:
    value = req(raw, key, path)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad(sub(path, key), f"应为不小于{minimum}的整数")
    return value


def opt_int(raw: Table, key: str, path: str, default: int, *, minimum: int = 0) -> int:
    return req_int(raw, key, path, minimum=minimum) if key in raw else default


def req_dec(raw: Table, key: str, path: str) -> Decimal:
    """A non-negative exact number: TOML integer or decimal string ("0.25"); floats are refused."""
    value = req(raw, key, path)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise bad(sub(path, key), "应为整数或小数字符串（不接受浮点数）")
    if isinstance(value, str) and not _PLAIN_DECIMAL.match(value.strip()):
        raise bad(sub(path, key), "小数格式无效")
    number = Decimal(str(value).strip())
    if number < 0:
        raise bad(sub(path, key), "不能为负数")
    return number


def opt_dec(raw: Table, key: str, path: str, default: Decimal) -> Decimal:
    return req_dec(raw, key, path) if key in raw else default


def opt_bool(raw: Table, key: str, path: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise bad(sub(path, key), "应为 true 或 false")
    return value


def req_date(raw: Table, key: str, path: str) -> date:
    value = req(raw, key, path)
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise bad(sub(path, key), "应为日期（YYYY-MM-DD）")
    return value


def req_tables(raw: Table, key: str, path: str) -> Sequence[Table]:
    value = req(raw, key, path)
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise bad(sub(path, key), "应为非空的表数组")
    return value


def req_choice(raw: Table, key: str, path: str, choices: Sequence[str]) -> str:
    value = req_str(raw, key, path)
    if value not in choices:
        raise bad(sub(path, key), f"应为以下之一：{'、'.join(choices)}")
    return value


@dataclass(frozen=True)
class Header:
    """What every framework file starts with: 标识、版本、类型、名称、依据文件、施行日期."""

    id: str
    version: int
    kind: str
    title: str
    source: str
    effective_from: date


def read_header(raw: Table) -> Header:
    return Header(
        id=req_id(raw, "id", ""),
        version=req_int(raw, "version", "", minimum=1),
        kind=req_choice(raw, "kind", "", ("scorecard", "ranking", "reporting")),
        title=req_str(raw, "title", ""),
        source=req_str(raw, "source", ""),
        effective_from=req_date(raw, "effective_from", ""),
    )
