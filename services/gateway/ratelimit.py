"""Token-bucket rate limit per client (token ``sub``, else client IP), in memory, per gateway replica.

Each client gets ``burst`` tokens refilled at ``rate`` per second. Memory is bounded: beyond ``max_clients`` the
least recently seen buckets are forgotten (a forgotten client starts full again, which only errs on the side of
letting a request through). With N replicas behind a balancer the effective limit is up to N times higher;
a shared limiter (e.g. in PostgreSQL or NATS KV) is the step after this one.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from libs.kit.errors import TooManyRequests


class RateLimiter:
    def __init__(self, rate: float, burst: int, *, max_clients: int = 100_000,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.max_clients = rate, burst, max_clients
        self._now = now
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def wait_seconds(self, client: str) -> float:
        """Take one token; 0 when allowed, else how long until one is available."""
        now = self._now()
        tokens, last = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait

    def check(self, client: str) -> None:
        wait = self.wait_seconds(client)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise TooManyRequests(f"请求过于频繁，请 {retry_after} 秒后重试", retry_after=retry_after,
                                  headers={"Retry-After": str(retry_after)})
