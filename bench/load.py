"""Load generation over loopback with httpx async clients, bounded in count and in time.

- ``closed_loop``: ``clients`` workers, each sending its next request as soon as the previous one answered,
  for ``seconds`` (or until ``max_requests``): throughput and latency at a fixed concurrency.
- ``open_loop``: requests started at a fixed rate whatever the answers (a sustained event stream), each in its
  own task, with at most ``max_in_flight`` outstanding.

Latencies are recorded per request (perf_counter) and summarised from the recorded values, never estimated.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.stats import latency_summary

Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)  # of the successful requests
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    ok: int = 0

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 3), "ok": self.ok, "throughput_per_s": round(self.throughput, 1),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "errors": dict(self.errors), **latency_summary(self.latencies)}


def client(base_url: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=httpx.Timeout(30.0))


async def closed_loop(base_url: str, request: Request, *, clients: int, seconds: float,
                      max_requests: int | None = None, ok_statuses: tuple[int, ...] = (200, 201),
                      warmup_requests: int = 0, warmup: Request | None = None) -> LoadResult:
    """Each virtual client has its own httpx client and keep-alive connection (one shared pool of 64
    connections spends more CPU in its own bookkeeping than the server under test), opened by one warm-up
    request before the clock starts; ``warmup_requests`` more are spread over the clients, also untimed.
    ``warmup`` replaces the workload's request for those (when the workload must not run untimed)."""
    counter = iter(range(10**12))
    warm = iter(range(10**12))
    per_worker = max(1, -(-warmup_requests // clients))
    result = LoadResult(0.0)
    opened = 0
    all_open = asyncio.Event()
    start = asyncio.Event()
    bounds = {"deadline": 0.0}

    async def worker() -> None:
        nonlocal opened
        async with client(base_url, 1) as http:
            for _ in range(per_worker):
                try:
                    await (warmup or request)(http, -1 - next(warm))
                except httpx.HTTPError:
                    pass
            opened += 1
            if opened == clients:
                all_open.set()
            await start.wait()
            while time.perf_counter() < bounds["deadline"]:
                n = next(counter)
                if max_requests is not None and n >= max_requests:
                    return
                t0 = time.perf_counter()
                try:
                    response = await request(http, n)
                except httpx.HTTPError as exc:
                    result.errors[type(exc).__name__] += 1
                    continue
                spent = time.perf_counter() - t0
                result.statuses[response.status_code] += 1
                if response.status_code in ok_statuses:
                    result.ok += 1
                    result.latencies.append(spent)

    tasks = [asyncio.create_task(worker()) for _ in range(clients)]
    await all_open.wait()
    started = time.perf_counter()
    bounds["deadline"] = started + seconds
    start.set()
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - started
    return result


async def open_loop(base_url: str, request: Request, *, rate: float, seconds: float, max_in_flight: int = 256,
                    ok_statuses: tuple[int, ...] = (200, 201, 202),
                    on_done: Callable[[int, float, float, httpx.Response], None] | None = None) -> LoadResult:
    """Start one request every 1/rate s for ``seconds``; ``on_done(n, sent_at, answered_at, response)``."""
    result = LoadResult(0.0)
    gate = asyncio.Semaphore(max_in_flight)
    async with client(base_url, max_in_flight) as http:
        tasks: list[asyncio.Task[None]] = []
        started = time.perf_counter()
        total = int(rate * seconds)

        async def one(n: int) -> None:
            async with gate:
                t0 = time.perf_counter()
                try:
                    response = await request(http, n)
                except httpx.HTTPError as exc:
                    result.errors[type(exc).__name__] += 1
                    return
                t1 = time.perf_counter()
                result.statuses[response.status_code] += 1
                if response.status_code in ok_statuses:
                    result.ok += 1
                    result.latencies.append(t1 - t0)
                    if on_done:
                        on_done(n, t0, t1, response)

        for n in range(total):
            due = started + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
        result.seconds = time.perf_counter() - started
    return result
