"""积分影响力排行榜: collective (unit) and individual rankings, and pagination.

Ties use competition ranking ("1, 2, 2, 4"): equal points share a rank and the next rank skips.
Within a tie the order is by id, so a page boundary never shuffles between two requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from libs.kit.errors import InvalidInput

T = TypeVar("T")
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    key: str  # doctor id or unit id
    points: Decimal


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    page: int  # 1-based
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def rank(points: Mapping[str, Decimal] | Iterable[tuple[str, Decimal]]) -> list[Standing]:
    """Standings by points descending, ties by id ascending, competition ranks."""
    pairs = points.items() if isinstance(points, Mapping) else points
    ordered = sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
    standings: list[Standing] = []
    for index, (key, value) in enumerate(ordered):
        tied = standings and standings[-1].points == value
        standings.append(Standing(standings[-1].rank if tied else index + 1, key, value))
    return standings


def standing_of(standings: Sequence[Standing], key: str) -> Standing | None:
    """Where ``key`` stands (e.g. "my rank"), or None if absent."""
    return next((s for s in standings if s.key == key), None)


def paginate(items: Sequence[T], *, page: int = 1, size: int = 20, max_size: int = MAX_PAGE_SIZE) -> Page[T]:
    _check_page(page, size, max_size)
    start = (page - 1) * size
    return Page(tuple(items[start:start + size]), page, size, len(items))


def _check_page(page: object, size: object, max_size: int) -> None:
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise InvalidInput("页码必须是从 1 开始的整数", field="page")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= max_size:
        raise InvalidInput(f"每页条数必须在 1 到 {max_size} 之间", field="size")
