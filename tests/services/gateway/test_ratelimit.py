"""The token bucket itself, on an injected monotonic clock."""

from __future__ import annotations

import pytest

from libs.kit.errors import TooManyRequests
from services.gateway.ratelimit import RateLimiter


class Ticker:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_burst_then_refill() -> None:
    clock = Ticker()
    limiter = RateLimiter(rate=2.0, burst=3, now=clock)
    assert [limiter.wait_seconds("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.wait_seconds("a") == pytest.approx(0.5)
    clock.t += 0.5
    assert limiter.wait_seconds("a") == 0
    assert limiter.wait_seconds("b") == 0  # separate bucket


def test_429_carries_retry_after() -> None:
    limiter = RateLimiter(rate=0.1, burst=1, now=Ticker())
    limiter.check("a")
    with pytest.raises(TooManyRequests) as raised:
        limiter.check("a")
    assert raised.value.extra["headers"] == {"Retry-After": "10"}


def test_memory_is_bounded() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, max_clients=10, now=Ticker())
    for i in range(100):
        limiter.wait_seconds(f"ip:{i}")
    assert len(limiter._buckets) == 10
