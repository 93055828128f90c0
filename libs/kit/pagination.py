"""Pagination for list endpoints: one page-size rule, keyset cursors, offset as a fallback.

``limit`` above ``MAX_LIMIT`` is refused (422 naming ``query.limit``) rather than silently clamped: a client
asking for 10^9 rows has a bug, and a quiet clamp would hide it. Keyset cursors (``WHERE (a, b) > (:a, :b)``)
stay fast on deep pages and stable under inserts; ``offset`` is kept for small admin lists.

A cursor is an opaque base64url JSON of the last row's sort values. It is not signed: it only says where
to continue, and every query still applies the caller's authorization scope.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, tuple_

from libs.kit.errors import InvalidInput

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_OFFSET = 10_000  # deep offsets scan and discard rows; use the cursor instead
_MAX_CURSOR = 512

T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int = 0
    after: dict[str, Any] | None = None  # decoded cursor: sort values of the last row seen

    @property
    def fetch(self) -> int:
        """Rows to fetch: one more than a page tells whether a next page exists without a COUNT."""
        return self.limit + 1


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"每页条数，1–{MAX_LIMIT}")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=_MAX_CURSOR, description="上一页返回的 next_cursor")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="跳过的条数（与 cursor 二选一）")] = 0,
) -> PageParams:
    if cursor and offset:
        raise InvalidInput("cursor 与 offset 不能同时使用", field="query.offset")
    return PageParams(limit=limit, offset=offset, after=decode_cursor(cursor) if cursor else None)


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    limit: int
    next_cursor: str | None = None


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, default=_json_default, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("分页游标无效", field="query.cursor") from exc
    if not isinstance(value, dict):
        raise InvalidInput("分页游标无效", field="query.cursor")
    return value


def keyset(stmt: Select[Any], params: PageParams, *order_by: ColumnElement[Any], descending: bool = False
           ) -> Select[Any]:
    """Order by the given columns (the last one must be unique, e.g. the id), continue after the cursor."""
    ordering = [c.desc() if descending else c.asc() for c in order_by]
    stmt = stmt.order_by(*ordering).limit(params.fetch)
    if params.after is None:
        return stmt.offset(params.offset)
    values = [_from_cursor(params.after, column) for column in order_by]
    row, after = tuple_(*order_by), tuple_(*values)
    return stmt.where(row < after if descending else row > after)


def page_of(rows: Sequence[T], params: PageParams, position: Callable[[T], dict[str, Any]]) -> Page[T]:
    """``rows`` fetched with ``params.fetch``; ``position(row)`` gives the cursor values keyed by column name."""
    items = list(rows[: params.limit])
    more = len(rows) > params.limit
    return Page(items=items, limit=params.limit, next_cursor=encode_cursor(position(items[-1])) if more else None)


def _from_cursor(after: dict[str, Any], column: ColumnElement[Any]) -> Any:
    name = getattr(column, "key", None) or getattr(column, "name", "")
    if name not in after:
        raise InvalidInput("分页游标与排序不匹配", field="query.cursor")
    try:
        return _typed(after[name], column.type.python_type)
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise InvalidInput("分页游标无效", field="query.cursor") from exc


def _typed(value: Any, python_type: type) -> Any:
    # JSON carries strings; the driver needs the column's own type back (asyncpg refuses '2024-…' for a timestamp).
    if value is None or isinstance(value, python_type):
        return value
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type in (Decimal, UUID, int):
        return python_type(value)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"cursor value of type {type(value).__name__} is not supported")
