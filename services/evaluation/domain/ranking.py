"""Competition ranking (1, 2, 2, 4): equal values share a rank, the next rank skips. Ties list by key."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal


def competition_ranks(items: Iterable[tuple[str, Decimal]]) -> list[tuple[str, Decimal, int]]:
    """``(key, value)`` pairs → ``(key, value, rank)`` sorted by value descending, then key."""
    ordered = sorted(items, key=lambda kv: (-kv[1], kv[0]))
    ranked: list[tuple[str, Decimal, int]] = []
    for position, (key, value) in enumerate(ordered, start=1):
        rank = ranked[-1][2] if ranked and ranked[-1][1] == value else position
        ranked.append((key, value, rank))
    return ranked
