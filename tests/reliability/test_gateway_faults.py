"""Reliability matrix row 31: a slow or partitioned service behind the gateway. The loopback fault proxy sits
between the gateway and the real points service (uvicorn, real PostgreSQL and JetStream). The gateway answers
504/502 problem+json with the request id; the client retries with the same Idempotency-Key; the history check
finds each award once, every entry with its outbox row, the projections equal to their rebuild, the chain intact.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.harness.services import TestEnv
from tests.reliability.ledger_history import check_ledger_history, office_source
from tests.reliability.stack import Stack, gateway_stack, token
from tests.services.points.conftest import NOW
from tests.services.points.helpers import seed as seed_directory

PROBLEM = "application/problem+json"


def office_token() -> dict[str, str]:
    return token("alliance_office", sub="office-hn", alliance_id="hn-peds")


async def award(stack: Stack, ref: str, key: str) -> httpx.Response:
    body = {"rule": "R16", "variant": "director", "doctor_id": "D1", "facts": {"year": ref}, "source_ref": ref}
    return await stack.client.post("/api/v1/points/awards/direct", json=body,
                                   headers={**office_token(), "Idempotency-Key": key, "x-request-id": f"req-{key}"})


async def until_acknowledged(stack: Stack, ref: str, key: str, first: httpx.Response | None) -> dict[str, Any]:
    """The client's retry loop: same key until a 2xx (the proxy is healed by then)."""
    response = first
    for _ in range(5):
        if response is not None and response.status_code == 201:
            return dict(response.json())
        response = await award(stack, ref, key)
    raise AssertionError(f"never acknowledged: {response.status_code if response else None}")


async def test_row31_slow_and_partitioned_points_service_behind_the_gateway(env: TestEnv, seed: int) -> None:
    from libs.kit.clock import FixedClock

    async with gateway_stack(env, ("points",), proxied=("points",), seed=seed,
                             gateway={"upstream_timeout_seconds": 1.0},
                             service_settings={"points": {"checkpoint_every": 5}},
                             clocks={"points": FixedClock(NOW)}) as stack:
        points = stack.services["points"]
        proxy = points.proxy
        assert proxy is not None
        await seed_directory(points, units=("U1",), doctors={"D1": "U1"})  # type: ignore[arg-type]
        acknowledged: list[str] = []

        clean = await award(stack, "clean", "k-clean")
        assert clean.status_code == 201, clean.text
        acknowledged.append(office_source("clean"))
        one_response = proxy.stats.bytes_downstream  # bytes of one award response on the wire

        # 1. Slow: the service commits, its answer is held back longer than the gateway waits.
        proxy.latency(3.0, direction="downstream")
        slow = await award(stack, "slow", "k-slow")
        assert slow.status_code == 504 and slow.headers["content-type"] == PROBLEM
        assert slow.json()["request_id"] == "req-k-slow" and slow.json()["service"] == "points"
        proxy.clear()
        replay = await until_acknowledged(stack, "slow", "k-slow", None)
        acknowledged.append(office_source("slow"))

        # 2. Reset before the response headers: the gateway answers 502; the award had been committed.
        proxy.reset_after(10, direction="downstream")
        cut = await award(stack, "reset-early", "k-reset-early")
        assert cut.status_code == 502 and cut.headers["content-type"] == PROBLEM
        proxy.clear()
        again = await award(stack, "reset-early", "k-reset-early")
        assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
        acknowledged.append(office_source("reset-early"))

        # 3. Reset in the middle of the body: the client sees a broken response and retries.
        proxy.reset_after(one_response - 8, direction="downstream")
        torn: httpx.Response | None
        try:
            torn = await award(stack, "reset-body", "k-reset-body")
        except (httpx.HTTPError, RuntimeError, ConnectionError):
            torn = None  # the gateway's streamed answer broke off mid-body: unacknowledged for the client
        assert proxy.stats.resets >= 2
        proxy.clear()
        await until_acknowledged(stack, "reset-body", "k-reset-body", torn)
        acknowledged.append(office_source("reset-body"))

        # 4. The request never reaches the service (cut on the way in): nothing applied, the retry applies it.
        proxy.reset_after(40, direction="upstream")
        lost = await award(stack, "reset-request", "k-reset-request")
        assert lost.status_code == 502
        proxy.clear()
        fresh = await award(stack, "reset-request", "k-reset-request")
        assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
        acknowledged.append(office_source("reset-request"))

        # 5. Partition (blackhole) and a refused connection: 504, then 502; other requests are unaffected.
        proxy.blackhole()
        assert (await award(stack, "hole", "k-hole")).status_code == 504
        proxy.clear()
        proxy.cut()
        await proxy.disable()
        down = await award(stack, "down", "k-down")
        assert down.status_code == 502 and "points" in down.json()["detail"]
        await proxy.enable()
        await until_acknowledged(stack, "hole", "k-hole", None)
        await until_acknowledged(stack, "down", "k-down", None)
        acknowledged += [office_source("hole"), office_source("down")]

        assert replay["entry_id"]
        await check_ledger_history(points.direct, env.database_url, acknowledged=acknowledged)
        print(f"proxy stats: {proxy.stats}")
